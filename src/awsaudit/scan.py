"""Run the collectors as (account, region, service) tasks on an Executor and assemble the snapshot."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from awsaudit import __version__, snapshot
from awsaudit.collect import COLLECTORS, Collector
from awsaudit.collect._call import Context
from awsaudit.errors import InputError, ScanInterrupted
from awsaudit.model import Json

log = logging.getLogger(__name__)

DEFAULT_HOME_REGION = "us-east-1"
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
    executor: Executor | None = None
    progress: Progress | None = None

    def botocore_config(self) -> Config:
        return Config(
            # total_max_attempts counts the first call; the dict's max_attempts would count retries only
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=max(10, self.concurrency * 2),
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra=f"awsaudit/{__version__}",
        )


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


def _run_collector(collector: Collector, ctx: Context) -> Json:
    try:
        return collector.func(ctx)
    except (ClientError, BotoCoreError) as exc:  # a collector let an AWS error through: keep the rest
        code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
        ctx.record(collector.service, "*", ctx.account, code, str(exc))
        return {"_errors": {"*": code}}
    except Exception as exc:
        log.exception("collector %s failed in %s", collector.service, ctx.region)
        ctx.record(collector.service, "*", ctx.account, "CollectorError", f"{type(exc).__name__}: {exc}")
        return {"_errors": {"*": f"CollectorError: {type(exc).__name__}"}}


def scan_account(session: boto3.Session, options: ScanOptions) -> Json:
    """Collect one account into a new snapshot."""
    config = options.botocore_config()
    account_id, partition = identify(session, config)
    home = session.region_name or DEFAULT_HOME_REGION
    ctx = Context(session, account_id, home, partition, config, concurrency=options.concurrency)
    disabled: list[str] = []
    if options.regions:
        regions = sorted(set(options.regions))
    else:
        try:
            regions, disabled = enabled_regions(ctx)
        except (ClientError, BotoCoreError) as exc:
            raise InputError(f"Cannot list the account's regions (ec2:DescribeRegions): {exc}") from None
    collectors = [c for c in COLLECTORS.values() if not options.services or c.service in options.services]
    unknown = set(options.services) - set(COLLECTORS)
    if unknown:
        raise InputError(f"Unknown service(s): {', '.join(sorted(unknown))}; known: {', '.join(COLLECTORS)}")

    snap = snapshot.new(__version__, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), partition)
    account: Json = {
        "account_id": account_id,
        "_arn": f"arn:{partition}:iam::{account_id}:root",
        "home_region": home,
        "regions_scanned": regions,
        "regions_disabled": disabled,
        "global": {},
        "regions": {r: {} for r in regions},
        "errors": ctx.errors,
    }
    snap["accounts"][account_id] = account

    # Global tasks first: they are few and long (S3's per-bucket calls, IAM's credential report),
    # so starting them early keeps them off the critical path behind hundreds of regional tasks.
    tasks: list[tuple[Collector, str | None]] = [(c, None) for c in collectors if c.scope == "global"]
    tasks += [(c, region) for c in collectors if c.scope != "global" for region in regions]

    executor = options.executor or ThreadPoolExecutor(
        max_workers=options.concurrency, thread_name_prefix="awsaudit"
    )
    own_executor = options.executor is None
    try:
        futures: dict[Future[Json], tuple[Collector, str | None]] = {
            executor.submit(_run_collector, c, ctx.for_region(r or home)): (c, r) for c, r in tasks
        }
        for done, future in enumerate(as_completed(futures), start=1):
            collector, region = futures[future]
            target = account["global"] if region is None else account["regions"][region]
            target[collector.service] = future.result()
            if options.progress:
                options.progress(f"{collector.service} {region or 'global'}", done, len(tasks))
    except KeyboardInterrupt:
        # Keep what finished; tasks still running are abandoned (their services stay absent,
        # so their checks are UNKNOWN, never PASS).
        if own_executor:
            executor.shutdown(wait=False, cancel_futures=True)
        snap["incomplete"] = "interrupted by the user"
        account["errors"] = _sorted_errors(list(ctx.errors))
        raise ScanInterrupted(snap) from None
    if own_executor:
        executor.shutdown(wait=True)
    account["errors"] = _sorted_errors(ctx.errors)
    return snap


def _sorted_errors(errors: list[Json]) -> list[Json]:
    return sorted(errors, key=lambda e: (e["service"], e["region"], e["operation"], e["resource"], e["code"]))


def services() -> Iterable[str]:
    return COLLECTORS.keys()
