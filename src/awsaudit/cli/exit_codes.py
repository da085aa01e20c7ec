"""From findings and coverage to the process exit code a CI pipeline acts on.

    0    the audit is whole, and nothing gates (no --fail-on, or nothing at or above it)
    1    unmuted FAILs (or UNKNOWN, with --fail-on-unknown) at or above --fail-on
    2    usage or input error, before anything was collected
    3    the audit is not whole: a check raised, a collector failed as a whole (a service in a
         region of which nothing could be read), the snapshot is incomplete, awsaudit crashed;
         with --fail-on-gaps also any collection error (partial coverage, a region not enabled)
    130  interrupted (Ctrl-C), 143 terminated (SIGTERM): the partial snapshot is saved

3 wins over 1: a gate that passes on data that was never read would be a false PASS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from awsaudit.model import Finding, Severity, Status

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_SCAN_ERROR = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class _Row(Protocol):
    @property
    def state(self) -> str: ...


def scan_errors(
    findings: list[Finding], coverage: Iterable[_Row], incomplete: bool, fail_on_gaps: bool = False
) -> list[str]:
    """Why the audit is not whole (empty: it is); each reason makes the exit code 3."""
    reasons: list[str] = []
    broken = sum(1 for f in findings if f.check_error)
    if broken:
        reasons.append(f"{broken} check result(s) are UNKNOWN 'check error'")
    states = [row.state for row in coverage]
    failed = states.count("failed")
    if failed:
        reasons.append(f"{failed} (service, region) could not be collected at all (coverage: failed)")
    if incomplete:
        reasons.append("the snapshot is incomplete")
    gaps = sum(1 for s in states if s not in ("collected", "failed"))
    if fail_on_gaps and gaps:
        reasons.append(f"{gaps} (service, region) collected in part or not enabled (--fail-on-gaps)")
    return reasons


def exit_code(
    findings: list[Finding], fail_on: Severity | None, fail_on_unknown: bool = False,
    scan_error: bool = False,
) -> int:
    """3 if the audit is not whole (see scan_errors); 1 if a FAIL (or UNKNOWN) at or above fail_on."""
    if scan_error or any(f.check_error for f in findings):
        return EXIT_SCAN_ERROR
    if fail_on is None:
        return EXIT_OK
    # MUTED (an accepted risk in the mutelist), MANUAL and PASS never gate.
    gating = {Status.FAIL, Status.UNKNOWN} if fail_on_unknown else {Status.FAIL}
    if any(f.status in gating and f.severity.rank >= fail_on.rank for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK
