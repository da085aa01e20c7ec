"""The reference commands: the checks and framework controls, the tunables, the scan's permissions."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from awsaudit import settings as settings_io
from awsaudit.checks import load_all
from awsaudit.cli._base import handle_errors
from awsaudit.collect import collector_policy, organization_policy
from awsaudit.errors import InputError
from awsaudit.frameworks import controls_by_check
from awsaudit.model import Json


@click.command()
@click.option("--show-defaults", is_flag=True, help="Print every tunable with its default, as awsaudit.toml.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Check and print this file.")
@handle_errors
def config(show_defaults: bool, config: Path | None) -> None:
    """Show the audit tunables (company IP ranges, ports, thresholds) and check a config file."""
    if show_defaults or (config is None and not settings_io.DEFAULT_FILE.is_file()):
        click.echo(settings_io.DEFAULTS.to_toml())
        return
    click.echo(settings_io.load(config).to_toml())


@click.command()
@click.option("--organization", "role_name", metavar="ROLE_NAME", default=None,
              help="The caller's policy for `scan --organization --role-name ROLE_NAME`: its own audit, "
              "listing the accounts, and sts:AssumeRole on that role in every member (the members' "
              "role needs the policy printed without this option).")
def permissions(role_name: str | None) -> None:
    """Print the least-privilege IAM policy the collectors need (all read-only actions)."""
    policy = collector_policy() if role_name is None else organization_policy(role_name)
    click.echo(json.dumps(policy, indent=2))


def catalogue() -> list[Json]:
    """Every check with its metadata and the framework controls it assesses."""
    controls = controls_by_check()
    return [
        {
            "id": c.id,
            "title": c.title,
            "severity": str(c.severity),
            "objective": str(c.objective),
            "area": c.area,
            "over": c.over,
            "rationale": c.rationale,
            "remediation": {
                "console": list(c.remediation.console),
                "cli": c.remediation.cli,
                "terraform": c.remediation.terraform,
            },
            "controls": {fw: list(ids) for fw, ids in controls.get(c.id, {}).items()},
        }
        for c in sorted(load_all().values(), key=lambda c: (c.area, c.id))
    ]


def framework_view(fw_id: str) -> list[Json]:
    """The controls of one framework with the checks that assess them."""
    from awsaudit.frameworks import control_checks, frameworks  # noqa: PLC0415

    known = frameworks()
    if fw_id not in known:
        raise InputError(f"unknown framework {fw_id!r}; known: {', '.join(sorted(known))}")
    checks = load_all()
    controls = known[fw_id]["controls"]
    return [
        {
            "control": cid,
            "title": str(controls[cid].get("title", "")),
            "checks": control_checks(fw_id, cid),
            "severities": sorted(
                {str(checks[c].severity) for c in control_checks(fw_id, cid) if c in checks}
            ),
        }
        for cid in controls
    ]


@click.command("checks")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option(
    "--framework",
    metavar="ID",
    help="List this framework's controls and their checks instead (baseline, cis-7.0, cis-6.0, cis-5.0).",
)
@handle_errors
def list_checks(as_json: bool, framework: str | None) -> None:
    """List the checks: id, severity, title and the baseline/CIS controls they assess."""
    if framework:
        view = framework_view(framework)
        if as_json:
            click.echo(json.dumps(view, indent=2))
            return
        covered = sum(1 for c in view if c["checks"])
        table = Table(title=f"{framework}: {len(view)} controls, {covered} with checks")
        for col in ("control", "title", "checks"):
            table.add_column(col, overflow="fold")
        for c in view:
            table.add_row(c["control"], c["title"], ", ".join(c["checks"]) or "[red]none[/]")
        Console().print(table)
        return
    rows = catalogue()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} checks")
    for col in ("id", "severity", "objective", "title", "baseline", "cis-7.0"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            r["id"],
            r["severity"],
            r["objective"],
            r["title"],
            ", ".join(r["controls"].get("baseline", [])),
            ", ".join(r["controls"].get("cis-7.0", [])),
        )
    Console().print(table)


