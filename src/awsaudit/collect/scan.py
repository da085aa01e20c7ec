"""Run the collectors as (account, region, service) tasks on an Executor and assemble the snapshot.

Identification and region discovery happen here, in the main process. Each task is a
picklable `CollectTask` run by `run_task` wherever the executor runs it; its data and errors
come back in a `TaskResult` and are merged here, so no state is shared with the workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import boto3
import botocore.loaders
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from awsaudit import __version__, snapshot
from awsaudit.collect import COLLECTORS, Collector
from awsaudit.collect._call import Context
from awsaudit.collect.task import CollectTask, CredentialSource, TaskOptions, TaskResult, run_task
from awsaudit.errors import InputError, ScanInterrupted, SnapshotWriteError, Terminated
from awsaudit.model import Json

log = logging.getLogger(__name__)

DEFAULT_HOME_REGION = "us-east-1"
INTERRUPTED = "interrupted by the user"
TERMINATED = "terminated (SIGTERM)"
ENABLED = frozenset({"opt-in-not-required", "opted-in"})

Progress = Callable[[str, int, int], None]
"""progress(description, done, total), called after each task."""


@dataclass
class ScanOptions:
    regions: tuple[str, ...] = ()  # empty: every enabled region
    services: tuple[str, ...] = ()  # empty: every collector
    concurrency: int = 8
    max_attempts: int = 5
    retry_mode: Literal["standard", "adaptive"] = "standard"
    connect_timeout: float = 10
    read_timeout: float = 60
    """Seconds per attempt: an endpoint that hangs costs at most max_attempts of these per call."""
    executor: Executor | None = None
    progress: Progress | None = None
    snapshot_path: Path | None = None
    """Write the snapshot here as it is collected (schema 2 shards); None: memory only."""

    def task_options(self) -> TaskOptions:
        return TaskOptions(self.max_attempts, self.retry_mode, self.concurrency, self.connect_timeout,
                           self.read_timeout)

    def botocore_config(self) -> Config:
        # total_max_attempts counts the first call; the dict's max_attempts would count retries only
        return self.task_options().botocore_config()


def identify(session: boto3.Session, config: Config) -> tuple[str, str]:
    """(account id, partition) of the credentials; one readable InputError if there are none."""
    if session.get_credentials() is None:
        raise InputError(
            "No AWS credentials found (profile, environment, SSO or instance role). "
            "Configure credentials, or run `awsaudit demo` to see an audit of a simulated account."
        )
    region = session.region_name or DEFAULT_HOME_REGION
    try:
        identity = session.client("sts", region_name=region, config=config).get_caller_identity()
    except NoCredentialsError:
        raise InputError("No AWS credentials found; run `awsaudit demo` for a simulated account.") from None
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise InputError(f"AWS rejected the credentials: {err.get('Code')}: {err.get('Message')}") from None
    except (BotoCoreError, NoRegionError) as exc:
        raise InputError(f"Cannot reach AWS STS to identify the account: {exc}") from None
    arn = identity["Arn"]
    return identity["Account"], arn.split(":")[1]


def enabled_regions(ctx: Context) -> tuple[list[str], list[str]]:
    """(enabled, disabled) regions, decided from each region's OptInStatus (moto ignores Filters)."""
    response = ctx.client("ec2").describe_regions(AllRegions=True)
    enabled: list[str] = []
    disabled: list[str] = []
    for region in response["Regions"]:
        (enabled if region.get("OptInStatus", "opt-in-not-required") in ENABLED else disabled).append(
            region["RegionName"]
        )
    return sorted(enabled), sorted(disabled)


def check_region_names(regions: Iterable[str]) -> None:
    """InputError, before any call, for a name that is no region of any partition (`nowhere-1`).

    botocore's endpoint data knows each partition's regions and the pattern of new ones, so a
    region newer than the installed botocore is still accepted.
    """
    data = botocore.loaders.create_loader().load_data("endpoints")
    known: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for part in data.get("partitions", []):
        known.update(part.get("regions", {}))
        if part.get("regionRegex"):
            patterns.append(re.compile(part["regionRegex"]))
    bad = sorted(r for r in set(regions) if r not in known and not any(p.match(r) for p in patterns))
    if bad:
        raise InputError(f"unknown region(s): {', '.join(bad)} (e.g. eu-west-1; "
                         "`aws ec2 describe-regions` lists the account's)")


def split_enabled(ctx: Context, wanted: list[str]) -> tuple[list[str], list[str]]:
    """The asked-for regions that are enabled, and those the account has not opted in to.

    A disabled region would only answer errors: it is skipped and listed (coverage shows it).
    When DescribeRegions cannot be read, every asked-for region is scanned as given.
    """
    try:
        enabled, disabled = enabled_regions(ctx)
    except (ClientError, BotoCoreError) as exc:
        log.warning("cannot tell which regions are enabled (ec2:DescribeRegions: %s); scanning %s",
                    exc, ", ".join(wanted))
        return wanted, []
    off = set(disabled) - set(enabled)
    return [r for r in wanted if r not in off], [r for r in wanted if r in off]


def build_tasks(
    collectors: Iterable[Collector],
    account_id: str,
    partition: str,
    home: str,
    regions: Iterable[str],
    credentials: CredentialSource,
    options: TaskOptions,
) -> list[CollectTask]:
    """The account's tasks, global ones first.

    Global tasks are few and long (S3's per-bucket calls, IAM's credential report), so
    starting them early keeps them off the critical path behind hundreds of regional tasks.
    """
    chosen = list(collectors)
    regions = list(regions)

    def task(collector: Collector, region: str | None) -> CollectTask:
        return CollectTask(account_id, partition, collector.service, region, credentials, options, home)

    tasks = [task(c, None) for c in chosen if c.scope == "global"]
    return tasks + [task(c, r) for c in chosen if c.scope != "global" for r in regions]


