"""How does an Organization scan scale? Accounts per minute, calls per account, and the memory of
the coordinating process, on threads and on a local Dask cluster, against moto with a latency.

    .venv/bin/python -m benchmarks.org_bench                                 # 10, 25, 50 accounts
    .venv/bin/python -m benchmarks.org_bench --accounts 10 --executor threads --json org.json

One moto server (benchmarks.latency_server, its own process) holds a simulated organization:
a management account and `max(--accounts)` members of mixed sizes (MIX: per ten accounts, six
tiny, three small, one medium), generated through the server without latency. Each run selects
the first N members (`--accounts` of the scan) and scans them (`benchmarks.org_worker`, a process
of its own, so that its peak RSS is the coordinator's alone) on threads, or on a
`distributed.LocalCluster` of worker processes started here; the server's counters give the API
calls. Printed per run: wall time, accounts per minute, calls per account, the coordinator's RSS
(after imports, at peak, and as accounts completed), the workers' peak RSS; then the
extrapolation to 1,000 accounts on 8 workers. See benchmarks/README.md for the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from benchmarks.collect_bench import ROOT, Server, server_process, source_version

DEFAULT_REGIONS = ("eu-west-1", "us-east-1")
TARGET_MINUTES_1000 = 10.0


@dataclass(frozen=True)
class MemberSize:
    """What one member account holds (security groups and topics per region)."""

    name: str
    buckets: int
    users: int
    roles: int
    groups: int
    topics: int
    keys: int


SIZES = {
    "tiny": MemberSize("tiny", buckets=2, users=2, roles=1, groups=1, topics=1, keys=0),
    "small": MemberSize("small", buckets=8, users=10, roles=5, groups=6, topics=2, keys=1),
    "medium": MemberSize("medium", buckets=25, users=30, roles=12, groups=20, topics=4, keys=2),
}
MIX = ("tiny", "small", "tiny", "tiny", "small", "tiny", "medium", "tiny", "small", "tiny")
"""Member i has size MIX[i % 10]: any first N members are mixed alike."""


def _config() -> Config:
    return Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 3})


def _member(endpoint: str, account: str, size: MemberSize, regions: Sequence[str]) -> None:
    sts = boto3.client("sts", region_name=regions[0], endpoint_url=endpoint, config=_config(),
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="bench-generate")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=regions[0])

    def client(service: str, region: str | None = None) -> Any:
        return session.client(  # type: ignore[call-overload]
            service, region_name=region or regions[0], endpoint_url=endpoint, config=_config())

    iam = client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for i in range(size.users):
        iam.create_user(UserName=f"user-{i}")
    for i in range(size.roles):
        iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=trust)
    s3 = client("s3")
    for i in range(size.buckets):
        s3.create_bucket(Bucket=f"b-{account}-{i}",
                         CreateBucketConfiguration={"LocationConstraint": regions[0]})
    for region in regions:
        ec2 = client("ec2", region)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        for i in range(size.groups):
            group = ec2.create_security_group(GroupName=f"sg-{i}", Description="bench",
                                              VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        sns = client("sns", region)
        for i in range(size.topics):
            sns.create_topic(Name=f"topic-{i}")
        kms = client("kms", region)
        for _ in range(size.keys):
            kms.create_key(Description="bench")


def generate(endpoint: str, members: int, regions: Sequence[str]) -> list[str]:
    """The organization and its members (through the server, no latency); the members' ids in order."""
    orgs = boto3.client("organizations", region_name=regions[0], endpoint_url=endpoint, config=_config(),
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    orgs.create_organization(FeatureSet="ALL")
    ids = [orgs.create_account(AccountName=f"member-{i:04d}", Email=f"m{i}@example.com")[
        "CreateAccountStatus"]["AccountId"] for i in range(members)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda pair: _member(endpoint, pair[1], SIZES[MIX[pair[0] % len(MIX)]], regions),
                      enumerate(ids)))
    return ids


