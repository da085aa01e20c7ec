"""The audit commands: demo, scan, collect, audit (a saved snapshot) and report (a saved scan).

Each collects or reads a snapshot, evaluates it one account at a time, and writes the reports;
errors become one line and an exit code in awsaudit.cli._base.handle_errors.
"""

from __future__ import annotations

import dataclasses
import gc
import shutil
import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from awsaudit import settings as settings_io
from awsaudit import snapshot as snapshot_io
from awsaudit.checks import evaluate
from awsaudit.checks._org_context import build_context
from awsaudit.cli._base import (
    F,
    credentials,
    default_out,
    handle_errors,
    now_iso,
    progress_bar,
    rescue_path,
    say,
    sigterm_interrupts,
    writable_folder,
)
from awsaudit.cli.exit_codes import EXIT_OK, EXIT_SCAN_ERROR, exit_code, scan_errors
from awsaudit.collect import COLLECTORS
from awsaudit.collect.scan import ScanOptions
from awsaudit.errors import InputError, ScanError, ScanInterrupted, SnapshotWriteError
from awsaudit.model import Json, Severity
from awsaudit.report import DEFAULT_FORMATS, FORMATS, ScanBuilder, ScanResult, parse_formats, write_all
from awsaudit.report import mutelist as mutelist_io
from awsaudit.report.scan_result import left_out
from awsaudit.report.summary import print_summary
from awsaudit.settings import Settings

if TYPE_CHECKING:
    from awsaudit.cli.drift import HistoryRun
    from awsaudit.collect.organization import OrgOptions

SEVERITIES = [str(s) for s in Severity if s is not Severity.INFO]


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
    history_db: Path | None = None
    """The history store to compare with and record into; None: --no-history."""
    fail_on_gaps: bool = False
    """Exit 3 on any collection error, not only on a service that failed as a whole."""

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> AuditChoices:
        """Resolve the options; a bad config, CIDR, format or mutelist fails here, before collecting."""
        loaded = settings_io.load(options["config"])
        if options["company_cidrs"]:
            cidrs = settings_io.parse_cidrs(options["company_cidrs"].split(","), "--company-cidrs")
            loaded = dataclasses.replace(loaded, company_cidrs=cidrs)
        history_db = None
        if not options.get("no_history"):
            from awsaudit.store.db import default_path  # noqa: PLC0415
            from awsaudit.store.history import HistoryStore  # noqa: PLC0415

            history_db = options.get("db") or default_path()
            HistoryStore(history_db).close()  # corrupt, locked, foreign: exit 2 before collecting
        return cls(
            options["output_dir"],
            options["fail_on"],
            options["fail_on_unknown"],
            options["quiet"],
            loaded,
            parse_formats(options["output_formats"]) if options["output_formats"] else None,
            mutelist_io.load(options["mutelist"]) if options["mutelist"] else None,
            history_db,
            bool(options.get("fail_on_gaps")),
        )


def evaluate_shards(
    source_data: Json | Path,
    source: str,
    settings: Settings,
    prepare: Callable[[str, Json, Json], Json] | None = None,
) -> tuple[ScanBuilder, str | None]:
    """Evaluate a snapshot (a file, read shard by shard, or one in memory) one account at a time.

    Only the scan record (findings and per-account facts) accumulates; an account's document is
    released once it is evaluated, so memory is bounded by the largest account. Returns the
    builder and why the snapshot is incomplete (None when it is complete).
    """
    reader: snapshot_io.SnapshotReader | None = None
    if isinstance(source_data, Path):
        # A first streaming pass keeps only the organization's context (the management shard's
        # organization data and small extracts of the others), then the shards are evaluated.
        organization = build_context(snapshot_io.SnapshotReader(source_data).accounts())
        reader = snapshot_io.SnapshotReader(source_data)
        header = reader.header
        shards: Iterable[tuple[str, Json]] = reader.accounts()
    else:
        header = {k: v for k, v in source_data.items() if k != "accounts"}
        shards = sorted(source_data.get("accounts", {}).items())
        organization = build_context(shards)
    builder = ScanBuilder.for_snapshot(header, source, now_iso())
    for account_id, account in shards:
        evaluated = prepare(account_id, account, header) if prepare is not None else account
        shard = {**header, "accounts": {account_id: evaluated}}
        findings = evaluate(shard, settings=settings, organization=organization)
        builder.add_account(account_id, account, findings)
    # Read after the shards: the end record holds each account's final outcome.
    coverage = reader.organization_scan() if reader is not None else header.get("organization_scan")
    builder.left_out = left_out(coverage)
    incomplete = reader.incomplete if reader is not None else header.get("incomplete")
    return builder, str(incomplete) if incomplete else None


