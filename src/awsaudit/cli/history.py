"""The history commands: `awsaudit history` (list), `history prune`, and `awsaudit diff`.

`diff` compares two recorded scans (by id; default the last two of the same accounts) or two
snapshot files, which needs no store: both are evaluated here with the same engine.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from awsaudit import settings as settings_io
from awsaudit import snapshot as snapshot_io
from awsaudit.cli._base import handle_errors
from awsaudit.cli.audit import evaluate_shards
from awsaudit.cli.drift import open_store, print_drift, scans_drift
from awsaudit.errors import InputError
from awsaudit.model import Finding, Json
from awsaudit.report.summary import escape
from awsaudit.store import diff as diff_io
from awsaudit.store.db import default_path
from awsaudit.store.diff import ResourceState
from awsaudit.store.history import HistoryStore, ScanRow
from awsaudit.store.resources import account_resources

DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History store (default: $XDG_DATA_HOME/awsaudit/history.sqlite).",
)


def _console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=160)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


@click.group(invoke_without_command=True)
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Newest scans shown.")
@click.pass_context
@handle_errors
def history(ctx: click.Context, db: Path | None, as_json: bool, limit: int) -> None:
    """List the recorded scans, newest first: accounts, time, pass rate, counts per status."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = db  # `history --db X prune` means the store X
        return
    path = db or default_path()
    if not path.exists():
        click.echo(f"No scans recorded yet: {path} does not exist (demo, scan and audit record them).")
        return
    with open_store(path, create=False) as store:
        scans = store.scans(limit)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in scans], indent=2))
        return
    table = Table("scan", "collected at", "source", "accounts", "pass rate", "PASS", "FAIL", "UNKNOWN",
                  "MANUAL", "MUTED", title=f"Scans in {path}")
    for s in scans:
        accounts = ", ".join(s.accounts) if len(s.accounts) <= 3 else f"{len(s.accounts)} accounts"
        table.add_row(str(s.id), escape(s.collected_at), escape(s.source), escape(accounts),
                      _rate(s.pass_rate),
                      *(str(s.totals.get(k, 0)) for k in ("PASS", "FAIL", "UNKNOWN", "MANUAL", "MUTED")))
    _console().print(table)


@history.command("prune")
@DB_OPTION
@click.option("--keep", type=click.IntRange(0), help="Keep only the N most recent scans.")
@click.option("--older-than", "older_than", type=click.IntRange(0), metavar="DAYS",
              help="Delete scans collected more than DAYS days ago.")
@click.pass_context
@handle_errors
def prune(ctx: click.Context, db: Path | None, keep: int | None, older_than: int | None) -> None:
    """Delete old scans (and the stored configurations only they referenced)."""
    if keep is None and older_than is None:
        raise InputError("history prune: give --keep N or --older-than DAYS")
    path = db or ctx.obj or default_path()
    with open_store(path, create=False) as store:
        removed = store.prune(keep=keep, older_than_days=older_than)
        left = len(store.scans())
    click.echo(f"Deleted {removed} scan(s) from {path}; {left} kept.")


def _scan_id(text: str) -> int:
    try:
        return int(text.lstrip("#"))
    except ValueError:
        raise InputError(
            f"{text!r} is neither a scan id (see `awsaudit history`) nor a snapshot file") from None


def _pick(store: HistoryStore, old: str | None, new: str | None) -> tuple[ScanRow, ScanRow]:
    if old is None:
        pair = store.latest_pair()
        if pair is None:
            raise InputError("diff: fewer than two recorded scans of the same accounts (awsaudit history)")
        return pair
    rows = []
    for text in (old, new):
        if text is None:
            latest = store.scans(1)
            row = latest[0] if latest else None
        else:
            row = store.scan(_scan_id(text))
            if row is None:
                raise InputError(f"diff: no scan #{_scan_id(text)} in {store.path} (awsaudit history)")
        if row is None:
            raise InputError("diff: no scans recorded")
        rows.append(row)
    return rows[0], rows[1]


def _snapshot_side(path: Path, settings: settings_io.Settings) -> tuple[list[Finding], dict[str, Any], Json]:
    """Findings, resources per account and the header of a snapshot file, evaluated here."""
    resources: dict[str, dict[str, ResourceState]] = {}

    def capture(account_id: str, account: Json, header: Json) -> Json:
        resources[account_id] = {k: ResourceState.of(r) for k, r in account_resources(account).items()}
        return account

    builder, _ = evaluate_shards(path, str(path), settings, capture)
    return builder.build().findings, resources, snapshot_io.read_header(path)


def snapshots_drift(old: Path, new: Path, settings: settings_io.Settings) -> list[Json]:
    """The drift between two snapshot files, per account of either; no store involved."""
    old_findings, old_resources, old_header = _snapshot_side(old, settings)
    new_findings, new_resources, _ = _snapshot_side(new, settings)
    baseline = {"scan": str(old), "collected_at": old_header.get("collected_at"), "source": str(old)}
    drifts = []
    for account in sorted(set(old_resources) | set(new_resources)):
        drifts.append(diff_io.account_drift(
            account, baseline, [f for f in old_findings if f.account == account],
            [f for f in new_findings if f.account == account],
            diff_io.diff_resources(old_resources.get(account, {}), new_resources.get(account, {}))))
    return drifts


@click.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Tunables for evaluating snapshot files (default: ./awsaudit.toml if present).")
@handle_errors
def diff(old: str | None, new: str | None, db: Path | None, as_json: bool, config: Path | None) -> None:
    """What changed between two scans: findings new, resolved, still open, changed in status, and
    the resources whose configuration changed (field by field).

    \b
    awsaudit diff                      the last two scans of the same accounts
    awsaudit diff 12                   scan 12 against the latest scan
    awsaudit diff 12 15                scan 12 against scan 15
    awsaudit diff A.json.gz B.json.gz  two snapshot files (no history store needed)
    """
    if old is not None and new is not None and Path(old).is_file() and Path(new).is_file():
        drifts = snapshots_drift(Path(old), Path(new), settings_io.load(config))
        title = f"Changes from {old} to {new}"
        head: Json = {"old": old, "new": new}
    else:
        path = db or default_path()
        with open_store(path, create=False) as store:
            before, after = _pick(store, old, new)
            drifts = scans_drift(store, before, after)
        title = (f"Changes from scan #{before.id} ({before.collected_at}) to scan #{after.id} "
                 f"({after.collected_at})")
        head = {"old": before.to_json(), "new": after.to_json()}
    if as_json:
        document = {**head, "totals": diff_io.totals(drifts), "accounts": drifts}
        click.echo(json.dumps(document, indent=2, default=str))
        return
    print_drift(_console(), drifts, title)
