"""Checks and the policy engine never read the wall clock: every age is measured to the snapshot's
`collected_at` (the `now` the engine passes), so re-auditing an old snapshot gives its own answers."""

from __future__ import annotations

import ast
from pathlib import Path

import awsaudit

ROOT = Path(awsaudit.__file__).parent
PURE = ("checks", "iam", "network")
CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
         ("time", "time"), ("time", "monotonic")}


def _clock_calls(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in CLOCK:
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_no_check_or_engine_module_reads_the_clock() -> None:
    calls = [c for package in PURE for path in sorted((ROOT / package).rglob("*.py"))
             for c in _clock_calls(path)]
    assert calls == []


def test_the_guard_sees_a_clock_call(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import datetime as dt\nx = dt.datetime.now(dt.UTC)\n", encoding="utf-8")
    assert _clock_calls(probe, tmp_path) == ["probe.py:2 datetime.now()"]
