"""The snapshot: everything collected, as versioned JSON saved in one `.json.gz` file.

In memory (schema 2): {kind, schema_version, tool_version, collected_at, partition,
accounts: {ID: {account_id, regions_scanned, regions_disabled, global: {service: data},
regions: {REGION: {service: data}}, errors: [...]}}, incomplete?}.

On disk (schema 2) the file is JSON Lines in a gzip stream, one gzip member per record:
a header record, one `{"account_id", "account"}` record per account, appended (and fsynced)
as soon as that account is collected, and an end record `{"end": {accounts, complete,
reason}}`. An organization scan that dies keeps every account it finished; a reader never
needs more memory than the largest account. A file without the end record loads as
incomplete; a truncated last member is dropped with a warning.

An Organization scan adds `organization_scan` (collect/organization.py): the header holds every
account's planned outcome, the end record each one's final outcome; `organization_scan()`
merges them (load() puts the result in the document).

Schema 1 (one gzip'd JSON document) still loads, through MIGRATIONS; a newer schema is
refused with one readable line.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import zlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from awsaudit.errors import SnapshotError
from awsaudit.model import Json
from awsaudit.untrusted import limits

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
KIND = "awsaudit-snapshot"
NO_END = "the collection did not finish (the snapshot has no end record)"
_CHUNK = 1 << 20


def new(tool_version: str, collected_at: str, partition: str = "aws") -> Json:
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "tool_version": tool_version,
        "collected_at": collected_at,
        "partition": partition,
        "accounts": {},
    }


def header_of(snapshot: Json) -> Json:
    """Everything but the accounts (and the incompleteness, which the end record carries)."""
    header = {k: v for k, v in snapshot.items() if k not in ("accounts", "incomplete")}
    return {**header, "kind": KIND, "schema_version": SCHEMA_VERSION}


# --- migrations ---------------------------------------------------------------------------


def migrate_1_to_2(document: Json) -> Json:
    """Schema 2 changed the file layout (one shard per account), not the account documents."""
    return {**document, "schema_version": 2}


MIGRATIONS: dict[int, Callable[[Json], Json]] = {1: migrate_1_to_2}
"""version N -> a function taking a document of version N to N+1.