def finish(source_data: Json | Path, source: str, kind: str, choices: AuditChoices) -> int:
    """Evaluate (a snapshot file shard by shard, or an in-memory one), write every output,
    print the summary; return the exit code."""
    out_dir = choices.output_dir or default_out(kind)
    with ExitStack() as stack:
        run = None
        if choices.history_db is not None:
            from awsaudit.cli.drift import HistoryRun, open_store  # noqa: PLC0415

            run = HistoryRun(stack.enter_context(open_store(choices.history_db)))
        return _finish(source_data, source, kind, choices, out_dir, run)
    raise AssertionError("unreachable")  # pragma: no cover - mypy cannot see ExitStack re-raise


def _finish(
    source_data: Json | Path, source: str, kind: str, choices: AuditChoices, out_dir: Path,
    run: HistoryRun | None,
) -> int:
    builder, incomplete = evaluate_shards(
        source_data, source, choices.settings, run.prepare if run is not None else None)
    if incomplete:
        say(f"awsaudit: warning: incomplete snapshot: {incomplete}", err=True)
    scan = builder.build(choices.mutelist)
    if run is not None:
        scan = run.attach(scan)
    for warning in scan.warnings():
        say(f"awsaudit: warning: {warning}", err=True)
    formats = choices.formats or (tuple(FORMATS) if kind == "demo" else DEFAULT_FORMATS)
    copied: dict[str, Path] = {}
    if isinstance(source_data, Path):  # the file already is the snapshot: copy it unless it is there
        out_dir.mkdir(parents=True, exist_ok=True)
        copied["snapshot"] = out_dir / "snapshot.json.gz"
        if not (copied["snapshot"].exists() and copied["snapshot"].samefile(source_data)):
            shutil.copyfile(source_data, copied["snapshot"])
    try:
        written = {**copied, **write_all(out_dir, scan, formats,
                                         snapshot=None if isinstance(source_data, Path) else source_data)}
    except OSError as exc:  # the folder was writable at the start: never lose the snapshot now
        raise ScanError(f"cannot write the reports to {out_dir}: {exc.strerror or exc}; "
                        f"{_keep_snapshot(source_data, out_dir)}") from None
    _print_results(scan, out_dir, written, choices.quiet)
    if run is not None:
        recorded = run.record(scan)  # after the reports: a store failure never costs a report
        if recorded is not None and not choices.quiet:
            from awsaudit.cli.drift import one_line  # noqa: PLC0415

            say(one_line(scan.history or {}))  # the full drift: awsaudit diff
            click.echo(f"Recorded as scan #{recorded} in {choices.history_db} "
                       "(awsaudit history, awsaudit diff)")
    findings = scan.findings
    reasons = scan_errors(findings, scan.coverage, bool(incomplete), choices.fail_on_gaps)
    code = exit_code(findings, Severity(choices.fail_on) if choices.fail_on else None,
                     choices.fail_on_unknown, scan_error=bool(reasons))
    if code == EXIT_SCAN_ERROR:
        click.echo(f"awsaudit: the audit is not whole: {'; '.join(reasons)}; exit 3", err=True)
    return code


def _keep_snapshot(source_data: Json | Path, out_dir: Path) -> str:
    """Make sure the snapshot survives a failed write of the reports; say where it is."""
    if isinstance(source_data, Path) and source_data.exists():
        return f"the snapshot is in {source_data}"
    if isinstance(source_data, Path):
        return "the snapshot file is gone"
    saved = out_dir / "snapshot.json.gz"
    if saved.is_file():
        return f"the snapshot is in {saved}"
    rescue = rescue_path()
    snapshot_io.save(source_data, rescue)
    return f"the snapshot is saved in {rescue} (awsaudit audit {rescue} -o DIR writes the reports)"


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
    click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        help="History store (SQLite) to compare with and record into "
        "(default: $XDG_DATA_HOME/awsaudit/history.sqlite).",
    ),
    click.option(
        "--no-history", is_flag=True, help="Neither compare with nor record into the history store."
    ),
    click.option(
        "--fail-on-gaps", is_flag=True,
        help="Exit 3 when anything could not be collected (a denied call, a region not enabled), "
        "not only when a whole service failed.",
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
    click.option(
        "--read-timeout",
        type=click.FloatRange(1, 900),
        default=60,
        show_default=True,
        help="Seconds to wait for each answer; a call that hangs is retried, then recorded.",
    ),
)


def scan_options(func: F) -> F:
    """Apply the options in the order --help lists them."""
    for option in reversed(_SCAN_OPTIONS):  # click lists the last applied first
        func = option(func)
    return func


