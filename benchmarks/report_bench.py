"""Report benchmark: 50,000 synthetic findings of a large Organization -> size and load time of report.html.

Run by hand (needs Debian's chromium for the browser timings):

    .venv/bin/python benchmarks/report_bench.py [--findings 50000] [--out DIR] [--all-formats]

Findings are shaped like the real checks' (ids, titles, severities, areas and controls from the
registry; evidence like the collectors' documents: security-group rules, bucket settings, IAM
users), with a unique resource and evidence each, so de-duplication flatters nothing. Prints:
the HTML's size, Python render time, the browser's time to a usable page (navigation start to
the first rendered page of findings), and the time of a status filter and of a free-text search.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from awsaudit.checks import load_all
from awsaudit.frameworks import controls_by_check
from awsaudit.model import Finding, Status
from awsaudit.report import FORMATS, ScanInfo, ScanResult, renderer
from awsaudit.report.scan_result import check_metadata

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "eu-north-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
)
STATUS_MIX = (
    (Status.PASS, 60),
    (Status.FAIL, 25),
    (Status.UNKNOWN, 10),
    (Status.MANUAL, 3),
    (Status.MUTED, 2),
)


def _sg_evidence(rng: random.Random, group_id: str) -> dict[str, Any]:
    port = rng.choice((22, 3389, 5432, 443, 6379))
    return {
        "GroupId": group_id,
        "GroupName": f"acme-{rng.choice(('web', 'api', 'db', 'batch', 'bastion'))}-{rng.randrange(10**6)}",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [
                    {"CidrIp": rng.choice(("0.0.0.0/0", "10.0.0.0/8")), "Description": "added by terraform"}
                ],
            }
        ],
    }


def _bucket_evidence(rng: random.Random, name: str) -> dict[str, Any]:
    return {
        "Bucket": name,
        "PublicAccessBlock": {
            k: rng.random() < 0.7
            for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        },
        "Encryption": {
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": rng.choice(("AES256", "aws:kms"))}}
            ]
        },
    }


def _user_evidence(rng: random.Random, name: str) -> dict[str, Any]:
    return {
        "UserName": name,
        "PasswordEnabled": rng.random() < 0.5,
        "MfaActive": rng.random() < 0.6,
        "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess"}] if rng.random() < 0.3 else [],
    }


def synthetic_findings(count: int, seed: int = 7) -> list[Finding]:
    """A large Organization's findings: 40 % security groups, 30 % buckets, 20 % IAM, 10 % the rest."""
    rng = random.Random(seed)
    checks = load_all()
    controls = controls_by_check()
    by_service: dict[str, list[str]] = {}
    for check in checks.values():
        by_service.setdefault(check.service, []).append(check.id)
    statuses = [s for s, weight in STATUS_MIX for _ in range(weight)]
    accounts = [f"{100000000000 + i * 7919:012d}" for i in range(40)]
    other = [s for s in by_service if s not in ("ec2", "s3", "iam")] or ["ec2"]
    findings = []
    for i in range(count):
        account, region = rng.choice(accounts), rng.choice(REGIONS)
        kind = rng.random()
        if kind < 0.4:
            check_id = rng.choice(
                [c for c in by_service["ec2"] if c.startswith("ec2_sg")] or by_service["ec2"]
            )
            group = f"sg-{rng.getrandbits(64):016x}"
            arn, evidence = f"arn:aws:ec2:{region}:{account}:security-group/{group}", _sg_evidence(rng, group)
        elif kind < 0.7:
            check_id = rng.choice(by_service["s3"])
            name = f"acme-{rng.choice(('logs', 'assets', 'backup', 'data'))}-{i}"
            arn, evidence = f"arn:aws:s3:::{name}", _bucket_evidence(rng, name)
        elif kind < 0.9:
            check_id = rng.choice(by_service["iam"])
            name = f"user.{i}"
            arn, evidence, region = f"arn:aws:iam::{account}:user/{name}", _user_evidence(rng, name), "global"
        else:
            check_id = rng.choice(by_service[rng.choice(other)])
            arn, evidence = f"arn:aws:{checks[check_id].service}:{region}:{account}:thing/r-{i}", {"Id": i}
        check = checks[check_id]
        status = rng.choice(statuses)
        findings.append(
            Finding(
                check.id,
                check.title,
                status,
                check.severity,
                check.objective,
                f"{'Not compliant' if status is Status.FAIL else 'Checked'}: {arn.rsplit('/', 1)[-1]}",
                account,
                region,
                arn,
                evidence=evidence,
                area=check.area,
                controls=controls.get(check.id, {}),
                mute={
                    "reason": "accepted risk",
                    "owner": "secops",
                    "expires": "2030-01-01",
                    "line": 3,
                    "file": "mutes.yaml",
                    "status": "FAIL",
                }
                if status is Status.MUTED
                else None,
            )
        )
    return findings


