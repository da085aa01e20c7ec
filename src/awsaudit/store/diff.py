"""What changed between two scans of an account: findings and resource configurations.

Findings are matched by fingerprint (check, account, region, resource: the same in every
scan). A finding is *open* when it FAILs (unmuted): the categories a security team acts on are

    new            open now, not open before (absent, or PASS/UNKNOWN/... then)
    resolved       open before, not open now (PASS, muted, or the resource is gone)
    still open     open in both; `evidence_changed` when the deciding configuration moved
    status changed any other change of status (UNKNOWN -> PASS, PASS -> MANUAL, ...)

Resources are matched by (type, region, ARN); a changed configuration hash gives a
field-level diff: keys added, removed or changed, by path (`IpPermissions[2].IpRanges[0]`).
Lists are compared as multisets, so a rule moved within a list is no change, and an
element changed in place is diffed inside when it is the only one removed at that index.

Everything here is pure (plain data in, JSON-able data out), for the store, the snapshot
files diff and the HTML report alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from awsaudit.model import Finding, Json, Status, canonical_json
from awsaudit.store.resources import Resource

MAX_VALUE_CHARS = 300
"""Values in a field change are cut to this length (a whole policy document fits many times)."""


def _open(f: Finding | None) -> bool:
    return f is not None and f.status is Status.FAIL


def _entry(f: Finding, before: Finding | None = None) -> Json:
    return {
        "fingerprint": f.fingerprint,
        "check_id": f.check_id,
        "title": f.title,
        "severity": str(f.severity),
        "account": f.account,
        "region": f.region,
        "resource": f.resource,
        "status": str(f.status),
        "before": str(before.status) if before is not None else None,
        "message": f.message,
    }


@dataclass(frozen=True)
class FindingDiff:
    new: list[Json] = field(default_factory=list)
    resolved: list[Json] = field(default_factory=list)
    still_open: list[Json] = field(default_factory=list)
    status_changed: list[Json] = field(default_factory=list)

    def to_json(self) -> Json:
        return {"new": self.new, "resolved": self.resolved, "still_open": self.still_open,
                "status_changed": self.status_changed}


def diff_findings(old: Iterable[Finding], new: Iterable[Finding]) -> FindingDiff:
    """The four categories above, each sorted worst severity first, then by check and resource."""
    before = {f.fingerprint: f for f in old}
    after = {f.fingerprint: f for f in new}
    result = FindingDiff()
    for fp, now in after.items():
        then = before.get(fp)
        if _open(now) and not _open(then):
            result.new.append(_entry(now, then))
        elif _open(now) and then is not None:
            result.still_open.append({**_entry(now, then),
                                      "evidence_changed": now.evidence_hash != then.evidence_hash})
        elif then is not None and _open(then):
            result.resolved.append({**_entry(now, then), "gone": False})
        elif then is not None and then.status is not now.status:
            result.status_changed.append(_entry(now, then))
    for fp, then in before.items():
        if fp not in after and _open(then):
            result.resolved.append({**_entry(then, then), "status": None, "gone": True})
    for rows in (result.new, result.resolved, result.still_open, result.status_changed):
        rows.sort(key=_finding_order)
    return result


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _finding_order(row: Json) -> tuple[Any, ...]:
    return (_SEVERITY_ORDER.get(row["severity"], 9), row["check_id"], row["account"], row["resource"])


# --- resources ----------------------------------------------------------------------------------


def _short(value: Any) -> Any:
    """A value as shown in a change: scalars as they are, structures as (cut) canonical JSON."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else canonical_json(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _change(path: str, kind: str, before: Any = None, after: Any = None) -> Json:
    change: Json = {"path": path or "(whole)", "change": kind}
    if kind != "added":
        change["before"] = _short(before)
    if kind != "removed":
        change["after"] = _short(after)
    return change


