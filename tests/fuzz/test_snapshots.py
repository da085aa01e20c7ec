"""Fuzzing snapshots: wrong types anywhere, missing keys, huge values, corrupt and truncated files.

Every example either loads and evaluates (checks over a wrong-typed collection UNKNOWN, never
PASS; no exception escapes) or is refused with one SnapshotError line.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from awsaudit import snapshot
from awsaudit.checks import evaluate, load_all
from awsaudit.checks._registry import ACCOUNT, Check
from awsaudit.cli import main
from awsaudit.errors import InputError
from awsaudit.model import Status
from awsaudit.report.coverage import coverage
from tests.fuzz._support import bound, fuzz, one_line

FIXTURE = Path(__file__).parents[1] / "fixtures" / "snapshot-schema1.json.gz"
with gzip.open(FIXTURE, "rt", encoding="utf-8") as _handle:
    BASE: dict[str, Any] = json.load(_handle)
ACCOUNT_ID = next(iter(BASE["accounts"]))
HUGE = "x" * 1_000_000

WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.just(HUGE),
    st.lists(st.one_of(st.integers(), st.text(max_size=4), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=4)), max_size=3),
    st.just([]),
    st.just({}),
)
DELETE = object()


def _checks_over(path: str) -> list[Check]:
    """The checks that run over a collection (`iam.users`) or over any collection of a service."""
    return [
        c
        for c in load_all().values()
        if c.over != ACCOUNT and (c.over == path or c.over.startswith(path + "."))
    ]


def _replace(node: Any, path: list[Any], value: Any) -> Any:
    """A copy of `node` with the value at `path` replaced (or deleted): only the path is copied."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy: Any = dict(node) if isinstance(node, dict) else list(node)
    if not rest and value is DELETE:
        del copy[head]
    else:
        copy[head] = _replace(node[head], rest, value) if rest else value
    return copy


@st.composite
def paths(draw: st.DrawFn, start: list[Any], min_depth: int, max_depth: int) -> list[Any]:
    """A path into BASE below `start`, of `min_depth` to `max_depth` more steps."""
    node: Any = BASE
    for key in start:
        node = node[key]
    path = list(start)
    depth = draw(st.integers(min_value=min_depth, max_value=max_depth))
    for _ in range(depth):
        if isinstance(node, dict) and node:
            key: Any = draw(st.sampled_from(sorted(node, key=str)))
        elif isinstance(node, list) and node:
            key = draw(st.integers(min_value=0, max_value=len(node) - 1))
        else:
            break
        path.append(key)
        node = node[key]
    return path


LOCATIONS = [["accounts", ACCOUNT_ID, "global"]] + [
    ["accounts", ACCOUNT_ID, "regions", region] for region in sorted(BASE["accounts"][ACCOUNT_ID]["regions"])
]


def _collection(path: list[Any]) -> tuple[str | None, str, str | None]:
    """(service.collection or service or None, region, ...) that a mutation at `path` lands in."""
    where = path[2:]
    region = "global" if where[0] == "global" else where[1]
    inner = where[1:] if where[0] == "global" else where[2:]
    if not inner:
        return None, region, None
    service = str(inner[0])
    return (f"{service}.{inner[1]}" if len(inner) > 1 else service), region, service


