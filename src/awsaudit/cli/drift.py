"""The history store in an audit run, and drift shown in the terminal.

HistoryRun is the glue `finish` uses: before each account is evaluated it asks the store for
that account's previous scan, diffs the resource configurations and hands the buckets' previous
configuration to the pure derive step (S3-3 reads it); after the scan is built it diffs the
findings and adds the trend; after the reports are written it records the scan. The checks
never see the store.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from awsaudit.checks.derive import with_previous
from awsaudit.errors import StoreError
from awsaudit.model import Finding, Json, Status
from awsaudit.report.compliance import pass_rate
from awsaudit.report.scan_result import ScanResult
from awsaudit.report.summary import escape
from awsaudit.store import diff as diff_io
from awsaudit.store.diff import ResourceState, diff_resources
from awsaudit.store.history import HistoryStore, ScanRow, Staged, stage
from awsaudit.store.resources import account_resources

CHANGE_LINES = 6
"""Field changes shown per resource in the terminal (all of them are in --json and the HTML)."""


class HistoryRun:
    """One audit's use of the store: previous scans per account, staged resources, the drift."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self.previous: dict[str, ScanRow | None] = {}
        self.resources: dict[str, Json] = {}
        self.staged: list[Staged] = []

    def prepare(self, account_id: str, account: Json, header: Json) -> Json:
        """Before evaluation: stage this account's resources, diff them with its previous scan,
        and return the document with each bucket's previous configuration derived onto it."""
        current = account_resources(account)
        prev = self.store.previous(account_id, str(header.get("collected_at", "")))
        self.previous[account_id] = prev
        old = self.store.resources(prev.id, account_id) if prev is not None else {}
        self.staged += stage(account_id, current, {s.config_hash for s in old.values()})
        if prev is None:
            return account
        self.resources[account_id] = diff_resources(
            old, {k: ResourceState.of(r) for k, r in current.items()})
        buckets = {s.arn: s.load() for s in old.values() if s.type == "s3.buckets"}
        return with_previous(account, prev.collected_at, {a: c for a, c in buckets.items() if c is not None})

    def attach(self, scan: ScanResult) -> ScanResult:
        """The scan with its `history`: the drift of each account since its previous scan, and the trend."""
        by_account: dict[str, list[Finding]] = defaultdict(list)
        for f in scan.findings:
            by_account[f.account].append(f)
        accounts = []
        for account_id in scan.info.accounts:
            prev = self.previous.get(account_id)
            old = self.store.findings(prev.id, account_id) if prev is not None else []
            accounts.append(diff_io.account_drift(
                account_id, prev.baseline() if prev is not None else None, old, by_account[account_id],
                self.resources.get(account_id, {})))
        trend = self.store.trend(scan.info.accounts)
        trend.append({"scan": None, "collected_at": scan.info.collected_at,
                      "areas": area_rates(scan.findings)})
        history = {"accounts": accounts, "totals": diff_io.totals(accounts), "trend": trend}
        return dataclasses.replace(scan, history=history)

    def record(self, scan: ScanResult) -> int | None:
        """Record the scan; a failure is one warning line (the reports are already written)."""
        try:
            return self.store.record(scan, self.staged)
        except StoreError as exc:
            click.echo(f"awsaudit: warning: the scan was not recorded in the history store: {exc}", err=True)
            return None


def area_rates(findings: Sequence[Finding]) -> dict[str, float | None]:
    per_area: dict[str, Counter[Status]] = defaultdict(Counter)
    for f in findings:
        per_area[f.area or "other"][f.status] += 1
    return {area: pass_rate(c) for area, c in sorted(per_area.items())}


def open_store(db: Path, *, create: bool = True) -> HistoryStore:
    return HistoryStore(db, create=create)


# --- terminal -------------------------------------------------------------------------------------