_ORG_OPTIONS = (
    click.option(
        "--organization",
        is_flag=True,
        help="Scan every account of the caller's AWS Organization (from the management account "
        "or a delegated administrator); see docs/organizations.md.",
    ),
    click.option(
        "--role-name",
        default="OrganizationAccountAccessRole",
        show_default=True,
        help="With --organization: the role assumed in each member account.",
    ),
    click.option("--external-id", help="With --organization: the ExternalId the member roles require."),
    click.option(
        "--role-session-name",
        default="awsaudit",
        show_default=True,
        help="With --organization: the session name CloudTrail shows in each member account.",
    ),
    click.option(
        "--accounts",
        "accounts",
        multiple=True,
        metavar="ID[,ID...]",
        help="With --organization: only these accounts (repeatable; with --ou, these and the OUs').",
    ),
    click.option(
        "--exclude-accounts",
        multiple=True,
        metavar="ID[,ID...]",
        help="With --organization: leave these accounts out (repeatable).",
    ),
    click.option(
        "--ou",
        "ous",
        multiple=True,
        metavar="OU_ID",
        help="With --organization: only the accounts under this OU or root, nested OUs included "
        "(repeatable).",
    ),
    click.option(
        "--account-concurrency",
        type=click.IntRange(1, 64),
        default=4,
        show_default=True,
        help="With --organization: tasks, and API calls, in flight per account (no account is "
        "throttled); --concurrency bounds the tasks in flight in all.",
    ),
    click.option(
        "--resume",
        type=click.Path(path_type=Path),
        metavar="DIR_OR_SNAPSHOT",
        help="With --organization: take the accounts an earlier (interrupted) Organization "
        "snapshot holds as they are, collect the others; with `scan` and no -o, results go to DIR.",
    ),
    click.option(
        "--executor",
        default="threads",
        show_default=True,
        metavar="threads|dask://HOST:PORT",
        help="Where the collection tasks run: this process's threads, or an existing Dask "
        "scheduler's workers (pip install 'awsaudit[dask]').",
    ),
)


def org_options(func: F) -> F:
    """Apply the options in the order --help lists them."""
    for option in reversed(_ORG_OPTIONS):  # click lists the last applied first
        func = option(func)
    return func


@dataclass(frozen=True)
class LiveChoices:
    """What the user chose about a live collection (scan and collect)."""

    profile: str | None
    regions: tuple[str, ...]
    services: tuple[str, ...]
    concurrency: int
    max_attempts: int
    retry_mode: str
    read_timeout: float
    executor: str
    organization: OrgOptions | None

    @classmethod
    def pop(cls, options: dict[str, Any]) -> LiveChoices:
        """Take the scan and organization options out of `options` (the rest is output options)."""
        from awsaudit.collect.executors import parse_executor  # noqa: PLC0415 - imports no Dask
        from awsaudit.collect.organization import OrgOptions  # noqa: PLC0415

        regions = options.pop("regions")
        all_regions = options.pop("all_regions")
        org_keys = ("role_name", "external_id", "role_session_name", "accounts", "exclude_accounts",
                    "ous", "account_concurrency", "resume")
        org_values = {k: options.pop(k) for k in org_keys}
        organization = None
        if options.pop("organization"):
            organization = OrgOptions(
                role_name=org_values["role_name"],
                external_id=org_values["external_id"],
                session_name=org_values["role_session_name"],
                accounts=_ids(org_values["accounts"]),
                exclude_accounts=_ids(org_values["exclude_accounts"]),
                ous=tuple(org_values["ous"]),
                account_concurrency=org_values["account_concurrency"],
                resume=org_values["resume"],
            )
        else:
            flags = {"accounts": "--accounts", "exclude_accounts": "--exclude-accounts", "ous": "--ou",
                     "resume": "--resume", "external_id": "--external-id"}
            given = [flag for key, flag in flags.items() if org_values[key]]
            if given:
                raise InputError(f"{given[0]} needs --organization")
        executor = options.pop("executor")
        parse_executor(executor)  # a bad spec fails here, before collecting
        return cls(options.pop("profile"), () if all_regions else regions, options.pop("services"),
                   options.pop("concurrency"), options.pop("max_attempts"), options.pop("retry_mode"),
                   options.pop("read_timeout"), executor, organization)


def _ids(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))


def _collect_live(live: LiveChoices, quiet: bool, snapshot_path: Path) -> Json:
    """Collect the live account (or Organization) into snapshot_path as it goes; on Ctrl-C or
    SIGTERM the file keeps what was collected, marked incomplete; if the file cannot be written,
    it goes elsewhere."""
    from awsaudit.collect.executors import open_executor  # noqa: PLC0415
    from awsaudit.collect.scan import scan_account  # noqa: PLC0415
    from awsaudit.collect.task import (  # noqa: PLC0415 - keep `awsaudit --help` fast
        clear_process_cache,
        limit_malloc_arenas,
    )

    limit_malloc_arenas()  # before the scan's threads exist
    source = credentials(live.profile)
    with progress_bar(quiet) as progress, open_executor(live.executor) as executor:
        options = ScanOptions(
            regions=live.regions,
            services=live.services,
            concurrency=live.concurrency,
            max_attempts=live.max_attempts,
            retry_mode="adaptive" if live.retry_mode == "adaptive" else "standard",
            read_timeout=live.read_timeout,
            executor=executor,
            progress=progress,
            snapshot_path=snapshot_path,
        )
        try:
            with sigterm_interrupts():
                if live.organization is not None:
                    from awsaudit.collect.organization import scan_organization  # noqa: PLC0415

                    return scan_organization(source, options, live.organization)
                return scan_account(source, options)
        except ScanInterrupted as stop:
            raise _saved(stop, snapshot_path, resumable=live.organization is not None) from None
        except SnapshotWriteError as lost:
            rescue = rescue_path()
            snapshot_io.save(lost.snapshot, rescue)
            raise ScanError(f"{lost}; what was collected is saved in {rescue}") from None
        finally:
            # Collection is over: its clients and service models (most of a scan's memory) go
            # before evaluation and the reports need theirs; botocore's objects hold cycles.
            clear_process_cache(models=True)
            gc.collect()


def _saved(stop: ScanInterrupted, path: Path, resumable: bool = False) -> ScanInterrupted:
    """The one line an interrupted collection ends with: why, and where its snapshot is."""
    why = "terminated" if stop.exit_code == 143 else "interrupted"
    again = " (`--resume` continues from it)" if resumable else ""
    return ScanInterrupted(
        stop.snapshot,
        f"{why}; what was collected so far is saved in {path}{again} "
        f"(`awsaudit audit {path}` evaluates it; what is missing is UNKNOWN)",
        stop.exit_code,
    )


def organization_outcome(snap: Json, quiet: bool) -> int:
    """Say how many accounts of an Organization scan were assessed; EXIT_SCAN_ERROR if any
    selected account was not (its findings are missing, so the audit is not whole)."""
    from awsaudit.collect.organization import NOT_ASSESSED, summary  # noqa: PLC0415

    coverage = (snap.get("organization_scan") or {}).get("accounts") or {}
    if not coverage:
        return EXIT_OK
    by_outcome = summary(coverage)
    assessed = len(by_outcome.get("assessed", []))
    missing = by_outcome.get(NOT_ASSESSED, []) + by_outcome.get("interrupted", [])
    in_scope = assessed + len(missing)
    line = f"Organization: {assessed} of {in_scope} selected account(s) assessed"
    skipped = by_outcome.get("not_scanned", [])
    if skipped:
        line += f"; {len(skipped)} not scanned (" + ", ".join(
            f"{a} {coverage[a].get('state')}" for a in skipped) + ")"
    if by_outcome.get("excluded"):
        line += f"; {len(by_outcome['excluded'])} excluded"
    if not quiet or missing:
        click.echo(line, err=True)
    for account_id in missing:
        entry = coverage[account_id]
        why = f"{entry.get('code') or entry.get('outcome')}: {entry.get('message') or entry.get('reason')}"
        click.echo(f"awsaudit: account {account_id} ({entry.get('name')}) not assessed: {why}", err=True)
    return EXIT_SCAN_ERROR if missing else EXIT_OK


@click.command()
@click.option(
    "--drift",
    is_flag=True,
    help="Audit twice with a change set in between (a bucket made public, SSH opened, a policy "
    "widened, a user deleted) and show what changed since the last audit.",
)
@output_options
@handle_errors
def demo(drift: bool, **options: Any) -> None:
    """Build a realistic, misconfigured company account in moto (in-process) and audit it.

    Uses the same collectors and checks as a real scan; needs no AWS account and no network.
    With --drift the first audit goes to OUTPUT/before/, the second to OUTPUT/ with its "since
    the last audit" section; both are recorded (with --no-history, in a temporary store).
    """
    try:
        import moto  # noqa: F401, PLC0415 - moto is only imported for the demo
    except ImportError:
        raise InputError("the demo needs moto: pip install 'awsaudit[demo]'") from None
    from awsaudit.demo import collect_demo  # noqa: PLC0415

    choices = AuditChoices.from_options(options)
    out_dir = writable_folder(choices.output_dir or default_out("demo"))  # before building anything
    choices = dataclasses.replace(choices, output_dir=out_dir)
    if drift:
        sys.exit(_demo_drift(choices))
    with progress_bar(choices.quiet) as progress:
        try:
            with sigterm_interrupts():
                snap = collect_demo(progress=progress)
        except ScanInterrupted as stop:
            path = out_dir / "snapshot.json.gz"
            snapshot_io.save(dict(stop.snapshot), path)
            raise _saved(stop, path) from None
    code = finish(snap, "demo (simulated with moto)", "demo", choices)
    organization_outcome(snap, choices.quiet)  # said, not gating: the demo shows a missing role
    sys.exit(code)


