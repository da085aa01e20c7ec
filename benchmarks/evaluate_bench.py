"""Evaluation benchmark: a synthetic 100,000-resource snapshot -> awsaudit.checks.evaluate, then the reports.

    .venv/bin/python -m benchmarks.evaluate_bench [--resources 100000] [--regions 17] [--expect HASH]
        [--profile] [--json results.json]

The snapshot is built in memory, in seconds, from `evaluate_template.json.gz`: the account of the
collection benchmark's small size as the collectors wrote it (IAM users, roles, groups, policies
with their documents and credential report rows, buckets with every part, security groups,
instances, interfaces, subnets, route tables, NACLs, KMS keys, trails, metric filters, alarms, RDS,
EFS ...). Each collection is replicated to its share of `--resources` (MIX), each copy renamed
(the last part of its `_arn`, wherever it appears in the item, gets a suffix) and each regional
collection copied into every region (region names rewritten), so ARNs stay unique and references
inside an item stay consistent.

Printed: build time, evaluation time (target < 10 s at 100,000 resources), findings by status,
time to write findings.json and report.html from the result, peak RSS, and a fingerprint of
the findings (a SHA-256 over every finding's fingerprint, status, message and evidence, in
order): the same source tree must give the same hash, and a change meant to make evaluation
faster must not change it (`--expect`).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import hashlib
import json
import pstats
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.accounts import DEFAULT_REGIONS

TEMPLATE = Path(__file__).resolve().parent / "evaluate_template.json.gz"
TEMPLATE_REGION = "eu-west-1"
TARGET_SECONDS = 10.0

# Share of the resources per collection (global: "service.key"; regional: "region:service.key",
# split evenly over the regions). Collections not named keep the template's count.
MIX: dict[str, float] = {
    "iam.users": 0.05, "iam.roles": 0.05, "iam.policies": 0.03, "iam.groups": 0.005,
    "s3.buckets": 0.05,
    "region:ec2.security_groups": 0.20, "region:ec2.instances": 0.15,
    "region:ec2.network_interfaces": 0.20, "region:ec2.subnets": 0.06, "region:ec2.route_tables": 0.03,
    "region:ec2.network_acls": 0.03, "region:ec2.vpcs": 0.02, "region:kms.keys": 0.03,
    "region:logs.metric_filters": 0.01, "region:cloudwatch.alarms": 0.01,
    "region:rds.db_instances": 0.01, "region:efs.file_systems": 0.005, "region:cloudtrail.trails": 0.0017,
}


def _token(item: dict[str, Any]) -> str | None:
    arn = item.get("_arn")
    if not isinstance(arn, str):
        return None
    last = arn.replace(":", "/").rsplit("/", 1)[-1]
    return last if len(last) >= 6 else None  # too short a token could match unrelated text


def _copies(items: list[Any], count: int, tag: str) -> list[Any]:
    """`count` items cycled from `items`, each renamed: its ARN's last part gets `-{tag}{n}`."""
    if not items or count <= len(items):
        return items[:max(count, 0)] if items else []
    texts = [(json.dumps(item), _token(item)) for item in items if isinstance(item, dict)]
    out: list[Any] = list(items)
    for n in range(count - len(items)):
        text, token = texts[n % len(texts)]
        out.append(json.loads(text.replace(token, f"{token}-{tag}{n:05d}") if token else text))
    return out


def build(resources: int, regions: int) -> dict[str, Any]:
    """A one-account snapshot holding about `resources` resources over `regions` regions."""
    with gzip.open(TEMPLATE, "rt", encoding="utf-8") as f:
        snap: dict[str, Any] = json.load(f)
    [(account_id, account)] = snap["accounts"].items()
    # The template's home region first: its global services (trail home, IAM) stay where they were.
    names = (TEMPLATE_REGION, *(r for r in DEFAULT_REGIONS if r != TEMPLATE_REGION))[:regions]
    template_region = account["regions"][TEMPLATE_REGION]
    for path, share in MIX.items():
        regional = path.startswith("region:")
        service, key = path.removeprefix("region:").split(".", 1)
        if not regional:
            part = account["global"][service]
            part[key] = _copies(part[key], round(resources * share), "x")
    region_text = json.dumps(template_region)
    new_regions: dict[str, Any] = {}
    for region in names:
        part = json.loads(region_text.replace(TEMPLATE_REGION, region))
        for path, share in MIX.items():
            if path.startswith("region:"):
                service, key = path.removeprefix("region:").split(".", 1)
                part[service][key] = _copies(part[service][key], round(resources * share / len(names)), "r")
        new_regions[region] = part
    account["regions"] = new_regions
    account["regions_scanned"] = list(names)
    snap["accounts"] = {account_id: account}
    return snap


