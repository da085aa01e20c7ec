"""The `awsaudit` command line: the only place that prints errors and chooses exit codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from awsaudit import __version__
from awsaudit import mutelist as mutelist_io
from awsaudit import settings as settings_io
from awsaudit import snapshot as snapshot_io
from awsaudit.checks import evaluate, load_all
from awsaudit.collect import COLLECTORS, collector_policy
from awsaudit.errors import AuditError, InputError, ScanInterrupted
from awsaudit.frameworks import controls_by_check
from awsaudit.model import Json, Severity
from awsaudit.outcome import EXIT_SCAN_ERROR, exit_code
from awsaudit.report import DEFAULT_FORMATS, FORMATS, ScanBuilder, ScanResult, parse_formats, write_all
from awsaudit.report.summary import print_summary
from awsaudit.scan import ScanOptions
from awsaudit.settings import Settings

log = logging.getLogger("awsaudit")
F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = [str(s) for s in Severity if s is not Severity.INFO]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _default_out(kind: str) -> Path:
    return Path("awsaudit-output") / f"{kind}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}"


def handle_errors(func: F) -> F:
    """AuditError -> one line on stderr and its exit code; Ctrl-C -> 130, no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditError as exc:
            click.echo(f"awsaudit: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("awsaudit: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn("collecting {task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total)

        yield update


@dataclass(frozen=True)
class AuditChoices:
    """What the user chose about evaluation and outputs (shared by demo, scan and audit)."""

    output_dir: Path | None
    fail_on: str | None
    fail_on_unknown: bool
    quiet: bool
    settings: Settings
    formats: tuple[str, ...] | None = None  # None: the command's default (demo: all)
    mutelist: mutelist_io.Mutelist | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> AuditChoices:
        """Resolve the options; a bad config, CIDR, format or mutelist fails here, before collecting."""
        loaded = settings_io.load(options["config"])
        if options["company_cidrs"]:
            cidrs = settings_io.parse_cidrs(options["company_cidrs"].split(","), "--company-cidrs")
            loaded = dataclasses.replace(loaded, company_cidrs=cidrs)
        return cls(
            options["output_dir"],
            options["fail_on"],
            options["fail_on_unknown"],
            options["quiet"],
            loaded,
            parse_formats(options["output_formats"]) if options["output_formats"] else None,
            mutelist_io.load(options["mutelist"]) if options["mutelist"] else None,
        )


def evaluate_shards(
    source_data: Json | Path, source: str, settings: Settings
) -> tuple[ScanBuilder, str | None]:
    """Evaluate a snapshot (a file, read shard by shard, or one in memory) one account at a time.

    Only the scan record (findings and per-account facts) accumulates; an account's document is
    released once it is evaluated, so memory is bounded by the largest account. Returns the
    builder and why the snapshot is incomplete (None when it is complete).
    """
    reader: snapshot_io.SnapshotReader | None = None
    if isinstance(source_data, Path):
        reader = snapshot_io.SnapshotReader(source_data)
        header = reader.header
        shards: Iterable[tuple[str, Json]] = reader.accounts()
    else:
        header = {k: v for k, v in source_data.items() if k != "accounts"}
        shards = sorted(source_data.get("accounts", {}).items())
    builder = ScanBuilder.for_snapshot(header, source, _now())
    for account_id, account in shards:
        shard = {**header, "accounts": {account_id: account}}
        builder.add_account(account_id, account, evaluate(shard, settings=settings))
    incomplete = reader.incomplete if reader is not None else header.get("incomplete")
    return builder, str(incomplete) if incomplete else None


def finish(source_data: Json | Path, source: str, kind: str, choices: AuditChoices) -> int:
    """Evaluate (a snapshot file shard by shard, or an in-memory one), write every output,
    print the summary; return the exit code."""
    out_dir = choices.output_dir or _default_out(kind)
    builder, incomplete = evaluate_shards(source_data, source, choices.settings)
    if incomplete:
        click.echo(f"awsaudit: warning: incomplete snapshot: {incomplete}", err=True)
    scan = builder.build(choices.mutelist)
    for warning in scan.warnings():
        click.echo(f"awsaudit: warning: {warning}", err=True)
    formats = choices.formats or (tuple(FORMATS) if kind == "demo" else DEFAULT_FORMATS)
    copied: dict[str, Path] = {}
    if isinstance(source_data, Path):  # the file already is the snapshot: copy it unless it is there
        out_dir.mkdir(parents=True, exist_ok=True)
        copied["snapshot"] = out_dir / "snapshot.json.gz"
        if not (copied["snapshot"].exists() and copied["snapshot"].samefile(source_data)):
            shutil.copyfile(source_data, copied["snapshot"])
    written = {**copied, **write_all(out_dir, scan, formats,
                                     snapshot=None if isinstance(source_data, Path) else source_data)}
    _print_results(scan, out_dir, written, choices.quiet)
    findings = scan.findings
    code = exit_code(
        findings, Severity(choices.fail_on) if choices.fail_on else None, choices.fail_on_unknown
    )
    if code == EXIT_SCAN_ERROR:
        click.echo(
            "awsaudit: some checks raised errors (reported as UNKNOWN 'check error'); exit 3", err=True
        )
    return code


def _print_results(scan: ScanResult, out_dir: Path, written: dict[str, Path], quiet: bool) -> None:
    if quiet:
        return
    # Pipes and CI logs get the width summary.txt has, not 80 columns of wrapped ARNs.
    console = Console() if sys.stdout.isatty() else Console(width=140)
    print_summary(console, scan, warnings=False)
    console.print(f"Results written to [bold]{out_dir}[/]: " + ", ".join(p.name for p in written.values()))


_OUTPUT_OPTIONS = (
    click.option(
        "--output-dir",
        "-o",
        type=click.Path(file_okay=False, path_type=Path),
        help="Folder for the results (default: awsaudit-output/<kind>-<UTC time>).",
    ),
    click.option(
        "--fail-on",
        type=click.Choice(SEVERITIES, case_sensitive=False),
        help="Exit 1 when a FAIL at or above this severity exists (for CI gates).",
    ),
    click.option(
        "--fail-on-unknown", is_flag=True, help="With --fail-on, treat UNKNOWN (not assessable) like FAIL."
    ),
    click.option(
        "--output-formats",
        metavar="LIST",
        help=f"Comma-separated: {','.join(FORMATS)} or all (default: {','.join(DEFAULT_FORMATS)}; "
        "demo: all). The snapshot and summary.txt are always written.",
    ),
    click.option(
        "--mutelist",
        type=click.Path(dir_okay=False, path_type=Path),
        help="YAML file of accepted risks: matching findings become MUTED and never gate "
        "(see docs/reports.md).",
    ),
    click.option(
        "--config",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Tunables file (default: ./awsaudit.toml if present). See `awsaudit config --show-defaults`.",
    ),
    click.option(
        "--company-cidrs",
        metavar="CIDR[,CIDR...]",
        help="The company's own IP ranges (admin access from elsewhere fails NET-5); overrides the config.",
    ),
    click.option("--quiet", "-q", is_flag=True, help="No summary or progress output."),
)


def output_options(func: F) -> F:
    """Apply the options in the order --help lists them."""
    for option in reversed(_OUTPUT_OPTIONS):  # click lists the last applied first
        func = option(func)
    return func


_SCAN_OPTIONS = (
    click.option("--profile", help="AWS named profile (default: the standard credential chain)."),
    click.option(
        "--region",
        "regions",
        multiple=True,
        metavar="REGION",
        help="Scan only this region (repeatable). Default: every enabled region.",
    ),
    click.option(
        "--all-regions",
        is_flag=True,
        help="Scan every region enabled in the account (the default; overrides --region).",
    ),
    click.option(
        "--service",
        "services",
        multiple=True,
        type=click.Choice(sorted(COLLECTORS)),
        help="Collect only this service (repeatable). Default: all.",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Parallel (region, service) collection tasks.",
    ),
    click.option(
        "--max-attempts",
        type=click.IntRange(1, 20),
        default=5,
        show_default=True,
        help="botocore attempts per call (retries on throttling and transient errors).",
    ),
    click.option(
        "--retry-mode",
        type=click.Choice(["standard", "adaptive"]),
        default="standard",
        show_default=True,
        help="botocore retry mode.",
    ),
)


def scan_options(func: F) -> F:
    """Apply the options in the order --help lists them."""
    for option in reversed(_SCAN_OPTIONS):  # click lists the last applied first
        func = option(func)
    return func


def _collect_live(
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    services: tuple[str, ...],
    concurrency: int,
    max_attempts: int,
    retry_mode: str,
    quiet: bool,
    snapshot_path: Path,
) -> Json:
    """Collect the live account into snapshot_path as it goes; on Ctrl-C the file keeps what was collected."""
    from awsaudit.collect.task import CredentialSource  # noqa: PLC0415 - keep `awsaudit --help` fast
    from awsaudit.scan import scan_account  # noqa: PLC0415

    source = CredentialSource.named_profile(profile) if profile else CredentialSource.default_chain()
    with progress_bar(quiet) as progress:
        options = ScanOptions(
            regions=() if all_regions else regions,
            services=services,
            concurrency=concurrency,
            max_attempts=max_attempts,
            retry_mode="adaptive" if retry_mode == "adaptive" else "standard",
            progress=progress,
            snapshot_path=snapshot_path,
        )
        try:
            return scan_account(source, options)
        except ScanInterrupted as stop:
            raise ScanInterrupted(
                stop.snapshot,
                f"interrupted; what was collected so far is saved in {snapshot_path} "
                f"(`awsaudit audit {snapshot_path}` evaluates it; what is missing is UNKNOWN)",
            ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="awsaudit")
@click.option("--verbose", "-v", count=True, help="More logging on stderr (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Audit an AWS account against a security baseline and CIS AWS Foundations.

    \b
    Start here:
      awsaudit demo                  audit a simulated, misconfigured account (no AWS needed)
      awsaudit scan                  audit the account of your current AWS credentials
      awsaudit collect -o s.json.gz  only collect a snapshot (e.g. on the client's side)
      awsaudit audit s.json.gz       evaluate a saved snapshot offline
      awsaudit report findings.json -o DIR   re-render an earlier scan's reports from its findings.json
      awsaudit checks                list the checks and the controls they assess
      awsaudit iam who-can ACTION    who can do what (IAM policy engine; also `iam paths`, `iam can`)

    \b
    Tunables (company IP ranges, ports, thresholds): awsaudit config --show-defaults
    Permissions the scan needs (read-only):           awsaudit permissions

    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error, 3 scan error.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@output_options
@handle_errors
def demo(**options: Any) -> None:
    """Build a realistic, misconfigured company account in moto (in-process) and audit it.

    Uses the same collectors and checks as a real scan; needs no AWS account and no network.
    """
    try:
        import moto  # noqa: F401, PLC0415 - moto is only imported for the demo
    except ImportError:
        raise InputError("the demo needs moto: pip install 'awsaudit[demo]'") from None
    from awsaudit.demo import collect_demo  # noqa: PLC0415

    choices = AuditChoices.from_options(options)
    with progress_bar(choices.quiet) as progress:
        snap = collect_demo(progress=progress)
    sys.exit(finish(snap, "demo (simulated with moto)", "demo", choices))


@main.command()
@scan_options
@output_options
@handle_errors
def scan(
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    services: tuple[str, ...],
    concurrency: int,
    max_attempts: int,
    retry_mode: str,
    **options: Any,
) -> None:
    """Collect the account of the current credentials and audit it (read-only API calls only)."""
    choices = AuditChoices.from_options(options)
    out_dir = choices.output_dir or _default_out("scan")
    choices = dataclasses.replace(choices, output_dir=out_dir)
    path = out_dir / "snapshot.json.gz"
    _collect_live(
        profile, regions, all_regions, services, concurrency, max_attempts, retry_mode, choices.quiet, path
    )
    sys.exit(finish(path, "scan", "scan", choices))


@main.command()
@scan_options
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Snapshot file to write (.json.gz).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@handle_errors
def collect(
    profile: str | None,
    regions: tuple[str, ...],
    all_regions: bool,
    services: tuple[str, ...],
    concurrency: int,
    max_attempts: int,
    retry_mode: str,
    output: Path,
    quiet: bool,
) -> None:
    """Collect a snapshot without evaluating it (hand it to the auditor; `awsaudit audit` reads it)."""
    snap = _collect_live(
        profile, regions, all_regions, services, concurrency, max_attempts, retry_mode, quiet, output
    )
    errors = sum(len(a.get("errors", [])) for a in snap["accounts"].values())
    if not quiet:
        click.echo(f"Snapshot written to {output} ({errors} collection error(s) recorded)", err=True)


@main.command()
@click.argument("snapshot_file", metavar="SNAPSHOT", type=click.Path(dir_okay=False, path_type=Path))
@output_options
@handle_errors
def audit(snapshot_file: Path, **options: Any) -> None:
    """Evaluate a saved snapshot offline (no AWS access needed)."""
    choices = AuditChoices.from_options(options)
    sys.exit(finish(snapshot_file, str(snapshot_file), "audit", choices))


@main.command("report")
@click.argument("findings_file", metavar="FINDINGS_JSON", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output-dir",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the re-rendered reports.",
)
@click.option(
    "--output-formats",
    metavar="LIST",
    default="all",
    show_default=True,
    help=f"Comma-separated: {','.join(FORMATS)} or all. summary.txt is always written.",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary output.")
@handle_errors
def report_command(findings_file: Path, output_dir: Path, output_formats: str, quiet: bool) -> None:
    """Re-render every report of an earlier scan from its findings.json (no snapshot, no AWS).

    The scan's own check titles, rationale, remediation and framework controls are used, as
    stored in the file, not those of the installed release. Mutes stay as they were applied.
    """
    from awsaudit.report import json_report  # noqa: PLC0415

    formats = parse_formats(output_formats)
    scan = json_report.load(findings_file)
    written = write_all(output_dir, scan, formats)
    _print_results(scan, output_dir, written, quiet)


@main.command()
@click.option("--show-defaults", is_flag=True, help="Print every tunable with its default, as awsaudit.toml.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="Check and print this file.")
@handle_errors
def config(show_defaults: bool, config: Path | None) -> None:
    """Show the audit tunables (company IP ranges, ports, thresholds) and check a config file."""
    if show_defaults or (config is None and not settings_io.DEFAULT_FILE.is_file()):
        click.echo(settings_io.DEFAULTS.to_toml())
        return
    click.echo(settings_io.load(config).to_toml())


@main.command()
def permissions() -> None:
    """Print the least-privilege IAM policy the collectors need (all read-only actions)."""
    click.echo(json.dumps(collector_policy(), indent=2))


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


@main.command("checks")
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


def _register_subgroups() -> None:
    from awsaudit.iam.cli import iam  # noqa: PLC0415 - the engine loads its catalogue lazily

    main.add_command(iam)


_register_subgroups()
