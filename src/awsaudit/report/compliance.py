"""The compliance view: per framework control, the worst status among its checks' findings.

Order of "worst": FAIL, UNKNOWN (could not be assessed is never a pass), MANUAL (a human must
decide), MUTED (accepted risk), PASS. A control with checks but no finding (no such resource in
the account) is "NO RESOURCES"; one with no automated check yet is "NOT COVERED". Pass rates
count PASS against PASS + FAIL + UNKNOWN: MANUAL and MUTED are shown, not rated.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awsaudit.frameworks import control_checks, frameworks
from awsaudit.model import Finding, Json, Status

WORST_FIRST = (Status.FAIL, Status.UNKNOWN, Status.MANUAL, Status.MUTED, Status.PASS)
NO_RESOURCES = "NO RESOURCES"
NOT_COVERED = "NOT COVERED"
RATED = (Status.PASS, Status.FAIL, Status.UNKNOWN)


def worst(statuses: Counter[Status]) -> str:
    return next((str(s) for s in WORST_FIRST if statuses.get(s)), NO_RESOURCES)


def pass_rate(counts: Mapping[Any, int]) -> float | None:
    """PASS / (PASS + FAIL + UNKNOWN), or None when nothing was rated.

    Keys may be Status or their string values: a StrEnum hashes and compares as its value.
    """
    rated = sum(counts.get(s, 0) for s in RATED)
    return counts.get(Status.PASS, 0) / rated if rated else None


@dataclass(frozen=True, slots=True)
class ControlResult:
    framework: str
    id: str
    title: str
    checks: tuple[str, ...]
    status: str
    counts: Counter[Status]

    def to_json(self) -> Json:
        return {
            "framework": self.framework,
            "id": self.id,
            "title": self.title,
            "checks": list(self.checks),
            "status": self.status,
            "findings": {str(s): n for s, n in sorted(self.counts.items())},
        }


@dataclass(frozen=True, slots=True)
class FrameworkResult:
    id: str
    title: str
    version: str
    controls: tuple[ControlResult, ...]

    @property
    def status_counts(self) -> Counter[str]:
        return Counter(c.status for c in self.controls)

    @property
    def pass_rate(self) -> float | None:
        return pass_rate(self.status_counts)

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "controls": dict(sorted(self.status_counts.items())),
            "pass_rate": self.pass_rate,
        }


def _control_key(control_id: str) -> tuple[object, ...]:
    """Natural order: IAM-2 before IAM-10, CIS 1.2 before 1.10."""
    return tuple(int(p) if p.isdigit() else p for p in control_id.replace("-", ".").split("."))


def framework_definitions() -> dict[str, Json]:
    """The shipped frameworks as a scan stores them: {id: {title, version, controls: {id: {title, checks}}}}.

    Stored with the scan, so re-rendering an old scan shows the controls it was judged by,
    not those of the installed release; `same_as` borrowings are resolved here.
    """
    return {
        fw_id: {
            "title": str(data.get("framework", {}).get("title", fw_id)),
            "version": str(data.get("framework", {}).get("version", "")),
            "controls": {
                control_id: {
                    "title": str(control.get("title", "")),
                    "checks": control_checks(fw_id, control_id),
                }
                for control_id, control in data.get("controls", {}).items()
            },
        }
        for fw_id, data in frameworks().items()
    }


def framework_results(
    findings: list[Finding], definitions: Mapping[str, Json] | None = None
) -> list[FrameworkResult]:
    """Each framework's controls judged by the findings; `definitions` default to the shipped ones."""
    by_check: dict[str, Counter[Status]] = defaultdict(Counter)
    for f in findings:
        by_check[f.check_id][f.status] += 1
    results = []
    for fw_id, data in (definitions if definitions is not None else framework_definitions()).items():
        controls = []
        for control_id, control in sorted(data["controls"].items(), key=lambda c: _control_key(c[0])):
            checks = tuple(control["checks"])
            counts: Counter[Status] = Counter()
            for check_id in checks:
                counts.update(by_check.get(check_id, Counter()))
            status = worst(counts) if checks else NOT_COVERED
            controls.append(ControlResult(fw_id, control_id, str(control["title"]), checks, status, counts))
        results.append(FrameworkResult(fw_id, str(data["title"]), str(data["version"]), tuple(controls)))
    return results