def _environment(endpoint: str, region: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def scan_in_subprocess(job: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, **_environment(job["endpoint"], job["regions"][0])}
    done = subprocess.run([sys.executable, "-m", "benchmarks.org_worker", json.dumps(job)], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scan failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def local_cluster(endpoint: str, region: str, workers: int, threads: int) -> Iterator[Any]:
    """A LocalCluster of worker processes that inherit the server's endpoint and fake credentials."""
    import dask  # noqa: PLC0415 - the [dask] extra
    from distributed import Client, LocalCluster  # noqa: PLC0415

    os.environ.update(_environment(endpoint, region))
    # Dask's statistical profiler samples every worker thread's stack each 10 ms and keeps an
    # hour of call trees: ~1.5 MiB per account scanned here, which is the profiler's, not the
    # scan's (docs/organizations.md). Off, as for a long scan.
    # Set in this process's configuration: the nannies hand it to the workers they start.
    dask.config.set({"distributed.worker.profile.enabled": False})
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    with LocalCluster(processes=True, n_workers=workers, threads_per_worker=threads,
                      dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
        yield cluster, client


def _worker_stats() -> dict[str, float]:
    """Run on each Dask worker: its peak RSS (MiB), its RSS now (after a collection), CPU seconds."""
    import gc  # noqa: PLC0415

    from benchmarks.scan_worker import _current_rss_mb, _peak_rss_mb  # noqa: PLC0415

    gc.collect()
    return {"rss_peak_mb": _peak_rss_mb(), "rss_now_mb": _current_rss_mb(),
            "cpu_seconds": time.process_time()}


def bench(args: argparse.Namespace, log: Any = print) -> list[dict[str, Any]]:
    regions = tuple(args.region or DEFAULT_REGIONS)
    results: list[dict[str, Any]] = []
    with server_process() as server, tempfile.TemporaryDirectory(prefix="awsaudit-org-bench-") as tmp:
        started = time.perf_counter()
        ids = generate(server.url, max(args.accounts), regions)
        generation = time.perf_counter() - started
        # moto imports a service's code on its first request (Macie, Lambda: seconds of server CPU):
        # one scan of one member at no latency, not counted, so that no run is timed waiting for it.
        scan_in_subprocess({"endpoint": server.url, "regions": list(regions), "accounts": ids[:1],
                            "concurrency": 16, "account_concurrency": 4, "max_attempts": 1, "dask": None,
                            "snapshot": str(Path(tmp) / "warm-up.json.gz")})
        log(f"generated {len(ids)} members in {generation:.1f} s; warmed up in "
            f"{time.perf_counter() - started - generation:.1f} s")
        for executor in args.executor:
            with _maybe_cluster(executor, server.url, regions[0], args) as cluster:
                for n in args.accounts:
                    results.append(_one(server, cluster, executor, ids[:n], regions, args, Path(tmp)))
                    log(render(results[-1]))
    return results


@contextmanager
def _maybe_cluster(executor: str, endpoint: str, region: str, args: argparse.Namespace) -> Iterator[Any]:
    if executor != "dask":
        yield None
        return
    with local_cluster(endpoint, region, args.dask_workers, args.dask_threads) as cluster:
        yield cluster


def _one(server: Server, cluster: Any, executor: str, accounts: list[str], regions: tuple[str, ...],
         args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    concurrency = args.concurrency or (args.dask_workers * args.dask_threads if cluster else 16)
    job = {"endpoint": server.url, "regions": list(regions), "accounts": accounts,
           "concurrency": concurrency, "account_concurrency": args.account_concurrency,
           "max_attempts": args.max_attempts, "dask": None,
           "snapshot": str(tmp / f"org-{executor}-{len(accounts)}.json.gz")}
    before: dict[str, dict[str, float]] = {}
    if cluster is not None:
        local, client = cluster
        job["dask"] = str(local.scheduler_address).removeprefix("tcp://")
        before = client.run(_worker_stats)
    server.reset()
    server.latency(args.latency_ms)
    scan = scan_in_subprocess(job)
    counts = server.counts()
    server.latency(0)
    calls = sum(r["calls"] for r in counts["counts"])
    by_service: dict[str, int] = {}
    for row in counts["counts"]:
        by_service[row["service"]] = by_service.get(row["service"], 0) + row["calls"]
    figures: dict[str, Any] = {
        "executor": executor, "accounts": len(accounts), "regions": len(regions),
        "latency_ms": args.latency_ms, "concurrency": concurrency,
        "account_concurrency": args.account_concurrency,
        "max_attempts": args.max_attempts, "source": source_version(), **scan,
        "calls": calls, "calls_per_account": round(calls / len(accounts), 1),
        "calls_by_service": dict(sorted(by_service.items())),
        "server_cpu_seconds": round(counts["cpu_seconds"], 1),
        "accounts_per_minute": round(len(accounts) / scan["wall_seconds"] * 60, 1),
    }
    if cluster is not None:
        after = cluster[1].run(_worker_stats)
        figures["dask_workers"] = args.dask_workers
        figures["dask_threads"] = args.dask_threads
        figures["worker_rss_peak_mb"] = round(max(a["rss_peak_mb"] for a in after.values()), 1)
        figures["worker_rss_after_mb"] = round(max(a["rss_now_mb"] for a in after.values()), 1)
        figures["worker_cpu_seconds"] = round(sum(after[w]["cpu_seconds"] - before[w]["cpu_seconds"]
                                                  for w in after), 1)
    return figures


GLOBAL_SERVICES = frozenset({"iam", "s3", "s3control", "organizations", "budgets", "account", "sts"})
"""Called once per account whatever the regions (global collectors, reaching the account)."""


def calls_per_account(run: dict[str, Any], regions: int | None) -> float:
    """The run's calls per account, or what they would be at `regions` regions: the global part
    as measured, the regional part per region times `regions`."""
    by_service = run.get("calls_by_service")
    if regions is None or not by_service:
        return float(run["calls_per_account"])
    global_calls = sum(n for service, n in by_service.items() if service in GLOBAL_SERVICES)
    regional = run["calls"] - global_calls
    return (global_calls + regional / run["regions"] * regions) / run["accounts"]


def extrapolate(run: dict[str, Any], accounts: int = 1000, workers: int = 8, threads: int = 16,
                latency_ms: float = 50.0, regions: int | None = None) -> dict[str, Any]:
    """Minutes for `accounts` accounts on `workers` worker processes of `threads` threads each.

    Calls per account and the scanner's CPU per call are this run's (on Dask, the workers' CPU;
    on threads, the scanning process's). Each worker process makes at most threads / (latency +
    cpu) calls per second while its threads wait on AWS, and at most 1 / cpu once its one core
    (the GIL) is busy; the coordinator's CPU per account (merging, writing shards) runs in one
    process alongside. AWS is assumed to answer at the latency (no throttling: at most
    account_concurrency calls per account in flight).
    """
    calls = calls_per_account(run, regions) * accounts
    worker_cpu = run.get("worker_cpu_seconds", run["cpu_seconds"])
    cpu_per_call = worker_cpu / run["calls"]
    latency = latency_ms / 1000
    per_worker = min(threads / (latency + cpu_per_call), 1 / cpu_per_call)
    collect_seconds = calls / (per_worker * workers)
    coordinator_seconds = (run["cpu_seconds"] / run["accounts"]) * accounts if "dask_workers" in run else 0.0
    minutes = max(collect_seconds, coordinator_seconds) / 60
    return {
        "accounts": accounts, "workers": workers, "threads_per_worker": threads, "latency_ms": latency_ms,
        "regions": regions or run["regions"],
        "calls": round(calls), "cpu_ms_per_call": round(cpu_per_call * 1000, 2),
        "calls_per_second": round(per_worker * workers), "collect_minutes": round(collect_seconds / 60, 1),
        "coordinator_minutes": round(coordinator_seconds / 60, 1), "minutes": round(minutes, 1),
        "met": minutes < TARGET_MINUTES_1000,
    }


def render(f: dict[str, Any]) -> str:
    where = (f"Dask LocalCluster {f['dask_workers']} workers x {f['dask_threads']} threads"
             if f["executor"] == "dask" else "threads")
    samples = f["rss_samples"]
    marks = [s for s in samples if s[0] in {1, f["accounts"] // 2, f["accounts"]}]
    lines = [
        f"== {f['accounts']} accounts ({f['regions']} regions), {where}; latency {f['latency_ms']:g} ms, "
        f"concurrency {f['concurrency']}, per account {f['account_concurrency']}, "
        f"max attempts {f['max_attempts']}; source {f['source']}",
        f"wall {f['wall_seconds']:.1f} s = {f['accounts_per_minute']} accounts/min; outcomes {f['outcomes']}",
        f"API calls {f['calls']} = {f['calls_per_account']} per account; "
        f"moto server CPU {f['server_cpu_seconds']} s",
        f"coordinator: CPU {f['cpu_seconds']:.1f} s, RSS after imports {f['rss_after_imports_mb']:.1f} MiB, "
        f"peak {f['rss_peak_mb']:.1f} MiB; RSS as accounts completed: "
        + ", ".join(f"{d} -> {rss} MiB ({objects} objects)" for d, _, rss, objects in marks),
        f"snapshot {f['snapshot_bytes'] / 2**20:.1f} MiB on disk; "
        f"accounts kept in memory: {f['accounts_in_memory']}",
    ]
    if f["executor"] == "dask":
        lines.append(f"workers (one cluster for every run): peak RSS {f['worker_rss_peak_mb']} MiB, "
                     f"{f['worker_rss_after_mb']} MiB after the run; CPU {f['worker_cpu_seconds']} s in all")
    return "\n".join(lines)


def render_extrapolation(e: dict[str, Any], basis: dict[str, Any]) -> str:
    return (f"extrapolated from {basis['executor']} at {basis['accounts']} accounts: {e['accounts']} "
            f"accounts ({e['regions']} regions) on {e['workers']} workers "
            f"x {e['threads_per_worker']} threads "
            f"at {e['latency_ms']:g} ms: {e['calls']} calls, {e['cpu_ms_per_call']} ms CPU per call, "
            f"{e['calls_per_second']} calls/s -> "
            f"collect {e['collect_minutes']} min, coordinator {e['coordinator_minutes']} min: "
            f"{e['minutes']} min (target < {TARGET_MINUTES_1000:g}: {'ok' if e['met'] else 'MISSED'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, action="append", help="members scanned; repeatable "
                        "(default 10, 25, 50)")
    parser.add_argument("--executor", action="append", choices=("threads", "dask"),
                        help="repeatable (default: threads, then dask)")
    parser.add_argument("--region", action="append",
                        help=f"repeatable (default {', '.join(DEFAULT_REGIONS)})")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, help="tasks in flight (default 16; Dask: its threads)")
    parser.add_argument("--account-concurrency", type=int, default=4)
    parser.add_argument("--max-attempts", type=int, default=2,
                        help="botocore attempts (default 2: moto answers HTTP 500 to 3 operations it "
                        "lacks, and retrying them 5 times costs seconds of back-off per account)")
    parser.add_argument("--dask-workers", type=int, default=2)
    parser.add_argument("--dask-threads", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    args.accounts = sorted(set(args.accounts or [10, 25, 50]))
    args.executor = args.executor or ["threads", "dask"]
    results = bench(args, log=lambda m: print(m + "\n", flush=True))
    largest = {r["executor"]: r for r in results if r["accounts"] == max(args.accounts)}
    extrapolations = []
    for basis in largest.values():
        for regions in (None, 17):  # as measured, and every commercial region enabled by default
            e = extrapolate(basis, regions=regions)
            extrapolations.append({"basis": basis["executor"], **e})
            print(render_extrapolation(e, basis), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "extrapolations": extrapolations}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