def count_resources(snap: dict[str, Any]) -> int:
    """Items of every list collection (what checks iterate over), in every place."""
    total = 0
    for account in snap["accounts"].values():
        for place in (account["global"], *account["regions"].values()):
            for data in place.values():
                if isinstance(data, dict):
                    total += sum(len(v) for k, v in data.items()
                                 if isinstance(v, list) and not k.startswith("_"))
    return total


def findings_hash(findings: list[Any]) -> str:
    digest = hashlib.sha256()
    for f in findings:
        digest.update(json.dumps([f.fingerprint, str(f.status), f.message, f.evidence], sort_keys=True,
                                 default=str).encode())
    return digest.hexdigest()[:16]


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(resources: int, regions: int, profile: bool = False, reports: bool = True) -> dict[str, Any]:
    from awsaudit.checks import evaluate, load_all  # noqa: PLC0415
    from awsaudit.report import ScanBuilder, write_all  # noqa: PLC0415

    load_all()
    started = time.perf_counter()
    snap = build(resources, regions)
    built = time.perf_counter() - started
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    findings = evaluate(snap)
    if profiler:
        profiler.disable()
    evaluation = time.perf_counter() - started
    figures: dict[str, Any] = {
        "resources": count_resources(snap), "regions": regions, "build_seconds": round(built, 2),
        "evaluate_seconds": round(evaluation, 2), "findings": len(findings),
        "by_status": dict(sorted(Counter(str(f.status) for f in findings).items())),
        "findings_hash": findings_hash(findings),
    }
    if reports:
        with tempfile.TemporaryDirectory(prefix="awsaudit-evalbench-") as tmp:
            started = time.perf_counter()
            builder = ScanBuilder.for_snapshot(snap, "evaluate_bench", snap["collected_at"])
            for account_id, account in snap["accounts"].items():
                builder.add_account(account_id, account, findings)
            scan = builder.build()
            written = write_all(Path(tmp), scan, ("json", "html"))
            figures["report_seconds"] = round(time.perf_counter() - started, 2)
            figures["report_bytes"] = {k: p.stat().st_size for k, p in written.items()}
    figures["rss_peak_mb"] = round(_peak_rss_mb(), 1)
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
    return figures


def render(f: dict[str, Any]) -> str:
    ok = "ok" if f["evaluate_seconds"] < TARGET_SECONDS else "MISSED"
    lines = [
        f"snapshot    {f['resources']:,} resources in {f['regions']} regions, "
        f"built in {f['build_seconds']} s",
        f"evaluate    {f['evaluate_seconds']:.2f} s  (target < {TARGET_SECONDS:g} s: {ok}); "
        f"{f['findings']:,} findings: " + ", ".join(f"{k} {v:,}" for k, v in f["by_status"].items()),
    ]
    if "report_seconds" in f:
        sizes = ", ".join(f"{k} {v / 2**20:.1f} MiB" for k, v in f["report_bytes"].items())
        lines.append(f"reports     {f['report_seconds']:.2f} s for findings.json + report.html ({sizes})")
    lines += [f"peak RSS    {f['rss_peak_mb']:.1f} MiB", f"findings    hash {f['findings_hash']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=len(DEFAULT_REGIONS), choices=range(1, 18),
                        metavar="1..17")
    parser.add_argument("--expect", help="the findings hash a reference run printed: exit 1 if it differs")
    parser.add_argument("--no-reports", action="store_true", help="time evaluation only")
    parser.add_argument("--profile", action="store_true", help="cProfile of evaluate() on stderr")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = run(args.resources, args.regions, args.profile, not args.no_reports)
    print(render(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.expect and args.expect != figures["findings_hash"]:
        print(f"findings differ from the reference: {figures['findings_hash']} != {args.expect}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
