"""From findings to the process exit code a CI pipeline acts on."""

from __future__ import annotations

from awsaudit.model import Finding, Severity, Status

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_SCAN_ERROR = 3


def exit_code(findings: list[Finding], fail_on: Severity | None, fail_on_unknown: bool = False) -> int:
    """3 if a check broke (its results cannot be trusted); 1 if a FAIL (or UNKNOWN) at or above fail_on."""
    if any(f.check_error for f in findings):
        return EXIT_SCAN_ERROR
    if fail_on is None:
        return EXIT_OK
    # MUTED (an accepted risk in the mutelist), MANUAL and PASS never gate.
    gating = {Status.FAIL, Status.UNKNOWN} if fail_on_unknown else {Status.FAIL}
    if any(f.status in gating and f.severity.rank >= fail_on.rank for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK
