"""The history store's SQLite file: opening it safely, its versioned schema and migrations.

One file, no server. WAL mode lets readers run while a scan is being recorded, and a busy
timeout makes a second writer wait for the first instead of failing. Writes run in
`BEGIN IMMEDIATE` transactions: the write lock is taken up front, so two writers queue on the
busy timeout rather than deadlocking on a lock upgrade, and a process killed mid-write leaves
no trace (SQLite rolls the unfinished transaction back on the next open).

The file is ours only when its `application_id` says so. Anything else (not SQLite, corrupt,
another program's database, a newer schema) is a StoreError naming the file, and the file is
never written to, let alone replaced.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from awsaudit.errors import StoreError

APPLICATION_ID = 0x41574155  # "AWAU": marks the file as an awsaudit history store
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another process's transaction (recording a big Organization
scan takes seconds, not minutes)."""

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "scans, findings, check metadata, content-addressed blobs",
        """
        CREATE TABLE migrations (
            version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
        CREATE TABLE blobs (hash TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at TEXT NOT NULL,
            collected_at TEXT NOT NULL,
            evaluated_at TEXT NOT NULL,
            source TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            accounts TEXT NOT NULL,
            regions TEXT NOT NULL,
            totals TEXT NOT NULL,
            checks_blob TEXT NOT NULL);
        CREATE TABLE scan_accounts (
            account TEXT NOT NULL,
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            PRIMARY KEY (account, scan_id)) WITHOUT ROWID;
        CREATE TABLE findings (
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            check_id TEXT NOT NULL,
            title TEXT NOT NULL,
            area TEXT NOT NULL,
            severity TEXT NOT NULL,
            status TEXT NOT NULL,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            resource TEXT NOT NULL,
            message TEXT NOT NULL,
            evidence_hash TEXT NOT NULL,
            evidence_blob TEXT,
            check_error INTEGER NOT NULL,
            mute TEXT);
        CREATE INDEX findings_by_scan ON findings (scan_id, account);
        """,
    ),
    (
        2,
        "resource configuration fingerprints (drift between scans)",
        """
        CREATE TABLE resources (
            scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            account TEXT NOT NULL,
            region TEXT NOT NULL,
            type TEXT NOT NULL,
            arn TEXT NOT NULL,
            config_hash TEXT NOT NULL,
            PRIMARY KEY (scan_id, account, type, region, arn)) WITHOUT ROWID;
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def default_path() -> Path:
    """`$XDG_DATA_HOME/awsaudit/history.sqlite`, else `~/.local/share/awsaudit/history.sqlite`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "awsaudit" / "history.sqlite"


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """sqlite3 errors -> one readable StoreError line (the CLI prints it and exits 2)."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise StoreError(
                f"{path}: the history store is locked by another process (waited "
                f"{BUSY_TIMEOUT_S:.0f} s); try again, or pass --db / --no-history"
            ) from None
        raise StoreError(f"{path}: history store error: {text}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path}: the history store is corrupt or not a database ({exc}); it was left "
            "untouched: move it away or pass --db PATH"
        ) from None


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction holding the write lock from its first statement; all or nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _refuse_foreign_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a file that is not a SQLite database at all."""
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a history store file")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the history store: {exc.strerror or exc}") from None
    if head and head != SQLITE_HEADER:
        raise StoreError(
            f"{path}: not an awsaudit history store (not a SQLite database); it was left "
            "untouched: pass --db PATH for another file"
        )


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """An open, migrated connection to the store at `path` (created when missing and `create`)."""
    exists = path.exists()
    if exists:
        _refuse_foreign_file(path)
    elif not create:
        raise StoreError(f"{path}: no history store yet (scans are recorded by demo, scan and audit)")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{path.parent}: cannot create the history folder: {exc.strerror}") from None
    with sqlite_errors(path):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            _prepare(conn, path)
        except BaseException:
            conn.close()
            raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    _check_owner(conn, path)
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # durable in WAL mode except against power loss
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version < SCHEMA_VERSION:
        migrate(conn, path)


def _check_owner(conn: sqlite3.Connection, path: Path) -> None:
    """Ours, empty (new), or refused: another program's database is never written to."""
    app = int(conn.execute("PRAGMA application_id").fetchone()[0])
    tables = int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
    if app == 0 and tables == 0:
        return
    if app != APPLICATION_ID:
        raise StoreError(
            f"{path}: a SQLite database of another application, not an awsaudit history store; "
            "it was left untouched: pass --db PATH for another file"
        )
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}: history store schema {version} was written by a newer awsaudit (this release "
            f"reads up to {SCHEMA_VERSION}); upgrade awsaudit or pass --db PATH"
        )


def migrate(conn: sqlite3.Connection, path: Path, target: int = SCHEMA_VERSION) -> None:
    """Apply the migrations after the file's `user_version`, up to `target`, in one transaction.

    The version is re-read under the write lock, so two processes opening an old store at the
    same time migrate it once.
    """
    with transaction(conn):
        _check_owner(conn, path)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version == 0:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for number, description, script in MIGRATIONS:
            if version < number <= target:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (number, description, now))
                conn.execute(f"PRAGMA user_version = {number}")
