"""The terminal summary: totals, results per area, the worst failures, what could not be assessed.

Text from the account (names, messages, error codes) goes through untrusted.text.visible and
rich.markup.escape, so a resource named `[link=...]` or holding ESC sequences or bidi controls
prints as written instead of becoming terminal markup or control.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape as markup_escape
from rich.table import Table

from awsaudit.model import Severity, Status
from awsaudit.report import organization
from awsaudit.report.compliance import NO_RESOURCES, NOT_COVERED
from awsaudit.report.coverage import NOT_ENABLED, CoverageRow, summary_counts
from awsaudit.untrusted.text import visible

if TYPE_CHECKING:
    from awsaudit.report.scan_result import ScanResult

STYLE = {
    Status.PASS: "green",
    Status.FAIL: "red",
    Status.UNKNOWN: "yellow",
    Status.MANUAL: "cyan",
    Status.MUTED: "dim",
}
SHOWN = (Status.FAIL, Status.UNKNOWN, Status.MANUAL, Status.PASS, Status.MUTED)
TOP = 15


def escape(value: object) -> str:
    """Account text for the console: control characters shown as escapes, rich markup inert."""
    return markup_escape(visible(str(value)))


def print_summary(console: Console, report: ScanResult, warnings: bool = True) -> None:
    """The summary; warnings=False when the mutelist warnings already went to stderr."""
    info, findings = report.info, report.findings
    many = organization.is_organization(report)
    scope = f"{len(info.accounts)} accounts" if len(info.accounts) > ACCOUNTS_LISTED else (
        f"accounts {', '.join(info.accounts) or '-'}")
    console.print(
        f"[bold]awsaudit {escape(info.tool_version)}[/] — {escape(scope)}; "
        f"{len(info.regions)} region(s); collected {escape(info.collected_at)}"
    )
    if many:
        print_accounts(console, report)
    for left in report.left_out:  # an Organization scan's accounts without findings: never a pass
        console.print(f"[yellow]Account {escape(left.id)} ({escape(left.name) or '-'}) "
                      f"{escape(left.outcome.replace('_', ' '))}: {escape(left.reason)}[/]")

    by_area: dict[str, Counter[Status]] = defaultdict(Counter)
    for f in findings:
        by_area[f.area or "other"][f.status] += 1
    table = Table(title="Results per area", title_justify="left")
    table.add_column("area")
    for status in SHOWN:
        table.add_column(str(status), justify="right", style=STYLE[status])
    for area in sorted(by_area):
        c = by_area[area]
        table.add_row(escape(area), *(str(c.get(s, 0)) for s in SHOWN))
    total = Counter(f.status for f in findings)
    table.add_row(
        "[bold]total[/]",
        *(f"[bold]{total.get(s, 0)}[/]" for s in SHOWN),
    )
    console.print(table)

    failed = sorted(
        (f for f in findings if f.status is Status.FAIL),
        key=lambda f: (-f.severity.rank, f.check_id, f.resource),
    )
    if failed:
        worst = Table(
            title=f"Failures (worst {min(TOP, len(failed))} of {len(failed)})", title_justify="left"
        )
        for col in (*(("account",) if many else ()), "severity", "check", "region", "resource", "why"):
            worst.add_column(col, overflow="fold")
        shown = sorted(failed[:TOP], key=lambda f: f.account) if many else failed[:TOP]
        for f in shown:
            worst.add_row(
                *((escape(f.account),) if many else ()),
                str(f.severity), escape(f.check_id), escape(f.region), escape(f.resource), escape(f.message)
            )
        console.print(worst)

    unknown = Counter((f.check_id, f.message) for f in findings if f.status is Status.UNKNOWN)
    if unknown:
        gaps = Table(title="Not assessed (UNKNOWN) — data that could not be read", title_justify="left")
        for col in ("check", "reason", "resources"):
            gaps.add_column(col, overflow="fold")
        for (check_id, reason), n in sorted(unknown.items())[:TOP]:
            gaps.add_row(escape(check_id), escape(reason), str(n))
        console.print(gaps)
    print_frameworks(console, report)
    print_mutes(console, report, warnings)
    print_coverage(console, report.coverage)


ACCOUNTS_LISTED = 5


def print_accounts(console: Console, report: ScanResult) -> None:
    """The organization's accounts, riskiest first (the TOP of them; report.html ranks them all)."""
    risks = organization.account_risks(report)
    table = Table(title=f"Accounts, riskiest first ({min(TOP, len(risks))} of {len(risks)})",
                  title_justify="left")
    for col in ("account", "name", "risk", "critical", "high"):
        table.add_column(col, justify="left" if col in ("account", "name") else "right")
    for status in SHOWN:
        table.add_column(str(status), justify="right", style=STYLE[status])
    table.add_column("coverage", justify="right")
    for r in risks[:TOP]:
        coverage = "n/a" if r.coverage is None else f"{r.coverage:.0%}"
        table.add_row(escape(r.account), escape(r.name), str(r.risk), str(r.failed.get(Severity.CRITICAL, 0)),
                      str(r.failed.get(Severity.HIGH, 0)), *(str(r.counts.get(s, 0)) for s in SHOWN),
                      coverage)
    console.print(table)


