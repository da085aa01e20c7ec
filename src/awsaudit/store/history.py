"""Recording scans in the history store, and reading them back: list, load, previous, trend, prune.

Size: findings keep their own small columns; evidence, check metadata and resource
configurations go into `blobs`, keyed by the hash of their canonical JSON and compressed, so
each distinct value is stored once however many scans carry it. An unchanged account re-scanned
adds one row per finding and per resource, and no blob. Staging (`stage`) compresses only the
configurations whose hash differs from the account's previous scan: the common case costs
no compression and no memory, and the account document can be dropped right after.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

from awsaudit.model import Finding, Json, Objective, Severity, Status, evidence_hash
from awsaudit.report.compliance import pass_rate
from awsaudit.report.scan_result import CheckMeta, ScanResult
from awsaudit.store import db
from awsaudit.store.diff import ResourceState
from awsaudit.store.resources import Resource, compress, decompress


@dataclass(frozen=True, slots=True)
class ScanRow:
    """One recorded scan, as `awsaudit history` lists it."""

    id: int
    recorded_at: str
    collected_at: str
    evaluated_at: str
    source: str
    tool_version: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    totals: dict[str, int]

    @property
    def pass_rate(self) -> float | None:
        return pass_rate(Counter({Status(k): v for k, v in self.totals.items()}))

    def baseline(self) -> Json:
        return {"scan": self.id, "collected_at": self.collected_at, "source": self.source}

    def to_json(self) -> Json:
        return {"id": self.id, "recorded_at": self.recorded_at, "collected_at": self.collected_at,
                "evaluated_at": self.evaluated_at, "source": self.source,
                "tool_version": self.tool_version, "accounts": list(self.accounts),
                "regions": list(self.regions), "totals": self.totals, "pass_rate": self.pass_rate}


@dataclass(frozen=True, slots=True)
class Staged:
    """A resource ready to be recorded: the compressed configuration only when it is new."""

    account: str
    type: str
    region: str
    arn: str
    config_hash: str
    blob: bytes | None


def stage(account: str, resources: Mapping[str, Resource], known_hashes: Iterable[str]) -> list[Staged]:
    """The rows to record for one account; configurations already stored (known) are not compressed."""
    known = set(known_hashes)
    rows = []
    for r in resources.values():
        h = r.config_hash
        rows.append(Staged(account, r.type, r.region, r.arn, h, None if h in known else compress(r.config)))
    return rows


_SCAN_COLUMNS = ("id, recorded_at, collected_at, evaluated_at, source, tool_version, accounts, regions, "
                 "totals")


def _scan_row(row: Sequence[Any]) -> ScanRow:
    return ScanRow(int(row[0]), row[1], row[2], row[3], row[4], row[5],
                   tuple(a for a in str(row[6]).split(",") if a), tuple(json.loads(row[7])),
                   dict(json.loads(row[8])))


class HistoryStore:
    """The store at `path`; every sqlite3 error leaves as one StoreError line."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self.conn = db.connect(path, create=create)

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # --- writing ---------------------------------------------------------------------------------

    def record(self, scan: ScanResult, resources: Iterable[Staged] = ()) -> int:
        """Record a whole scan in one transaction and return its id; nothing is kept if it fails."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        checks = [meta.to_json() for _, meta in sorted(scan.checks.items())]
        checks_hash = evidence_hash(checks)
        totals = {str(s): n for s, n in sorted(scan.totals.items())}
        with db.sqlite_errors(self.path), db.transaction(self.conn) as conn:
            cursor = conn.execute(
                "INSERT INTO scans (recorded_at, collected_at, evaluated_at, source, tool_version, "
                "accounts, regions, totals, checks_blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, scan.info.collected_at, scan.info.evaluated_at, scan.info.source,
                 scan.info.tool_version, ",".join(sorted(scan.info.accounts)),
                 json.dumps(list(scan.info.regions)), json.dumps(totals), checks_hash))
            scan_id = int(cursor.lastrowid or 0)
            conn.executemany("INSERT INTO scan_accounts VALUES (?, ?)",
                             [(a, scan_id) for a in sorted(set(scan.info.accounts))])
            self._put(conn, [(checks_hash, compress(checks))])
            blobs: dict[str, bytes] = {}
            rows = []
            for f in scan.findings:
                key = None
                if f.evidence is not None:
                    key = f.evidence_hash
                    if key not in blobs:
                        blobs[key] = compress(f.evidence)
                rows.append((scan_id, f.fingerprint, f.check_id, f.title, f.area, str(f.severity),
                             str(f.status), f.account, f.region, f.resource, f.message, f.evidence_hash, key,
                             int(f.check_error), json.dumps(f.mute) if f.mute is not None else None))
            self._put(conn, blobs.items())
            conn.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 15)})", rows)
            staged = list(resources)
            self._put(conn, ((s.config_hash, s.blob) for s in staged if s.blob is not None))
            conn.executemany("INSERT OR IGNORE INTO resources VALUES (?, ?, ?, ?, ?, ?)",
                             [(scan_id, s.account, s.region, s.type, s.arn, s.config_hash) for s in staged])
        return scan_id

    @staticmethod
    def _put(conn: Any, blobs: Iterable[tuple[str, bytes]]) -> None:
        conn.executemany("INSERT OR IGNORE INTO blobs VALUES (?, ?)", blobs)

    def prune(self, keep: int | None = None, older_than_days: int | None = None) -> int:
        """Delete scans beyond the `keep` most recent, or collected more than N days ago; blobs
        no longer referenced go too. Returns how many scans were deleted."""
        with db.sqlite_errors(self.path), db.transaction(self.conn) as conn:
            doomed: set[int] = set()
            if keep is not None:
                doomed |= {r[0] for r in conn.execute(
                    "SELECT id FROM scans ORDER BY collected_at DESC, id DESC LIMIT -1 OFFSET ?", (keep,))}
            if older_than_days is not None:
                cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)).isoformat()
                doomed |= {r[0] for r in conn.execute("SELECT id FROM scans WHERE collected_at < ?",
                                                      (cutoff,))}
            conn.executemany("DELETE FROM scans WHERE id = ?", [(i,) for i in sorted(doomed)])
            conn.execute(
                "DELETE FROM blobs WHERE hash NOT IN (SELECT checks_blob FROM scans) "
                "AND hash NOT IN (SELECT evidence_blob FROM findings WHERE evidence_blob IS NOT NULL) "
                "AND hash NOT IN (SELECT config_hash FROM resources)")
        return len(doomed)

    # --- reading ---------------------------------------------------------------------------------

    def scans(self, limit: int | None = None) -> list[ScanRow]:
        """Recorded scans, newest first."""
        with db.sqlite_errors(self.path):
            rows = self.conn.execute(
                f"SELECT {_SCAN_COLUMNS} FROM scans ORDER BY collected_at DESC, id DESC LIMIT ?",
                (-1 if limit is None else limit,)).fetchall()
        return [_scan_row(r) for r in rows]

    def scan(self, scan_id: int) -> ScanRow | None:
        with db.sqlite_errors(self.path):
            row = self.conn.execute(f"SELECT {_SCAN_COLUMNS} FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return _scan_row(row) if row else None

    def latest_pair(self) -> tuple[ScanRow, ScanRow] | None:
        """The last scan and the one before it of the same accounts (`awsaudit diff` with no argument)."""
        scans = self.scans()
        if not scans:
            return None
        newest = scans[0]
        older = next((s for s in scans[1:] if s.accounts == newest.accounts), None)
        return (older, newest) if older is not None else None

    def previous(self, account: str, collected_before: str) -> ScanRow | None:
        """The latest scan of `account` collected before `collected_before`: what this scan is
        compared with. Strictly before, so auditing the same snapshot again gives the same results."""
        with db.sqlite_errors(self.path):
            row = self.conn.execute(
                f"SELECT {', '.join('s.' + c.strip() for c in _SCAN_COLUMNS.split(','))} FROM scans s "
                "JOIN scan_accounts a ON a.scan_id = s.id WHERE a.account = ? AND s.collected_at < ? "
                "ORDER BY s.collected_at DESC, s.id DESC LIMIT 1", (account, collected_before)).fetchone()
        return _scan_row(row) if row else None

    def _blob(self, key: str) -> Any:
        row = self.conn.execute("SELECT data FROM blobs WHERE hash = ?", (key,)).fetchone()
        return decompress(row[0]) if row else None

    def checks(self, scan_id: int) -> dict[str, CheckMeta]:
        with db.sqlite_errors(self.path):
            row = self.conn.execute("SELECT checks_blob FROM scans WHERE id = ?", (scan_id,)).fetchone()
            metas = self._blob(row[0]) if row else None
        return {m["id"]: CheckMeta.from_json(m) for m in metas or []}

    def findings(self, scan_id: int, account: str | None = None) -> list[Finding]:
        """The findings of a scan (of one account), with titles and controls from its stored metadata."""
        checks = self.checks(scan_id)
        query = ("SELECT check_id, area, severity, status, account, region, resource, message, "
                 "evidence_blob, check_error, mute, title FROM findings WHERE scan_id = ?")
        args: tuple[Any, ...] = (scan_id,)
        if account is not None:
            query, args = query + " AND account = ?", (scan_id, account)
        evidence = cache(self._blob)
        found = []
        with db.sqlite_errors(self.path):
            for row in self.conn.execute(query, args).fetchall():
                meta = checks.get(row[0])
                found.append(Finding(
                    check_id=row[0], title=row[11], status=Status(row[3]),
                    severity=Severity(row[2]),
                    objective=meta.objective if meta else Objective.CONFIDENTIALITY, message=row[7],
                    account=row[4], region=row[5], resource=row[6],
                    evidence=evidence(row[8]) if row[8] else None, area=row[1],
                    controls=dict(meta.controls) if meta else {}, check_error=bool(row[9]),
                    mute=json.loads(row[10]) if row[10] else None))
        return found

    def resources(self, scan_id: int, account: str) -> dict[str, ResourceState]:
        """The resources of one account in a scan; configurations are read only when asked for."""
        with db.sqlite_errors(self.path):
            rows = self.conn.execute("SELECT type, region, arn, config_hash FROM resources "
                                     "WHERE scan_id = ? AND account = ?", (scan_id, account)).fetchall()
        states = [ResourceState(t, r, a, h, self._loader(h)) for t, r, a, h in rows]
        return {s.key: s for s in states}

    def _loader(self, key: str) -> Any:
        def load() -> Json | None:
            with db.sqlite_errors(self.path):
                value = self._blob(key)
            return value if isinstance(value, dict) else None

        return load

    def trend(self, accounts: Sequence[str], limit: int = 12) -> list[Json]:
        """Pass rate per area over the last `limit` scans of exactly these accounts, oldest first."""
        key = ",".join(sorted(accounts))
        with db.sqlite_errors(self.path):
            ids = [r[0] for r in self.conn.execute(
                "SELECT id, collected_at FROM scans WHERE accounts = ? ORDER BY collected_at DESC, id DESC "
                "LIMIT ?", (key, limit))]
            marks = ",".join("?" * len(ids))
            rows = self.conn.execute(
                f"SELECT s.id, s.collected_at, f.area, f.status, count(*) FROM findings f JOIN scans s "
                f"ON s.id = f.scan_id WHERE s.id IN ({marks}) GROUP BY s.id, f.area, f.status",
                ids).fetchall()
        per_scan: dict[tuple[int, str], dict[str, Counter[Status]]] = defaultdict(
            lambda: defaultdict(Counter))
        for scan_id, collected_at, area, status, n in rows:
            per_scan[(scan_id, collected_at)][area or "other"][Status(status)] += n
        return [{"scan": scan_id, "collected_at": collected_at,
                 "areas": {area: pass_rate(c) for area, c in sorted(areas.items())}}
                for (scan_id, collected_at), areas in sorted(per_scan.items(), key=lambda kv: kv[0][1])]