def _summary_line(drift: Json) -> str:
    f = drift.get("findings") or {}
    r = drift.get("resources") or {}
    evidence = sum(1 for row in f.get("still_open", []) if row.get("evidence_changed"))
    return (f"{len(f.get('new', []))} new, {len(f.get('resolved', []))} resolved, "
            f"{len(f.get('still_open', []))} still open ({evidence} with changed evidence), "
            f"{len(f.get('status_changed', []))} changed in status; resources: "
            f"{len(r.get('added', []))} added, {len(r.get('removed', []))} removed, "
            f"{len(r.get('changed', []))} changed")


def one_line(history: Json) -> str:
    """What `finish` prints after the summary: the drift in one line per account."""
    lines = []
    for drift in history.get("accounts", []):
        base = drift.get("baseline")
        if base is None:
            lines.append(f"Since the last audit ({drift['account']}): no earlier scan "
                         "recorded, nothing to compare")
        else:
            lines.append(f"Since the last audit ({drift['account']}, scan #{base['scan']} collected "
                         f"{base['collected_at']}): {_summary_line(drift)}")
    return "\n".join(lines)


def print_drift(console: Console, accounts: Sequence[Json], title: str) -> None:
    """The drift as tables: findings that changed, then resources whose configuration changed."""
    console.print(f"[bold]{escape(title)}[/]")
    for drift in accounts:
        base = drift.get("baseline")
        if base is None:
            console.print(f"Account {escape(drift['account'])}: no previous scan to compare with")
            continue
        console.print()
        console.print(escape(f"Account {drift['account']} since scan #{base.get('scan', '-')} "
                             f"({base.get('collected_at')}): {_summary_line(drift)}"))
        f = drift["findings"]
        table = Table("change", "severity", "check", "resource", "status", "message", show_lines=False)
        for label, rows in (("NEW", f["new"]), ("RESOLVED", f["resolved"]),
                            ("STATUS", f["status_changed"]),
                            ("EVIDENCE", [r for r in f["still_open"] if r.get("evidence_changed")])):
            for row in rows:
                status = f"{row.get('before') or '-'} -> {row.get('status') or 'gone'}"
                message = escape(row["message"]) if row.get("status") else "(no longer reported)"
                table.add_row(label, row["severity"], escape(row["check_id"]), escape(row["resource"]),
                              status, message)
        if table.row_count:
            console.print(table)
        r = drift["resources"]
        table = Table("change", "type", "resource", "fields")
        for label, rows in (("added", r.get("added", [])), ("removed", r.get("removed", []))):
            for row in rows:
                table.add_row(label, escape(row["type"]), escape(row["arn"]), "")
        for row in r.get("changed", []):
            shown = [escape(_change_text(c)) for c in row["changes"][:CHANGE_LINES]]
            if len(row["changes"]) > CHANGE_LINES:
                shown.append(f"... {len(row['changes']) - CHANGE_LINES} more (--json)")
            table.add_row("changed", escape(row["type"]), escape(row["arn"]), "\n".join(shown))
        if table.row_count:
            console.print(table)


def _change_text(change: Json) -> str:
    kind = change["change"]
    if kind == "added":
        return f"+ {change['path']} = {change.get('after')}"
    if kind == "removed":
        return f"- {change['path']} (was {change.get('before')})"
    return f"~ {change['path']}: {change.get('before')} -> {change.get('after')}"


def scans_drift(store: HistoryStore, old: ScanRow, new: ScanRow) -> list[Json]:
    """The drift between two recorded scans, per account of either (an account in one only is
    all new or all resolved)."""
    accounts = []
    for account in sorted(set(old.accounts) | set(new.accounts)):
        old_findings = store.findings(old.id, account) if account in old.accounts else []
        new_findings = store.findings(new.id, account) if account in new.accounts else []
        resources = diff_resources(store.resources(old.id, account), store.resources(new.id, account))
        accounts.append(diff_io.account_drift(account, old.baseline(), old_findings, new_findings,
                                              resources))
    return accounts