def print_frameworks(console: Console, report: ScanResult) -> None:
    """Compliance per framework: how many controls passed, failed, could not be assessed ..."""
    columns = (str(Status.FAIL), str(Status.UNKNOWN), str(Status.MANUAL), str(Status.MUTED),
               str(Status.PASS), NO_RESOURCES, NOT_COVERED)
    table = Table(title="Compliance per framework (controls)", title_justify="left")
    table.add_column("framework")
    for col in (*columns, "pass rate"):
        table.add_column(col, justify="right")
    for fw in report.frameworks:
        counts = fw.status_counts
        rate = fw.pass_rate
        table.add_row(
            escape(f"{fw.id} {fw.version}"), *(str(counts.get(c, 0)) for c in columns),
            "-" if rate is None else f"{rate:.0%}",
        )
    console.print(table)


def print_mutes(console: Console, report: ScanResult, warnings: bool = True) -> None:
    if report.mutes is None:
        return
    muted = report.totals.get(Status.MUTED, 0)
    pending = len(report.warnings())
    note = f"; {pending} warning(s) about its entries above" if pending and not warnings else ""
    console.print(f"Mutelist {escape(report.mutes.origin)}: {muted} finding(s) muted{note}")
    for warning in report.warnings() if warnings else []:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


def print_coverage(console: Console, rows: list[CoverageRow]) -> None:
    """Coverage last, so the final lines of a run say what could not be assessed."""
    counts = summary_counts(rows)
    gaps = [r for r in rows if r.state != "collected"]
    title = (
        f"Coverage: {counts.get('collected', 0)} of {len(rows)} (service, region) fully collected, "
        f"{counts.get('partial', 0)} partial, {counts.get('failed', 0)} failed"
        + (f", {counts[NOT_ENABLED]} region(s) not enabled" if counts.get(NOT_ENABLED) else "")
    )
    if not gaps:
        console.print(f"[green]{title}[/]")
        return
    table = Table(title=title, title_justify="left")
    for col in ("account", "service", "region", "state", "errors", "error codes", "UNKNOWN findings"):
        table.add_column(col, overflow="fold")
    for r in gaps:
        style = "red" if r.state == "failed" else "yellow"
        table.add_row(
            escape(r.account),
            escape(r.service),
            escape(r.region),
            f"[{style}]{r.state}[/]",
            str(r.errors),
            escape(", ".join(r.codes)),
            str(r.unknown_findings),
        )
    console.print(table)


def render_text(report: ScanResult) -> str:
    buffer = io.StringIO()
    print_summary(Console(file=buffer, width=140, no_color=True, force_terminal=False), report)
    return buffer.getvalue()