A migration sees a whole document ({header..., accounts: {...}}); shards are migrated one at
a time as single-account documents, so a migration must not look across accounts.
"""


def migrate(document: Json, origin: str = "snapshot") -> Json:
    """Step a document up to SCHEMA_VERSION, or refuse a version this awsaudit cannot read."""
    version = document.get("schema_version")
    while version != SCHEMA_VERSION:
        if not isinstance(version, int) or isinstance(version, bool) or version not in MIGRATIONS:
            raise SnapshotError(
                f"{origin}: snapshot schema version {version!r} is not supported "
                f"(this awsaudit reads versions {min(MIGRATIONS)} to {SCHEMA_VERSION})"
            )
        document = MIGRATIONS[version](document)
        version = document.get("schema_version")
    return document


# --- writing ------------------------------------------------------------------------------


class SnapshotWriter:
    """Append a schema-2 snapshot record by record; every record is durable once written.

    Usable as a context manager: leaving it on an exception closes the file as incomplete.
    """

    def __init__(self, path: Path, header: Json, *, compress: bool | None = None) -> None:
        """compress: gzip each record (default: when the name ends in .gz)."""
        self.path = path
        self.accounts = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = path.open("wb")
        self._compress = path.suffix == ".gz" if compress is None else compress
        self._append({**header, "kind": KIND, "schema_version": SCHEMA_VERSION})

    def _append(self, record: Json) -> None:
        if self._file is None:
            raise ValueError(f"{self.path}: snapshot writer is closed")
        line = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"
        self._file.write(gzip.compress(line, compresslevel=6, mtime=0) if self._compress else line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def add_account(self, account_id: str, account: Json) -> None:
        self._append({"account_id": account_id, "account": account})
        self.accounts += 1

    def close(self, complete: bool = True, reason: str | None = None, extra: Json | None = None) -> None:
        """Write the end record; a reader treats a file without it as an interrupted collection.

        extra: more end-record fields (an Organization scan's final `organization_scan`)."""
        if self._file is None:
            return
        self._append({"end": {**(extra or {}), "accounts": self.accounts, "complete": complete,
                              "reason": reason}})
        self._file.close()
        self._file = None

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
        else:
            reason = "interrupted by the user" if isinstance(exc, KeyboardInterrupt) else f"failed: {exc}"
            self.close(complete=False, reason=reason)


def save(snapshot: Json, path: Path) -> None:
    """Write a whole in-memory snapshot atomically (temp file + rename): a save never leaves half a file."""
    document = validate(snapshot)
    tmp = path.with_name(path.name + ".tmp")
    writer = SnapshotWriter(tmp, header_of(document), compress=path.suffix == ".gz")
    for account_id, account in document["accounts"].items():
        writer.add_account(account_id, account)
    incomplete = document.get("incomplete")
    writer.close(complete=not incomplete, reason=str(incomplete) if incomplete else None)
    tmp.replace(path)


# --- reading ------------------------------------------------------------------------------


def _gzip_members(
    stream: BinaryIO, origin: str, truncated: Callable[[], None], limit: int
) -> Iterator[bytes]:
    """Each gzip member's content, decompressed; a truncated last member is dropped with a warning.

    A member that decompresses past `limit` bytes is refused before it is held in memory (a
    gzip bomb is ~1,000 times its size): decompression is asked for at most what still fits.
    """
    buffer = b""
    while True:
        if not buffer:
            buffer = stream.read(_CHUNK)
            if not buffer:
                return
        decompressor = zlib.decompressobj(wbits=31)  # 31: expect a gzip header and trailer
        parts: list[bytes] = []
        size = 0
        while True:
            try:
                part = decompressor.decompress(buffer, limit + 1 - size)
            except zlib.error as exc:
                raise SnapshotError(f"{origin}: not an awsaudit snapshot (corrupt gzip: {exc})") from None
            parts.append(part)
            size += len(part)
            if size > limit:
                raise limits.too_large(origin, "snapshot record (decompressed)", limit)
            if decompressor.eof:
                buffer = decompressor.unused_data
                break
            if decompressor.unconsumed_tail:
                buffer = decompressor.unconsumed_tail
                continue
            buffer = stream.read(_CHUNK)
            if not buffer:
                log.warning("%s: the last record is truncated and was dropped", origin)
                truncated()
                return
        yield b"".join(parts)


def _records(path: Path, truncated: Callable[[], None]) -> Generator[Any, None, None]:
    """The file's records: one per gzip member (schema 2), or the lines/document of plain JSON.

    Plain JSON must start with `{` (so /dev/zero or a binary file is refused at its first
    byte) and is read up to the record limit; nesting too deep for the parser is refused.
    """
    origin = str(path)
    limit = limits.record_limit()
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from None
    with stream:
        try:
            start = stream.read(2)
            if start != b"\x1f\x8b":
                first = (start + stream.read(_CHUNK)).lstrip()[:1]
                if first != b"{":
                    raise SnapshotError(
                        f"{origin}: not an awsaudit snapshot (neither gzip nor a JSON object)"
                    )
                stream.seek(0)
                raw = stream.read(limit + 1)
                if len(raw) > limit:
                    raise limits.too_large(origin, "snapshot (uncompressed JSON)", limit)
                text = raw.decode("utf-8")
                del raw
                try:
                    yield limits.loads(text)  # schema 1, or anything else that is one document
                except json.JSONDecodeError:
                    for line in text.splitlines():
                        if line.strip():
                            yield limits.loads(line)
                return
            stream.seek(0)
            for member in _gzip_members(stream, origin, truncated, limit):
                for line in member.decode("utf-8").splitlines():
                    if line.strip():
                        yield limits.loads(line)
        except OSError as exc:
            raise SnapshotError(f"{origin}: cannot read snapshot: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotError(f"{origin}: not an awsaudit snapshot (not gzip/JSON: {exc})") from None
        except limits.NestingTooDeepError as exc:
            raise SnapshotError(f"{origin}: not an awsaudit snapshot (JSON {exc})") from None
        except MemoryError:
            raise SnapshotError(f"{origin}: a snapshot record does not fit in memory "
                                f"(lower {limits.INPUT_LIMIT_ENV} to refuse it sooner)") from None


class SnapshotReader:
    """One pass over a snapshot file: `header`, then `accounts()` one migrated account at a time.

    After `accounts()` is exhausted, `incomplete` holds the reason the collection is partial
    (no end record, an end record saying so, a truncated record), or None.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.incomplete: str | None = None
        self.end: Json = {}
        """The end record, once `accounts()` is exhausted ({} when there is none)."""
        self.collected: list[str] = []
        """The accounts read so far, in file order."""
        self._truncated = False
        self._records = _records(path, self._mark_truncated)
        self._legacy: Json | None = None
        first = next(self._records, None)
        if not isinstance(first, dict) or first.get("kind") != KIND or "schema_version" not in first:
            self._records.close()
            raise SnapshotError(f"{path}: not an awsaudit snapshot (no kind/schema_version)")
        version = first["schema_version"]
        if version != SCHEMA_VERSION or "accounts" in first:  # a whole document (schema 1), or refused
            self._records.close()
            self._legacy = validate(first, str(path))
            self.header = header_of(self._legacy)
        else:
            self.header = header_of(first)
        partition = self.header.get("partition", "aws")
        if not isinstance(partition, str) or not partition.startswith("aws"):
            raise SnapshotError(
                f"{path}: malformed snapshot: partition {partition!r} is not an AWS partition"
            )

    def organization_scan(self) -> Json | None:
        """After `accounts()`: the Organization scan's coverage (None for a single-account scan).

        The header holds the plan (every listed account; the selected ones `pending`), the end
        record each account's outcome; without an end record, a pending account whose shard is
        in the file was assessed, and the others were not collected.
        """
        return organization_scan(self.header.get("organization_scan"), self.end.get("organization_scan"),
                                 self.collected)

    def _mark_truncated(self) -> None:
        self._truncated = True

    def accounts(self) -> Iterator[tuple[str, Json]]:
        if self._legacy is not None:
            incomplete = self._legacy.get("incomplete")
            self.incomplete = str(incomplete) if incomplete else None
            self.collected = list(self._legacy["accounts"])
            yield from self._legacy["accounts"].items()
            return
        origin = str(self.path)
        ended = False
        for record in self._records:
            if not isinstance(record, dict):
                raise SnapshotError(f"{origin}: malformed snapshot record (not an object)")
            if "end" in record:
                end = record["end"] if isinstance(record["end"], dict) else {}
                self.end = end
                if not end.get("complete", False):
                    self.incomplete = str(end.get("reason") or "the collection is incomplete")
                ended = True
                continue
            account_id, account = record.get("account_id"), record.get("account")
            if not isinstance(account_id, str) or not isinstance(account, dict):
                raise SnapshotError(f"{origin}: malformed snapshot record (no account_id/account)")
            _check_account(account_id, account, origin)
            self.collected.append(account_id)
            document = migrate({**self.header, "accounts": {account_id: account}}, origin)
            yield account_id, conform(document["accounts"][account_id])
        if self._truncated:
            self.incomplete = f"{self.incomplete or NO_END}; its last record was truncated"
        elif not ended:
            self.incomplete = NO_END


def read_header(path: Path) -> Json:
    """The snapshot's header (kind, schema_version, tool_version, collected_at, partition ...)."""
    reader = SnapshotReader(path)
    reader._records.close()
    return reader.header


def iter_accounts(path: Path) -> Iterator[tuple[str, Json]]:
    """(account id, account document) one at a time, migrated: memory bounded by the largest account."""
    yield from SnapshotReader(path).accounts()


PENDING = "pending"
NOT_COLLECTED = "not_collected"


def organization_scan(planned: Any, final: Any, collected: list[str]) -> Json | None:
    """An Organization scan's coverage from the header's plan and the end record's outcomes."""
    if not isinstance(planned, dict):
        return None
    accounts = {k: dict(v) for k, v in (planned.get("accounts") or {}).items() if isinstance(v, dict)}
    outcomes = final.get("accounts") if isinstance(final, dict) else None
    for account_id, outcome in (outcomes or {}).items():
        if isinstance(outcome, dict):
            accounts.setdefault(account_id, {}).update(outcome)
    present = set(collected)
    for account_id, entry in accounts.items():
        if account_id in present:  # a shard is written only once its account is complete
            if entry.get("outcome") != "assessed":
                entry.pop("reason", None)
                entry["outcome"] = "assessed"
        elif entry.get("outcome") == PENDING:
            entry.update(outcome=NOT_COLLECTED, reason=NO_END)
    return {**planned, **{k: v for k, v in (final or {}).items() if k != "accounts"}, "accounts": accounts}


def load(path: Path) -> Json:
    """The whole snapshot in memory (schema-2 form); anything unreadable is one readable SnapshotError."""
    reader = SnapshotReader(path)
    snapshot = {**reader.header, "accounts": dict(reader.accounts())}
    if reader.incomplete:
        snapshot["incomplete"] = reader.incomplete
    coverage = reader.organization_scan()
    if coverage is not None:
        snapshot["organization_scan"] = coverage
    return snapshot


def validate(data: Any, origin: str = "snapshot") -> Json:
    """An in-memory document checked and migrated to SCHEMA_VERSION; refused with one line otherwise."""
    if not isinstance(data, dict) or data.get("kind") != KIND or "schema_version" not in data:
        raise SnapshotError(f"{origin}: not an awsaudit snapshot (no kind/schema_version)")
    document = migrate(data, origin)
    accounts = document.get("accounts")
    if not isinstance(accounts, dict) or not all(isinstance(a, dict) for a in accounts.values()):
        raise SnapshotError(f"{origin}: malformed snapshot: 'accounts' must map account IDs to objects")
    for account_id, account in accounts.items():
        _check_account(account_id, account, origin)
    if any(conform(account) is not account for account in accounts.values()):
        document = {**document, "accounts": {k: conform(a) for k, a in accounts.items()}}
    return document


def _check_account(account_id: str, account: Json, origin: str) -> None:
    for part in ("global", "regions"):
        if not isinstance(account.get(part, {}), dict):
            raise SnapshotError(
                f"{origin}: malformed snapshot: accounts.{account_id}.{part} is not an object"
            )


# --- conforming -------------------------------------------------------------------------------
# A snapshot comes from a client, so any part of it may have the wrong type: `users` a string,
# a region's `ec2` a number, `iam.account` a list. Checks must then say UNKNOWN with the reason,
# never crash and never PASS (a dict where the list of security groups belongs used to yield
# PASS; `iam.account = []` made the root and password-policy findings vanish). So every reader
# conforms each account at load: a part that does not fit becomes a gap recorded where the
# checks look for it (`_errors`) and in the account's `errors`, which coverage shows.

SINGULAR = frozenset({
    "accessanalyzer.region",
    "account.contacts",
    "config.region",
    "ec2.ebs",
    "iam.account",
    "macie2.session",
    "organizations.organization",
    "s3.account",
    "securityhub.hub",
})
"""Collections that hold one object (an account's or a region's settings). Every other collection
is a list of objects; a collector that adds a singular one adds it here (a test over the demo
snapshot keeps the two in step)."""
MALFORMED = "MalformedSnapshot"
ERROR_FIELDS = ("service", "region", "code")


_KINDS: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


class _Problems:
    """What conform() replaced, as the account's error records."""

    def __init__(self) -> None:
        self.records: list[Json] = []

    def add(self, service: str, region: str, where: str, problem: str) -> str:
        message = f"{MALFORMED}: {where}: {problem}"
        self.records.append({"service": service, "region": region, "operation": "LoadSnapshot",
                             "resource": where, "code": MALFORMED, "message": message})
        return message


def _collection_problem(path: str, value: Any) -> str | None:
    if path in SINGULAR:
        return None if isinstance(value, dict) else f"expected an object, got {_kind(value)}"
    if not isinstance(value, list):
        return f"expected a list of objects, got {_kind(value)}"
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            return f"item {index} is {_kind(item)}, not an object"
    return None


def _conform_service(service: str, region: str, data: Any, problems: _Problems) -> Any:
    if not isinstance(data, dict):
        where = service if region == "global" else f"{region}.{service}"
        reason = problems.add(service, region, where, f"expected an object, got {_kind(data)}")
        return {"_errors": {"*": reason}}
    fixed: Json | None = None
    errors = data.get("_errors", {})
    if not isinstance(errors, dict):
        fixed = dict(data)
        fixed["_errors"] = errors = {"*": problems.add(service, region, f"{service}._errors",
                                                       f"expected an object, got {_kind(errors)}")}
    for key, value in data.items():
        if not isinstance(key, str) or key.startswith("_"):
            continue
        problem = _collection_problem(f"{service}.{key}", value)
        if problem is None:
            continue
        if fixed is None:
            fixed = dict(data)
            fixed["_errors"] = errors = dict(errors)
        del fixed[key]
        errors[key] = problems.add(service, region, f"{service}.{key}", problem)
    return data if fixed is None else fixed


def _conform_part(part: Json, region: str, problems: _Problems) -> Json:
    fixed = {service: _conform_service(service, region, data, problems) for service, data in part.items()}
    return part if all(fixed[k] is part[k] for k in part) else fixed


def _valid_error(record: Any) -> bool:
    return isinstance(record, dict) and all(isinstance(record.get(k), str) for k in ERROR_FIELDS)


def conform(account: Json) -> Json:
    """The account with every ill-typed part turned into a recorded gap (see above).

    A well-formed account is returned as it is (the same object, not a copy); otherwise a
    shallow copy is made of what changed. `global` and `regions` that are not objects were
    already refused (one line) by _check_account.
    """
    problems = _Problems()
    out = dict(account)
    out["global"] = _conform_part(account.get("global", {}), "global", problems)
    regions: Json = {}
    for region, part in account.get("regions", {}).items():
        if isinstance(part, dict):
            regions[str(region)] = _conform_part(part, str(region), problems)
        else:
            problems.add("snapshot", str(region), f"regions.{region}",
                         f"expected an object of services, got {_kind(part)}")
            regions[str(region)] = {}  # every service of the region: not collected
    out["regions"] = regions
    errors = account.get("errors", [])
    if not isinstance(errors, list):
        problems.add("snapshot", "global", "errors", f"expected a list of error records, got {_kind(errors)}")
        errors = []
    valid = [e for e in errors if _valid_error(e)]
    if len(valid) != len(errors):
        problems.add("snapshot", "global", "errors",
                     f"{len(errors) - len(valid)} error record(s) without service, region and code dropped")
    for key in ("regions_scanned", "regions_disabled", "regions_requested"):
        value = account.get(key, [])
        if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
            problems.add("snapshot", "global", key, f"expected a list of region names, got {_kind(value)}")
            out[key] = sorted(regions) if key == "regions_scanned" else []
    for key in ("account_id", "_arn", "home_region"):
        if key in account and not isinstance(account[key], str):
            problems.add("snapshot", "global", key, f"expected a string, got {_kind(account[key])}")
            del out[key]
    if not problems.records:
        return account
    out["errors"] = [*valid, *problems.records]
    return out
