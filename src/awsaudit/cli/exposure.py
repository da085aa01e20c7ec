"""`awsaudit exposure`: what the internet can really reach, from a snapshot, as a table or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from awsaudit import snapshot as snapshot_io
from awsaudit.checks._view import AccountView
from awsaudit.checks.network._exposure import exposure_rows
from awsaudit.cli._base import handle_errors
from awsaudit.model import Json


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


@click.command("exposure")
@click.option("--snapshot", "snapshot_file", required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A snapshot from `awsaudit collect` (or the one a scan or the demo wrote).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@handle_errors
def exposure(snapshot_file: Path, as_json: bool) -> None:
    """What the internet can reach: each network interface with a public address, the ports it
    answers on from the internet, and the path (internet gateway -> route table -> network ACL ->
    security groups). Transit gateways, peering, PrivateLink and Network Firewall are not modelled."""
    rows, gaps = exposure_report(snapshot_file)
    if as_json:
        click.echo(json.dumps({"exposed": rows, "not_assessed": gaps}, indent=2))
        return
    through = sum(1 for r in rows if r.get("via"))
    table = Table(title=f"Reachable from the internet: {len(rows) - through} (interface, ports); "
                        f"through a load balancer only: {through}")
    for column in ("account", "region", "resource", "public address", "ports", "from", "path"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["account"], r["region"], f"{r['resource']}\n{r['interface']}", r["address"],
                      r["ports"], r["sources"], r["route"])
    console = Console(width=None if sys.stdout.isatty() else 200)  # pipes and files: no wrapping
    console.print(table)
    for gap in gaps:
        click.echo(f"not assessed: {gap}", err=True)