def select_collectors(services: Iterable[str]) -> list[Collector]:
    """The collectors to run (every one when `services` is empty); an unknown name is an InputError."""
    wanted = set(services)
    unknown = wanted - set(COLLECTORS)
    if unknown:
        raise InputError(f"Unknown service(s): {', '.join(sorted(unknown))}; known: {', '.join(COLLECTORS)}")
    return [c for c in COLLECTORS.values() if not wanted or c.service in wanted]


def new_account(account_id: str, partition: str, home: str, regions: Iterable[str],
                disabled: Iterable[str], requested: Iterable[str] = ()) -> Json:
    """An empty account document, ready for `merge` (`requested`: the --region list, if any)."""
    scanned = list(regions)
    asked = sorted(set(requested))
    return {
        "account_id": account_id,
        "_arn": f"arn:{partition}:iam::{account_id}:root",
        "home_region": home,
        "regions_scanned": scanned,
        "regions_disabled": list(disabled),
        **({"regions_requested": asked} if asked else {}),
        "global": {},
        "regions": {r: {} for r in scanned},
        "errors": [],
    }


def merge(account: Json, result: TaskResult) -> None:
    """Put one task's data and errors into its account document (main process only)."""
    task = result.task
    target = account["global"] if task.region is None else account["regions"].setdefault(task.region, {})
    target[task.service] = result.data
    account["errors"].extend(result.errors)


def scan_account(credentials: CredentialSource | boto3.Session, options: ScanOptions) -> Json:
    """Collect one account into a new snapshot (and into options.snapshot_path, when given).

    `credentials` says how tasks get their session where they run; a ready boto3 Session is
    accepted for in-process use (threads) and wrapped as a process-local source.
    """
    check_region_names(options.regions)  # before any call: a typo is a usage error, not a scan
    source = credentials if isinstance(credentials, CredentialSource) else CredentialSource.local(credentials)
    session = source.session()
    config = options.botocore_config()
    account_id, partition = identify(session, config)
    home = session.region_name or DEFAULT_HOME_REGION
    disabled: list[str] = []
    if options.regions:
        regions, disabled = split_enabled(
            Context(session, account_id, home, partition, config), sorted(set(options.regions)))
    else:
        try:
            regions, disabled = enabled_regions(Context(session, account_id, home, partition, config))
        except (ClientError, BotoCoreError) as exc:
            raise InputError(f"Cannot list the account's regions (ec2:DescribeRegions): {exc}") from None
    collectors = select_collectors(options.services)
    snap = snapshot.new(__version__, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), partition)
    account = new_account(account_id, partition, home, regions, disabled, options.regions)
    snap["accounts"][account_id] = account
    writer = (
        snapshot.SnapshotWriter(options.snapshot_path, snapshot.header_of(snap))
        if options.snapshot_path is not None
        else None
    )
    tasks = build_tasks(collectors, account_id, partition, home, regions, source, options.task_options())
    executor = options.executor or ThreadPoolExecutor(
        max_workers=options.concurrency, thread_name_prefix="awsaudit"
    )
    own_executor = options.executor is None
    try:
        futures: list[Future[TaskResult]] = [executor.submit(run_task, task) for task in tasks]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            merge(account, result)
            if options.progress:
                options.progress(f"{result.task.service} {result.task.where}", done, len(tasks))
    except KeyboardInterrupt as stop:
        # Keep what finished; tasks still running are abandoned (their services stay absent,
        # so their checks are UNKNOWN, never PASS).
        if own_executor:
            executor.shutdown(wait=False, cancel_futures=True)
        terminated = isinstance(stop, Terminated)
        snap["incomplete"] = TERMINATED if terminated else INTERRUPTED
        _end(snap, account, writer, snap["incomplete"])
        raise ScanInterrupted(snap, "scan " + snap["incomplete"],
                              Terminated.signal_exit_code if terminated else 130) from None
    except Exception as exc:  # e.g. a broken process pool: what was merged is kept, marked incomplete
        _end(snap, account, writer, f"the scan failed: {type(exc).__name__}: {exc}")
        raise
    if own_executor:
        executor.shutdown(wait=True)
    _end(snap, account, writer, None)
    return snap


def _end(snap: Json, account: Json, writer: snapshot.SnapshotWriter | None, incomplete: str | None) -> None:
    """Sort the account's errors and write its shard and the end record (complete unless a reason).

    A write that fails (disk full, the folder removed) raises SnapshotWriteError with the snapshot,
    so that what was collected can still be saved elsewhere.
    """
    account["errors"] = sorted_errors(account["errors"])
    if writer is not None:
        try:
            writer.add_account(str(account["account_id"]), account)
            writer.close(complete=incomplete is None, reason=incomplete)
        except OSError as exc:
            raise SnapshotWriteError(snap, f"cannot write the snapshot {writer.path}: {exc}") from None


def sorted_errors(errors: list[Json]) -> list[Json]:
    """An account's error records in a stable order (tasks finish in any order)."""
    return sorted(errors, key=lambda e: (e["service"], e["region"], e["operation"], e["resource"], e["code"]))


def services() -> Iterable[str]:
    return COLLECTORS.keys()