def field_changes(before: Any, after: Any, path: str = "") -> list[Json]:
    """Keys added, removed and changed from `before` to `after`, by path; [] when equal."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[Json] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in after:
                changes.append(_change(sub, "removed", before[key]))
            elif key not in before:
                changes.append(_change(sub, "added", after=after[key]))
            else:
                changes += field_changes(before[key], after[key], sub)
        return changes
    if isinstance(before, list) and isinstance(after, list):
        return _list_changes(before, after, path)
    if canonical_json(before) != canonical_json(after):
        return [_change(path, "changed", before, after)]
    return []


def _list_changes(before: list[Any], after: list[Any], path: str) -> list[Json]:
    remaining = Counter(canonical_json(v) for v in after)
    removed: list[tuple[int, Any]] = []
    for i, value in enumerate(before):
        key = canonical_json(value)
        if remaining[key]:
            remaining[key] -= 1
        else:
            removed.append((i, value))
    left = Counter(canonical_json(v) for v in before)
    added: list[tuple[int, Any]] = []
    for j, value in enumerate(after):
        key = canonical_json(value)
        if left[key]:
            left[key] -= 1
        else:
            added.append((j, value))
    changes: list[Json] = []
    added_at = dict(added)
    for i, value in removed:
        if i in added_at and isinstance(value, dict) and isinstance(added_at[i], dict):
            changes += field_changes(value, added_at.pop(i), f"{path}[{i}]")
        else:
            changes.append(_change(f"{path}[{i}]", "removed", value))
    changes += [_change(f"{path}[{j}]", "added", after=v) for j, v in sorted(added_at.items())]
    return changes


@dataclass(frozen=True, slots=True)
class ResourceState:
    """A resource as the diff sees it: its identity, its hash, and how to get its configuration."""

    type: str
    region: str
    arn: str
    config_hash: str
    load: Callable[[], Json | None]
    """The configuration (None: not stored, e.g. a scan recorded before resources were)."""

    @property
    def key(self) -> str:
        return "\x1f".join((self.type, self.region, self.arn))

    @classmethod
    def of(cls, resource: Resource) -> ResourceState:
        config = resource.config
        return cls(resource.type, resource.region, resource.arn, resource.config_hash, lambda: config)


def diff_resources(old: Mapping[str, ResourceState], new: Mapping[str, ResourceState]) -> Json:
    """Resources added, removed and changed (with their field changes), by type then ARN."""
    def ident(r: ResourceState) -> Json:
        return {"type": r.type, "region": r.region, "arn": r.arn}

    def order(row: Json) -> tuple[str, str, str]:
        return (row["type"], row["arn"], row["region"])

    added = sorted((ident(r) for k, r in new.items() if k not in old), key=order)
    removed = sorted((ident(r) for k, r in old.items() if k not in new), key=order)
    changed = []
    for key, now in new.items():
        then = old.get(key)
        if then is None or then.config_hash == now.config_hash:
            continue
        before, after = then.load(), now.load()
        if before is None or after is None:
            changes = [{"path": "(whole)", "change": "changed", "before": "(configuration not stored)",
                        "after": "(configuration not stored)" if after is None else "(see the scan)"}]
        else:
            changes = field_changes(before, after)
        changed.append({**ident(now), "changes": changes})
    changed.sort(key=order)
    return {"added": added, "removed": removed, "changed": changed}


def account_drift(
    account: str,
    baseline: Json | None,
    old_findings: Sequence[Finding],
    new_findings: Sequence[Finding],
    resources: Json,
) -> Json:
    """The drift of one account against its baseline scan ({"scan", "collected_at", ...}; None:
    this is its first scan, nothing to compare). `resources` is diff_resources' result."""
    if baseline is None:
        return {"account": account, "baseline": None}
    return {
        "account": account,
        "baseline": baseline,
        "findings": diff_findings(old_findings, new_findings).to_json(),
        "resources": resources,
    }


def totals(drift: Sequence[Json]) -> dict[str, int]:
    """Counts over the accounts of a drift: what the one-line summary says."""
    counts: Counter[str] = Counter()
    for account in drift:
        for name, rows in (account.get("findings") or {}).items():
            counts[name] += len(rows)
        for name, rows in (account.get("resources") or {}).items():
            counts[f"resources_{name}"] += len(rows)
    keys = ("new", "resolved", "still_open", "status_changed", "resources_added", "resources_removed",
            "resources_changed")
    return {k: counts[k] for k in keys}