def _load(document: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return snapshot.validate(document)
    except InputError as refused:
        one_line(str(refused))
        return None


@fuzz(300)
@given(location=st.sampled_from(LOCATIONS), data=st.data(), value=st.one_of(WRONG, st.just(DELETE)))
def test_a_wrong_collection_makes_its_checks_unknown_never_pass(
    location: list[Any], data: st.DataObject, value: Any
) -> None:
    """Replace (or delete) a service or a collection: its checks there are UNKNOWN or absent."""
    path = data.draw(paths(location, 1, 2))
    document = _load(_replace(BASE, path, value))
    if document is None:
        return
    target, region, _ = _collection(path)
    checks = _checks_over(target) if target else list(load_all().values())[:20]
    with bound(10):
        findings = evaluate(document, checks=checks)
        coverage(document, findings)
    assert not [f for f in findings if f.check_error], [f.message for f in findings if f.check_error][:3]
    if target is None or (isinstance(value, list) and not value and "." in target):
        return  # a region emptied, or a collection that now holds no resource: nothing to assess
    if target in snapshot.SINGULAR and isinstance(value, dict):
        return  # still an object: its checks read other collections too (iam.account: the roles)
    mine = [f for f in findings if f.region in (region, "global")]
    assert not [f for f in mine if f.status is Status.PASS], [(f.check_id, f.message) for f in mine][:3]


@fuzz(300)
@given(location=st.sampled_from(LOCATIONS), data=st.data(), value=st.one_of(WRONG, st.just(DELETE)))
def test_a_wrong_value_deep_inside_never_crashes_the_audit(
    location: list[Any], data: st.DataObject, value: Any
) -> None:
    """Inside a resource anything may change the verdict, but nothing escapes as an exception.

    A check that meets a type it does not expect says UNKNOWN ("check error", exit 3), never PASS
    because of the error itself.
    """
    path = data.draw(paths(location, 3, 8))
    document = _load(_replace(BASE, path, value))
    if document is None:
        return
    target, _, _ = _collection(path)
    with bound(10):
        findings = evaluate(document, checks=_checks_over(target) if target else None)
        coverage(document, findings)
    assert all(f.status is Status.UNKNOWN for f in findings if f.check_error)


@fuzz(60)
@given(
    key=st.sampled_from(["accounts", "kind", "schema_version", "partition", "collected_at", "incomplete"]),
    value=st.one_of(WRONG, st.just(DELETE)),
)
def test_a_wrong_header_is_refused_in_one_line_or_read(key: str, value: Any) -> None:
    document = _load(_replace(BASE, [key], value) if key in BASE or value is not DELETE else BASE)
    if document is not None:
        evaluate(document, checks=_checks_over("iam.account"))


@fuzz(200)
@given(data=st.data())
def test_a_corrupt_or_truncated_file_is_one_line_or_loads(
    data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw = data.draw(st.sampled_from([FIXTURE.read_bytes(), _schema2()]))
    how = data.draw(st.sampled_from(["truncate", "flip", "prefix", "random"]))
    if how == "truncate":
        raw = raw[: data.draw(st.integers(min_value=0, max_value=len(raw)))]
    elif how == "flip":
        at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ data.draw(st.integers(min_value=1, max_value=255))]) + raw[at + 1 :]
    elif how == "prefix":
        raw = data.draw(st.binary(max_size=8)) + raw
    else:
        raw = data.draw(st.binary(max_size=200))
    path = tmp_path_factory.mktemp("fuzz") / "s.json.gz"
    path.write_bytes(raw)
    try:
        with bound(10):
            loaded = snapshot.load(path)
    except InputError as refused:
        one_line(str(refused))
        return
    evaluate(loaded, checks=_checks_over("ec2.security_groups") + _checks_over("iam.account"))


_SCHEMA2: list[bytes] = []


def _schema2() -> bytes:
    if not _SCHEMA2:
        import tempfile  # noqa: PLC0415

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "s.json.gz"
            snapshot.save(snapshot.validate(BASE), path)
            _SCHEMA2.append(path.read_bytes())
    return _SCHEMA2[0]


@fuzz(25)
@given(location=st.sampled_from(LOCATIONS), data=st.data(), value=st.one_of(WRONG, st.just(DELETE)))
def test_audit_of_a_fuzzed_snapshot_exits_0_or_2_with_one_line(
    location: list[Any], data: st.DataObject, value: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The whole command, in-process: a wrong part anywhere never becomes a traceback or exit 1/3."""
    path = data.draw(paths(location, 1, 6))
    folder = tmp_path_factory.mktemp("audit")
    snap = folder / "s.json.gz"
    snap.write_bytes(gzip.compress(json.dumps(_replace(BASE, path, value)).encode()))
    result = CliRunner().invoke(
        main,
        ["audit", str(snap), "-o", str(folder / "out"), "-q", "--no-history", "--output-formats", "json"],
    )
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        one_line(result.stderr.strip())
        return
    assert result.exit_code in (0, 3), result.output[-2000:]  # 3: a check met a type it did not expect
    assert (folder / "out" / "findings.json").is_file()
