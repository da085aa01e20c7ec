"""The organization view of a scan of several accounts: accounts ranked by risk, a matrix of
framework controls x accounts, and each account's coverage.

Computed from the scan record alone (findings and coverage rows), in one pass over the
findings, so it costs the same whether the report is rendered after a scan or again a year
later from findings.json. A scan of one account has no organization view: its reports look as
they always did.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from awsaudit.model import Severity, Status
from awsaudit.report.compliance import NO_RESOURCES, NOT_COVERED, WORST_FIRST, pass_rate, worst

if TYPE_CHECKING:
    from awsaudit.model import Finding
    from awsaudit.report.scan_result import ScanResult

RISK_WEIGHT = {Severity.CRITICAL: 25, Severity.HIGH: 10, Severity.MEDIUM: 4, Severity.LOW: 1,
               Severity.INFO: 0}
"""Risk score of a FAIL by severity: one critical failure outweighs two highs. UNKNOWN adds a
point: what could not be assessed is a risk nobody has looked at."""
UNKNOWN_WEIGHT = 1
CELL = {str(Status.FAIL): "F", str(Status.UNKNOWN): "U", str(Status.MANUAL): "M", str(Status.MUTED): "X",
        str(Status.PASS): "P", NO_RESOURCES: "", NOT_COVERED: ""}
"""One letter per matrix cell keeps a 200-account matrix small; the legend spells them out."""


def is_organization(report: ScanResult) -> bool:
    """More than one account: the reports add the organization view and group by account."""
    return len(report.info.accounts) > 1


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """One account's line in the ranking."""

    account: str
    name: str
    """The account's name in the Organization, or ""."""
    risk: int
    counts: Counter[Status]
    failed: Counter[Severity]
    pass_rate: float | None
    pairs: int
    """(service, region) pairs this account's checks needed."""
    collected: int
    """Of them, fully collected."""
    gaps: tuple[str, ...]
    """Services (and regions) not fully collected, with their error codes."""

    @property
    def coverage(self) -> float | None:
        return self.collected / self.pairs if self.pairs else None


@dataclass(frozen=True, slots=True)
class Matrix:
    """One framework's controls x the scan's accounts: the worst status of each control's checks
    among each account's findings."""

    framework: str
    title: str
    accounts: tuple[str, ...]
    names: tuple[str, ...]
    rows: tuple[tuple[str, str, str, tuple[str, ...]], ...]
    """(control id, title, the control's overall status, one cell letter per account)."""


def account_risks(report: ScanResult) -> list[AccountRisk]:
    """Every account, riskiest first (score, then failures, then id)."""
    counts: dict[str, Counter[Status]] = defaultdict(Counter)
    failed: dict[str, Counter[Severity]] = defaultdict(Counter)
    for f in report.findings:
        counts[f.account][f.status] += 1
        if f.status is Status.FAIL:
            failed[f.account][f.severity] += 1
    pairs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    gaps: dict[str, list[str]] = defaultdict(list)
    for row in report.coverage:
        pairs[row.account][0] += 1
        if row.state == "collected":
            pairs[row.account][1] += 1
        else:
            gaps[row.account].append(f"{row.service} {row.region}: {row.state}"
                                     + (f" ({', '.join(row.codes)})" if row.codes else ""))
    names = {facts.id: facts.name for facts in report.accounts}
    risks = []
    for account in dict.fromkeys([*report.info.accounts, *counts]):
        score = sum(RISK_WEIGHT[s] * n for s, n in failed[account].items())
        score += UNKNOWN_WEIGHT * counts[account].get(Status.UNKNOWN, 0)
        total, collected = pairs[account]
        risks.append(AccountRisk(account, names.get(account, ""), score, counts[account], failed[account],
                                 pass_rate(counts[account]), total, collected, tuple(gaps[account])))
    return sorted(risks, key=lambda r: (-r.risk, -r.counts.get(Status.FAIL, 0), r.account))


def matrices(report: ScanResult, accounts: list[str]) -> list[Matrix]:
    """One matrix per framework, accounts in the order given (the ranking's)."""
    names = {facts.id: facts.name for facts in report.accounts}
    by_check: dict[str, dict[str, Counter[Status]]] = defaultdict(lambda: defaultdict(Counter))
    for f in report.findings:
        by_check[f.check_id][f.account][f.status] += 1
    found = []
    for framework in report.frameworks:
        rows = []
        for control in framework.controls:
            cells = []
            for account in accounts:
                merged: Counter[Status] = Counter()
                for check_id in control.checks:
                    merged.update(by_check.get(check_id, {}).get(account, Counter()))
                cells.append(CELL[worst(merged) if control.checks else NOT_COVERED])
            rows.append((control.id, control.title, control.status, tuple(cells)))
        found.append(Matrix(framework.id, f"{framework.title} {framework.version}".strip(),
                            tuple(accounts), tuple(names.get(a, "") for a in accounts), tuple(rows)))
    return found


def by_account(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by account, accounts in id order, each group in its given order."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[f.account].append(f)
    return dict(sorted(grouped.items()))


STATUS_LETTERS = {letter: status for status, letter in CELL.items() if letter}
__all__ = ["CELL", "STATUS_LETTERS", "WORST_FIRST", "AccountRisk", "Matrix", "account_risks", "by_account",
           "is_organization", "matrices"]