def _demo_drift(choices: AuditChoices) -> int:
    """Both audits of `demo --drift`, then the diff between them as `awsaudit diff` shows it."""
    import tempfile  # noqa: PLC0415

    from awsaudit.cli.drift import open_store, print_drift, scans_drift  # noqa: PLC0415
    from awsaudit.demo import collect_demo_drift  # noqa: PLC0415

    out_dir = choices.output_dir or default_out("demo")
    with tempfile.TemporaryDirectory(prefix="awsaudit-history-") as tmp:
        if choices.history_db is None:  # --no-history: the comparison still needs a store
            choices = dataclasses.replace(choices, history_db=Path(tmp) / "history.sqlite")
        with progress_bar(choices.quiet) as progress:
            before, after, changes = collect_demo_drift(progress=progress)
        finish(before, "demo (simulated with moto), first audit", "demo",
               dataclasses.replace(choices, output_dir=out_dir / "before", quiet=True))
        if not choices.quiet:
            click.echo("Changed between the two audits:\n" + "\n".join(f"  - {c}" for c in changes))
        code = finish(after, "demo (simulated with moto), after the change set", "demo",
                      dataclasses.replace(choices, output_dir=out_dir))
        if not choices.quiet and choices.history_db is not None:
            with open_store(choices.history_db) as store:
                pair = store.latest_pair()
                if pair is not None:
                    console = Console() if sys.stdout.isatty() else Console(width=160)
                    print_drift(console, scans_drift(store, *pair),
                                f"Since the last audit (awsaudit diff {pair[0].id} {pair[1].id})")
    return code


@click.command()
@scan_options
@org_options
@output_options
@handle_errors
def scan(**options: Any) -> None:
    """Collect the account of the current credentials (or, with --organization, every account
    of its Organization) and audit it (read-only API calls only)."""
    live = LiveChoices.pop(options)
    resume = live.organization.resume if live.organization is not None else None
    if options["output_dir"] is None and resume is not None and resume.is_dir():
        options["output_dir"] = resume  # `scan --organization --resume DIR` carries on in DIR
    choices = AuditChoices.from_options(options)
    out_dir = writable_folder(choices.output_dir or default_out("scan"))  # before any AWS call
    choices = dataclasses.replace(choices, output_dir=out_dir)
    path = out_dir / "snapshot.json.gz"
    snap = _collect_live(live, choices.quiet, path)
    code = finish(path, "scan", "scan", choices)
    if live.organization is not None:
        code = max(code, organization_outcome(snap, choices.quiet))  # 3 outranks 1 and 0
    sys.exit(code)


@click.command()
@scan_options
@org_options
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
def collect(output: Path, quiet: bool, **options: Any) -> None:
    """Collect a snapshot without evaluating it (hand it to the auditor; `awsaudit audit` reads it)."""
    live = LiveChoices.pop(options)
    writable_folder(output.parent)  # before any AWS call
    snap = _collect_live(live, quiet, output)
    if live.organization is not None:
        if not quiet:
            click.echo(f"Snapshot written to {output}", err=True)
        sys.exit(organization_outcome(snap, quiet))
    errors = sum(len(a.get("errors", [])) for a in snap["accounts"].values())
    if not quiet:
        click.echo(f"Snapshot written to {output} ({errors} collection error(s) recorded)", err=True)


@click.command()
@click.argument("snapshot_file", metavar="SNAPSHOT", type=click.Path(dir_okay=False, path_type=Path))
@output_options
@handle_errors
def audit(snapshot_file: Path, **options: Any) -> None:
    """Evaluate a saved snapshot offline (no AWS access needed)."""
    choices = AuditChoices.from_options(options)
    out_dir = writable_folder(choices.output_dir or default_out("audit"))
    choices = dataclasses.replace(choices, output_dir=out_dir)
    sys.exit(finish(snapshot_file, str(snapshot_file), "audit", choices))


@click.command("report")
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


