"""The store's file: WAL, versioned schema and migration of an older store; corrupt, foreign,
newer and locked files give one StoreError line and are never written to."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest

from awsaudit.errors import StoreError
from awsaudit.model import Status
from awsaudit.store import db
from awsaudit.store.history import HistoryStore
from tests.store.helpers import finding, scan


def test_a_new_store_is_wal_marked_and_at_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history.sqlite"
    HistoryStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert [r[0] for r in conn.execute("SELECT version FROM migrations ORDER BY version")] == [1, 2]


def test_an_older_store_is_migrated_and_keeps_its_scans(tmp_path: Path) -> None:
    """A schema-1 store (no resource fingerprints) opens, migrates to 2, and its scans still read."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    db.migrate(conn, path, target=1)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()
    # A scan as release 1 recorded it: the schema-1 tables only.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO blobs VALUES ('c', ?)", (zlib.compress(b"[]"),))
    conn.execute("INSERT INTO scans VALUES (1, 'r', '2026-01-01T00:00:00+00:00', 'e', 'old', 'v1', "
                 "'123456789012', '[]', '{\"FAIL\": 1}', 'c')")
    conn.execute("INSERT INTO scan_accounts VALUES ('123456789012', 1)")
    conn.execute("INSERT INTO findings VALUES (1, 'fp', 's3_check', 'S3 check', 's3', 'high', 'FAIL', "
                 "'123456789012', 'global', 'arn:aws:s3:::b', 'old message', 'h', NULL, 0, NULL)")
    conn.execute("COMMIT")
    conn.close()

    with HistoryStore(path) as migrated:
        assert [s.id for s in migrated.scans()] == [1]
        assert [f.message for f in migrated.findings(1)] == ["old message"]
        assert migrated.resources(1, "123456789012") == {}
        new_id = migrated.record(scan([finding("s3_check", Status.PASS)], "2026-02-01T00:00:00+00:00"))
        assert migrated.latest_pair() is not None
        assert new_id == 2
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION


def _refused(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(StoreError, match=match):
        HistoryStore(path)
    assert path.read_bytes() == before, "a file we cannot use is never written to"


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("my notes, not a database\n" * 10)
    _refused(path, "not an awsaudit history store")


def test_a_corrupt_store_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with HistoryStore(path) as store:
        store.record(scan([finding("s3_check", Status.FAIL)]))
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the header survives, the schema page does not
    path.write_bytes(bytes(data))
    for side in (path.with_name("history.sqlite-wal"), path.with_name("history.sqlite-shm")):
        side.unlink(missing_ok=True)
    _refused(path, "corrupt or not a database")


def test_another_applications_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    _refused(path, "another application")


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    HistoryStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    _refused(path, "newer awsaudit")


def test_a_locked_store_is_one_readable_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "history.sqlite"
    HistoryStore(path).close()
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of recording
    try:
        with HistoryStore(path) as store, pytest.raises(StoreError, match="locked by another process"):
            store.record(scan([finding("s3_check", Status.FAIL)]))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_reading_commands_do_not_create_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no history store yet"):
        HistoryStore(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()
