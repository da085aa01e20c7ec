"""Recording scans: all or nothing, concurrent writers, blobs stored once, listing and pruning."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from awsaudit.model import Status
from awsaudit.store import history as history_io
from awsaudit.store.history import HistoryStore, stage
from awsaudit.store.resources import account_resources
from tests.store.helpers import ACCOUNT, finding, scan

BUCKET = {"Name": "b", "_arn": "arn:aws:s3:::b", "_region": "eu-west-1", "Policy": None}
ACCOUNT_DOC = {"global": {"s3": {"buckets": [BUCKET]}}, "regions": {}}


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_a_scan_reads_back_as_recorded(tmp_path: Path) -> None:
    recorded = scan([finding("s3_a", Status.FAIL, evidence={"Policy": None}), finding("s3_b", Status.PASS)])
    with HistoryStore(tmp_path / "h.sqlite") as store:
        scan_id = store.record(recorded, stage(ACCOUNT, account_resources(ACCOUNT_DOC), ()))
        (row,) = store.scans()
        assert (row.id, row.accounts, row.totals) == (scan_id, (ACCOUNT,), {"FAIL": 1, "PASS": 1})
        assert row.pass_rate == 0.5
        back = store.findings(scan_id)
        assert [(f.fingerprint, f.status, f.evidence, f.title) for f in back] == [
            (f.fingerprint, f.status, f.evidence, f.title) for f in recorded.findings]
        (state,) = store.resources(scan_id, ACCOUNT).values()
        assert (state.type, state.arn, state.load()) == ("s3.buckets", "arn:aws:s3:::b",
                                                         {"Name": "b", "Policy": None})


def test_an_unchanged_rescan_stores_no_new_blob(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    resources = account_resources(ACCOUNT_DOC)
    with HistoryStore(path) as store:
        first = store.record(scan([finding("s3_a", Status.FAIL, evidence={"x": 1})]),
                             stage(ACCOUNT, resources, ()))
        blobs = _count(path, "blobs")
        known = {s.config_hash for s in store.resources(first, ACCOUNT).values()}
        staged = stage(ACCOUNT, resources, known)
        assert all(s.blob is None for s in staged), "a known configuration is not even compressed"
        store.record(scan([finding("s3_a", Status.FAIL, evidence={"x": 1})], "2026-05-02T08:00:00+00:00"),
                     staged)
    assert _count(path, "blobs") == blobs
    assert _count(path, "resources") == 2


def test_a_write_that_fails_halfway_leaves_no_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        store.record(scan([finding("s3_a", Status.FAIL)]))

        def broken(conn: object, blobs: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(HistoryStore, "_put", staticmethod(broken))
        with pytest.raises(OSError, match="disk full"):
            store.record(scan([finding("s3_a", Status.PASS)], "2026-05-02T08:00:00+00:00"))
    assert (_count(path, "scans"), _count(path, "findings"), _count(path, "scan_accounts")) == (1, 1, 1)


def _killed_mid_write(path: str) -> None:
    """A child that dies (no cleanup at all) after the findings are inserted, before COMMIT."""
    def die(conn: object, blobs: object) -> None:
        if _count(Path(path), "scans") == 0:  # another connection does not see the open transaction
            os._exit(17)

    history_io.HistoryStore._put = staticmethod(die)  # type: ignore[method-assign]
    with HistoryStore(Path(path)) as store:
        store.record(scan([finding("s3_a", Status.FAIL, evidence={"e": 1})]))


def test_a_process_killed_mid_write_leaves_no_half_scan(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    HistoryStore(path).close()
    child = multiprocessing.get_context("spawn").Process(target=_killed_mid_write, args=(str(path),))
    child.start()
    child.join(60)
    assert child.exitcode == 17
    with HistoryStore(path) as store:
        assert store.scans() == []
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store.record(scan([finding("s3_a", Status.FAIL)]))  # and the store is still writable
    assert _count(path, "scans") == 1


def _writer(path: str, n: int, tag: str) -> None:
    for i in range(n):
        with HistoryStore(Path(path)) as store:
            store.record(scan([finding(f"s3_{tag}_{j}", Status.FAIL, evidence={"i": i, "j": j})
                               for j in range(50)], f"2026-05-01T08:{i:02d}:00+00:00"))


def test_concurrent_writers_neither_fail_nor_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    ctx = multiprocessing.get_context("spawn")
    writers = [ctx.Process(target=_writer, args=(str(path), 5, tag)) for tag in ("a", "b", "c")]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0, 0, 0]
    with HistoryStore(path) as store:
        assert len(store.scans()) == 15
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _count(path, "findings") == 15 * 50


def test_prune_keeps_the_newest_and_drops_unreferenced_blobs(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as store:
        for day in range(1, 5):
            store.record(scan([finding("s3_a", Status.FAIL, evidence={"day": day})],
                              f"2026-05-0{day}T08:00:00+00:00"))
        blobs = _count(path, "blobs")
        assert store.prune(keep=2) == 2
        assert [s.collected_at[:10] for s in store.scans()] == ["2026-05-04", "2026-05-03"]
        assert _count(path, "blobs") == blobs - 2, "the evidence only the pruned scans held is gone"
        assert store.prune(older_than_days=0) == 2
        assert store.scans() == []
