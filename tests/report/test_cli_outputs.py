"""`awsaudit audit` with --output-formats and --mutelist: what is written, warnings, gating, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from awsaudit import snapshot
from awsaudit.cli import main
from tests.report.hostile import MUTELIST, hostile_snapshot


@pytest.fixture(scope="module")
def snap_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "hostile.json.gz"
    snapshot.save(hostile_snapshot(), path)
    return path


def audit(snap_file: Path, out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["audit", str(snap_file), "-o", str(out), "-q", *args])
    return result.exit_code, result.stdout, result.stderr


def test_audit_writes_the_default_formats(snap_file: Path, tmp_path: Path) -> None:
    code, _, _ = audit(snap_file, tmp_path)
    assert code == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "snapshot.json.gz",
        "summary.txt",
        "findings.json",
        "report.html",
        "findings.csv",
    }


def test_output_formats_chooses(snap_file: Path, tmp_path: Path) -> None:
    code, _, _ = audit(snap_file, tmp_path, "--output-formats", "junit,sarif,markdown")
    assert code == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "snapshot.json.gz",
        "summary.txt",
        "junit.xml",
        "findings.sarif",
        "report.md",
    }


def test_unknown_output_format_is_exit_2(snap_file: Path, tmp_path: Path) -> None:
    code, _, err = audit(snap_file, tmp_path, "--output-formats", "json,pdf")
    assert code == 2 and "unknown format(s) pdf" in err


def test_mutelist_mutes_warns_and_never_gates(snap_file: Path, tmp_path: Path) -> None:
    mutes = tmp_path / "mutes.yaml"
    mutes.write_text(MUTELIST, encoding="utf-8")
    code, _, err = audit(snap_file, tmp_path / "out", "--mutelist", str(mutes), "--fail-on", "critical")
    assert code == 1  # other critical failures remain
    assert "expired on 2020-01-01" in err and "is stale" in err
    document = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert document["totals"]["MUTED"] == 1
    assert document["mutelist"]["file"] == str(mutes)

    everything = tmp_path / "all.yaml"
    everything.write_text("mutes:\n  - {check: '*', reason: accepted for the test}\n", encoding="utf-8")
    code, _, _ = audit(
        snap_file, tmp_path / "quiet", "--mutelist", str(everything), "--fail-on", "low", "--fail-on-unknown"
    )
    assert code == 0


def test_malformed_mutelist_fails_before_anything_is_written(snap_file: Path, tmp_path: Path) -> None:
    mutes = tmp_path / "mutes.yaml"
    mutes.write_text("mutes:\n  - check: x\n    reson: typo\n", encoding="utf-8")
    code, _, err = audit(snap_file, tmp_path / "out", "--mutelist", str(mutes))
    assert code == 2
    assert (
        err.strip()
        == f"awsaudit: error: {mutes}:3: mutelist: unknown key 'reson' in a mutelist entry "
        + ("(did you mean 'reason'?)")
    )
    assert not (tmp_path / "out").exists()
