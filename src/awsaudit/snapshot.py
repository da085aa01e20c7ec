"""The snapshot: everything collected, as versioned JSON saved as `.json.gz`.

Layout: {schema_version, tool_version, collected_at, partition, accounts: {ID: {
account_id, regions_scanned, regions_disabled, global: {service: data},
regions: {REGION: {service: data}}, errors: [...]}}}.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

from awsaudit.errors import SnapshotError
from awsaudit.model import Json

SCHEMA_VERSION = 1
KIND = "awsaudit-snapshot"


def new(tool_version: str, collected_at: str, partition: str = "aws") -> Json:
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "tool_version": tool_version,
        "collected_at": collected_at,
        "partition": partition,
        "accounts": {},
    }


def save(snapshot: Json, path: Path) -> None:
    """Write atomically (temp file + rename) so an interrupted save never leaves half a snapshot."""
    data = json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".gz":
        tmp.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
    else:
        tmp.write_bytes(data)
    tmp.replace(path)


def load(path: Path) -> Json:
    """Read and validate a snapshot; anything else is refused with one readable line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from None
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data: Any = json.loads(raw)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not an awsaudit snapshot (not gzip/JSON: {exc})") from None
    return validate(data, str(path))


def validate(data: Any, origin: str = "snapshot") -> Json:
    if not isinstance(data, dict) or data.get("kind") != KIND or "schema_version" not in data:
        raise SnapshotError(f"{origin}: not an awsaudit snapshot (no kind/schema_version)")
    version = data["schema_version"]
    if version != SCHEMA_VERSION:
        raise SnapshotError(
            f"{origin}: snapshot schema version {version!r} is not supported "
            f"(this awsaudit reads version {SCHEMA_VERSION})"
        )
    accounts = data.get("accounts")
    if not isinstance(accounts, dict) or not all(isinstance(a, dict) for a in accounts.values()):
        raise SnapshotError(f"{origin}: malformed snapshot: 'accounts' must map account IDs to objects")
    for account_id, account in accounts.items():
        for part in ("global", "regions"):
            if not isinstance(account.get(part, {}), dict):
                raise SnapshotError(
                    f"{origin}: malformed snapshot: accounts.{account_id}.{part} is not an object"
                )
    return data
