"""The vocabulary shared by checks, the engine and the reports."""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Finding:
    """One (check, resource) result, with everything a report needs to show it."""

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

    def to_json(self) -> Json:
        return {
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
            "controls": {fw: list(ids) for fw, ids in self.controls.items()},
            "check_error": self.check_error,
            "mute": self.mute,
        }


def ok(
    message: str, evidence: Any = None, *, resource: str | None = None, region: str | None = None
) -> Outcome:
    return Outcome(Status.PASS, message, evidence, resource, region)


def fail(
    message: str, evidence: Any = None, *, resource: str | None = None, region: str | None = None
) -> Outcome:
    return Outcome(Status.FAIL, message, evidence, resource, region)


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