def browser_timings(path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - dev dependency

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        started = time.perf_counter()
        page.goto(path.as_uri(), timeout=120_000)
        page.wait_for_selector("html[data-ready='1']", timeout=120_000)
        wall = (time.perf_counter() - started) * 1000
        ready = float(page.evaluate("Number(document.documentElement.dataset.readyMs)"))
        script = float(page.evaluate("Number(document.documentElement.dataset.scriptMs)"))
        measure = """(action) => {
            const t0 = performance.now();
            if (action === 'status') {
                const box = document.querySelector('input[name=status][value=PASS]');
                box.checked = !box.checked;
                box.dispatchEvent(new Event('change', {bubbles: true}));
            } else {
                const input = document.getElementById('f-text');
                input.value = action;
                input.dispatchEvent(new Event('change', {bubbles: true}));
            }
            return [performance.now() - t0, Number(document.getElementById('match-count').dataset.count)];
        }"""
        status_ms, status_n = page.evaluate(measure, "status")
        first_ms, first_n = page.evaluate(measure, "acme-db")
        again_ms, again_n = page.evaluate(measure, "0.0.0.0/0 eu-west-1")
        browser.close()
        if errors:
            raise SystemExit(f"page errors: {errors}")
        return {
            "wall_ms": wall,
            "ready_ms": ready,
            "script_ms": script,
            "status_ms": status_ms,
            "status_n": status_n,
            "search_first_ms": first_ms,
            "search_first_n": first_n,
            "search_ms": again_ms,
            "search_n": again_n,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument(
        "--out", type=Path, default=None, help="keep the report here (default: a temp folder)"
    )
    parser.add_argument("--all-formats", action="store_true", help="also time every other format")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="awsaudit-report-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    findings = synthetic_findings(args.findings)
    accounts = tuple(sorted({f.account for f in findings}))
    info = ScanInfo(
        "bench", "2026-05-01T08:00:00+00:00", "2026-05-01T09:00:00+00:00", accounts, REGIONS, "bench"
    )
    report = ScanResult(info, findings, check_metadata())
    print(
        f"{len(findings):,} synthetic findings in {time.perf_counter() - started:.1f} s "
        f"({len(accounts)} accounts, {len(REGIONS)} regions)"
    )

    names = tuple(FORMATS) if args.all_formats else ("html",)
    for name in names:
        started = time.perf_counter()
        text = renderer(name).render(report)
        elapsed = time.perf_counter() - started
        path = out / FORMATS[name][0]
        path.write_text(text, encoding="utf-8", newline="")
        print(f"{name:9} {path.stat().st_size / 2**20:7.1f} MiB  rendered in {elapsed:5.1f} s  -> {path}")

    html = out / FORMATS["html"][0]
    if not Path(CHROMIUM).is_file():
        print(f"{CHROMIUM} missing: no browser timings (apt-get install chromium)")
        return 0
    t = browser_timings(html)
    print(
        f"browser: usable after {t['ready_ms']:.0f} ms from navigation start "
        f"(script {t['script_ms']:.0f} ms; wall clock incl. launch of the tab {t['wall_ms']:.0f} ms)"
    )
    print(
        f"browser: status filter {t['status_ms']:.0f} ms ({t['status_n']:,} shown); "
        f"first search {t['search_first_ms']:.0f} ms (builds the index; {t['search_first_n']:,} hits), "
        f"next search {t['search_ms']:.0f} ms ({t['search_n']:,} hits)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
