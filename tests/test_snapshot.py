"""Snapshot files: round trip, and refusal of anything that is not one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from awsaudit import snapshot
from awsaudit.errors import SnapshotError


def sample() -> dict[str, object]:
    snap = snapshot.new("0.0-test", "2026-01-01T00:00:00+00:00")
    snap["accounts"] = {"123456789012": {"global": {}, "regions": {}, "errors": []}}
    return snap


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.json.gz"
    snapshot.save(sample(), path)
    assert snapshot.load(path) == sample()
    assert path.read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.parametrize(("content", "message"), [
    (b"not json at all", "not an awsaudit snapshot"),
    (gzip.compress(b"{broken"), "not an awsaudit snapshot"),
    (b'{"hello": 1}', "no kind/schema_version"),
    (json.dumps({**sample(), "schema_version": 99}).encode(), "schema version 99 is not supported"),
    (json.dumps({**sample(), "accounts": []}).encode(), "'accounts' must map"),
])
def test_refuses_what_is_not_a_snapshot(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    with pytest.raises(SnapshotError, match=message):
        snapshot.load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read snapshot"):
        snapshot.load(tmp_path / "nope.json.gz")
