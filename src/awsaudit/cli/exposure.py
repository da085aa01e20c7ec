"""`awsaudit exposure`: what the internet can really reach, from a snapshot or collected live, as a
table or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from awsaudit import snapshot as snapshot_io
from awsaudit.checks._view import AccountView
from awsaudit.checks.network._exposure import exposure_rows
from awsaudit.cli._base import credentials, handle_errors, say
from awsaudit.errors import InputError
from awsaudit.model import Json
from awsaudit.untrusted.text import visible


def exposure_report(path: Path) -> tuple[list[Json], list[str]]:
    """Every exposed (interface, ports, family) of every account in the snapshot, and the gaps."""
    reader = snapshot_io.SnapshotReader(path)
    partition = str(reader.header.get("partition") or "aws")
    rows: list[Json] = []
    gaps: list[str] = []
    for account_id, account in reader.accounts():
        found, missing = exposure_rows(AccountView(account_id, account, partition))
        rows += found
        gaps += [f"{account_id} {gap}" for gap in missing]
    return rows, gaps


LIVE_SERVICES = ("ec2", "elbv2")
"""What the network model reads: the live mode collects these only (read-only Describe calls)."""


def collect_live(profile: str | None, regions: tuple[str, ...]) -> Json:
    """A snapshot of the network services, collected now with the standard credential chain (or
    the profile) through the scanner, so credentials, retries and errors behave as in `scan`."""
    from awsaudit.collect.scan import ScanOptions, scan_account  # noqa: PLC0415

    source = credentials(profile, regions[0] if regions else None)
    return scan_account(source, ScanOptions(regions=regions, services=LIVE_SERVICES))


def _rows(snapshot: Json) -> tuple[list[Json], list[str]]:
    partition = str(snapshot.get("partition") or "aws")
    rows: list[Json] = []
    gaps: list[str] = []
    for account_id, account in sorted((snapshot.get("accounts") or {}).items()):
        found, missing = exposure_rows(AccountView(account_id, account, partition))
        rows += found
        gaps += [f"{account_id} {gap}" for gap in missing]
    return rows, gaps


@click.command("exposure")
@click.option("--snapshot", "snapshot_file", metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A snapshot from `awsaudit collect` (or the one a scan or the demo wrote). "
                   "Without it, ec2 and elbv2 are collected live (read-only).")
@click.option("--profile", help="Live mode: AWS named profile (default: the standard credential chain).")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Live mode: only this region (repeatable). Default: every enabled region.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@handle_errors
def exposure(snapshot_file: Path | None, profile: str | None, regions: tuple[str, ...],
             as_json: bool) -> None:
    """What the internet can reach: each network interface with a public address, the ports it
    answers on from the internet, and the path (internet gateway -> route table -> network ACL ->
    security groups); load balancer targets reachable through the balancer only. Transit gateways,
    peering, PrivateLink and Network Firewall are not modelled."""
    if snapshot_file is not None:
        if profile or regions:
            raise InputError("--profile and --region are for live mode; a snapshot is read as it is")
        rows, gaps = exposure_report(snapshot_file)
    else:
        rows, gaps = _rows(collect_live(profile, regions))
    if as_json:
        click.echo(json.dumps({"exposed": rows, "not_assessed": gaps}, indent=2))
        return
    through = sum(1 for r in rows if r.get("via"))
    table = Table(title=f"Reachable from the internet: {len(rows) - through} (interface, ports); "
                        f"through a load balancer only: {through}")
    for column in ("account", "region", "resource", "public address", "ports", "from", "path"):
        table.add_column(column, overflow="fold")
    for r in rows:
        # Names come from the audited account: escaped, so a tag cannot write rich markup.
        cells = (r["account"], r["region"], f"{r['resource']}\n{r['interface']}", r["address"], r["ports"],
                 r["sources"], r["route"])
        table.add_row(*(escape(visible(str(cell), keep_newlines=True)) for cell in cells))
    console = Console(width=None if sys.stdout.isatty() else 200)  # pipes and files: no wrapping
    console.print(table)
    for gap in gaps:
        say(f"not assessed: {gap}", err=True)
