"""The vocabulary shared by checks, the engine and the reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Json = dict[str, Any]


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    MANUAL = "MANUAL"
    """The configuration cannot decide it: the message says what the auditor must look at."""
    MUTED = "MUTED"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for sorting and `--fail-on`."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Objective(StrEnum):
    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"


@dataclass(frozen=True, slots=True)
class Remediation:
    """How to fix a failure. `{name}`-style fields are filled from the resource."""

    console: tuple[str, ...] = ()
    cli: str = ""
    terraform: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check decided about one resource, and the data that decided it."""

    status: Status
    message: str
    evidence: Any = None
    resource: str | None = None
    """The ARN this outcome is about, when a check reports each offender of a wider resource."""
    region: str | None = None
    severity: Severity | None = None
    """This finding's severity when it differs from the check's (None: the check's): an open port
    on an interface the internet can reach is worse than the same rule where nothing can reach it."""


FINGERPRINT_LENGTH = 32
"""Hex digits kept of a SHA-256: 128 bits, unique far beyond any scan, short enough to read."""


def fingerprint(check_id: str, account: str, region: str, resource: str) -> str:
    """The identity of a (check, resource) result: the same in every scan of that resource.

    Only what names the result goes in (never status, message or evidence), so a finding that
    is fixed, muted or re-worded keeps its identity and a diff between scans can follow it.
    The unit separator keeps ("a_b", "c") and ("a", "b_c") apart.
    """
    key = "\x1f".join((check_id, account, region, resource))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def canonical_json(value: Any) -> str:
    """One spelling for equal data (sorted keys, compact), so equal evidence hashes equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def evidence_hash(evidence: Any) -> str:
    """A digest of the evidence: whether the deciding configuration changed between two scans."""
    return hashlib.sha256(canonical_json(evidence).encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


@dataclass(frozen=True, slots=True)
class Finding:
    """One (check, resource) result, with everything a report needs to show it.

    `fingerprint` and `evidence_hash` are derived once, when the finding is made (also by
    dataclasses.replace, so they can never go stale); they are not constructor arguments.
    """

    check_id: str
    title: str
    status: Status
    severity: Severity
    objective: Objective
    message: str
    account: str
    region: str
    resource: str
    evidence: Any = None
    area: str = ""
    controls: dict[str, tuple[str, ...]] = field(default_factory=dict)
    check_error: bool = False
    mute: Json | None = None
    """Set by the mutelist on a MUTED finding: reason, expires, owner, the entry and the original status."""
    fingerprint: str = field(init=False, default="")
    evidence_hash: str = field(init=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "fingerprint", fingerprint(self.check_id, self.account, self.region, self.resource)
        )
        object.__setattr__(self, "evidence_hash", evidence_hash(self.evidence))

    @classmethod
    def from_json(cls, data: Json) -> Finding:
        """A finding as findings.json stores it (the inverse of to_json)."""
        return cls(
            check_id=str(data["check_id"]),
            title=str(data["title"]),
            status=Status(data["status"]),
            severity=Severity(data["severity"]),
            objective=Objective(data["objective"]),
            message=str(data["message"]),
            account=str(data["account"]),
            region=str(data["region"]),
            resource=str(data["resource"]),
            evidence=data.get("evidence"),
            area=str(data.get("area", "")),
            controls={fw: tuple(ids) for fw, ids in (data.get("controls") or {}).items()},
            check_error=bool(data.get("check_error", False)),
            mute=data.get("mute"),
        )

    def to_json(self) -> Json:
        return {
            "fingerprint": self.fingerprint,
            "check_id": self.check_id,
            "area": self.area,
            "title": self.title,
            "status": str(self.status),
            "severity": str(self.severity),
            "objective": str(self.objective),
            "message": self.message,
            "account": self.account,
            "region": self.region,
            "resource": self.resource,
            "evidence": self.evidence,
            "evidence_hash": self.evidence_hash,
            "controls": {fw: list(ids) for fw, ids in self.controls.items()},
            "check_error": self.check_error,
            "mute": self.mute,
        }


def ok(
    message: str, evidence: Any = None, *, resource: str | None = None, region: str | None = None
) -> Outcome:
    return Outcome(Status.PASS, message, evidence, resource, region)


def fail(
    message: str,
    evidence: Any = None,
    *,
    resource: str | None = None,
    region: str | None = None,
    severity: Severity | None = None,
) -> Outcome:
    return Outcome(Status.FAIL, message, evidence, resource, region, severity)


def manual(
    message: str, evidence: Any = None, *, resource: str | None = None, region: str | None = None
) -> Outcome:
    """For a control that needs a human: say exactly what to look at, with what we know."""
    return Outcome(Status.MANUAL, message, evidence, resource, region)


def unknown(
    message: str, evidence: Any = None, *, resource: str | None = None, region: str | None = None
) -> Outcome:
    """For a check that has its data but cannot decide from it (never for missing data: use need())."""
    return Outcome(Status.UNKNOWN, message, evidence, resource, region)


def instant(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp (as AWS and our snapshots write them) as an aware UTC datetime;
    naive ones are UTC, as AWS means them. None for anything that is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
