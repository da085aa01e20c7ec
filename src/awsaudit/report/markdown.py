"""Markdown for tickets and pull requests: scope, totals, frameworks, top risks, failures, gaps.

Account text is escaped for CommonMark and GitHub/GitLab tables: HTML-significant characters
become entities and Markdown punctuation is backslash-escaped, so a name cannot open a link,
an image, a table cell or raw HTML; control and bidi characters are shown as their escapes
(untrusted.text.visible). Long lists are cut (MAX_ROWS) with a pointer to report.html.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from awsaudit.model import Severity, Status
from awsaudit.report import organization
from awsaudit.report.compliance import pass_rate
from awsaudit.report.remediation import filled
from awsaudit.untrusted.text import visible

if TYPE_CHECKING:
    from awsaudit.model import Finding
    from awsaudit.report.scan_result import ScanResult

MAX_ROWS = 200
ACCOUNTS_LISTED = 5
"""More accounts than this are counted in the scope line, not listed (the accounts table has them)."""
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|~])")
"""Inline Markdown syntax; line-start syntax (#, -, +, 1.) cannot occur: every value follows other text."""
STATUSES = (Status.FAIL, Status.UNKNOWN, Status.MANUAL, Status.MUTED, Status.PASS)


def md(text: object) -> str:
    """Escape one value for a Markdown paragraph or table cell (single line)."""
    value = visible(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _PUNCTUATION.sub(r"\\\1", value)
    return " ".join(value.split())


def code(text: str) -> str:
    """A fenced block that the text cannot close: the fence is longer than any backtick run in it."""
    text = visible(text, keep_newlines=True)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def table(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return [*lines, ""]


def _sorted_failures(findings: list[Finding]) -> list[Finding]:
    return sorted(
        (f for f in findings if f.status is Status.FAIL),
        key=lambda f: (-f.severity.rank, f.check_id, f.resource),
    )


def render(report: ScanResult) -> str:
    info, findings = report.info, report.findings
    many = organization.is_organization(report)
    scope = f"{len(info.accounts)} accounts" if many else ", ".join(info.accounts) or "-"
    out = [
        f"# AWS security audit — {md(scope)}",
        "",
        f"Accounts: {md(scope if len(info.accounts) > ACCOUNTS_LISTED else ', '.join(info.accounts) or '-')}"
        f" · Regions: {len(info.regions)} · "
        f"Collected: {md(info.collected_at)} · Evaluated: {md(info.evaluated_at)} · "
        f"awsaudit {md(info.tool_version)} · Source: {md(info.source)}",
        "",
    ]
    totals = report.totals
    out += table(
        (*tuple(str(s) for s in STATUSES), "pass rate"),
        [[str(totals.get(s, 0)) for s in STATUSES] + [percent(pass_rate(totals))]],
    )
    out += _warnings(report)
    if many:
        out += _accounts(report)
    out += _left_out(report)
    out += ["## Frameworks", ""]
    out += table(
        ("framework", "pass rate", "controls by status"),
        [
            [
                md(f"{fw.title} {fw.version}"),
                percent(fw.pass_rate),
                md(", ".join(f"{s} {n}" for s, n in sorted(fw.status_counts.items()))),
            ]
            for fw in report.frameworks
        ],
    )
    out += _by_area(findings)
    out += _failures(report)
    out += _unknown(report)
    return "\n".join(out).rstrip() + "\n"


def _accounts(report: ScanResult) -> list[str]:
    """The organization's accounts, riskiest first, with their coverage (several accounts only)."""
    rows = [
        [str(n), md(r.account), md(r.name), str(r.risk), str(r.failed.get(Severity.CRITICAL, 0)),
         str(r.failed.get(Severity.HIGH, 0)), *(str(r.counts.get(s, 0)) for s in STATUSES),
         percent(r.pass_rate), percent(r.coverage),
         md("; ".join(r.gaps[:3]) + (" …" if len(r.gaps) > 3 else ""))]
        for n, r in enumerate(organization.account_risks(report), 1)
    ]
    header = ("#", "account", "name", "risk", "critical", "high", *(str(s) for s in STATUSES), "pass rate",
              "coverage", "not fully collected")
    return ["## Accounts (riskiest first)", "", *table(header, rows)]


def _left_out(report: ScanResult) -> list[str]:
    """Accounts of an Organization scan that have no findings: their absence is not a pass."""
    if not report.left_out:
        return []
    rows = [[md(a.id), md(a.name), md(a.outcome.replace("_", " ")), md(a.reason)] for a in report.left_out]
    return ["## Accounts without findings", "",
            "Not audited: nothing is known about these accounts.", "",
            *table(("account", "name", "outcome", "why"), rows)]


def _warnings(report: ScanResult) -> list[str]:
    warnings = report.warnings()
    if not warnings:
        return []
    return ["## Mutelist warnings", "", *(f"- {md(w)}" for w in warnings), ""]


def _by_area(findings: list[Finding]) -> list[str]:
    areas: dict[str, Counter[Status]] = {}
    for f in findings:
        areas.setdefault(f.area or "other", Counter())[f.status] += 1
    rows = [
        [md(area), *(str(c.get(s, 0)) for s in STATUSES), percent(pass_rate(c))]
        for area, c in sorted(areas.items())
    ]
    return ["## Results per area", "", *table(("area", *(str(s) for s in STATUSES), "pass rate"), rows)]


def _failures(report: ScanResult) -> list[str]:
    failed = _sorted_failures(report.findings)
    many = organization.is_organization(report)
    if many:  # grouped by account, each account's worst first
        failed.sort(key=lambda f: f.account)
    by_severity = Counter(f.severity for f in failed)
    out = [
        "## Failures",
        "",
        " · ".join(f"{s}: {by_severity.get(s, 0)}" for s in Severity if s is not Severity.INFO),
        "",
    ]
    rows = [
        [*([md(f.account)] if many else []), str(f.severity), md(f.check_id), md(f.region), md(f.resource),
         md(f.message), f"`{f.fingerprint[:12]}`"]
        for f in failed[:MAX_ROWS]
    ]
    header = ("severity", "check", "region", "resource", "why", "fingerprint")
    out += table(("account", *header) if many else header, rows)
    if len(failed) > MAX_ROWS:
        out += [f"… and {len(failed) - MAX_ROWS} more: see report.html or findings.csv.", ""]
    out += _top_fixes(report, failed)
    return out


def _top_fixes(report: ScanResult, failed: list[Finding]) -> list[str]:
    """How to fix the worst failures: the CLI with the real names, one block per finding (10 at most)."""
    out = []
    for f in failed[:10]:
        check = report.checks.get(f.check_id)
        if check is None or not check.remediation.cli:
            continue
        out += [f"**{md(f.title)}** — {md(f.resource)}", "", code(filled(check.remediation, f).cli), ""]
    return ["### How to fix the worst", "", *out] if out else []


def _unknown(report: ScanResult) -> list[str]:
    gaps = [r for r in report.coverage if r.state != "collected"]
    unknown = Counter((f.check_id, f.message) for f in report.findings if f.status is Status.UNKNOWN)
    out = ["## Not assessed (UNKNOWN) and coverage", ""]
    if not gaps and not unknown:
        return [*out, "Everything was collected and assessed.", ""]
    out += table(
        ("account", "service", "region", "state", "error codes", "UNKNOWN findings"),
        [
            [
                md(r.account),
                md(r.service),
                md(r.region),
                r.state,
                md(", ".join(r.codes)),
                str(r.unknown_findings),
            ]
            for r in gaps
        ],
    )
    rows = [[md(c), md(reason), str(n)] for (c, reason), n in sorted(unknown.items())[:MAX_ROWS]]
    return out + table(("check", "reason", "findings"), rows)
