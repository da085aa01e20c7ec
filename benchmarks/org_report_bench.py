"""Organization report benchmark: a synthetic 200-account scan -> report.html size and render time.

    python -m benchmarks.org_report_bench [--accounts 200] [--out DIR] [--browser]

One account is evaluated for real (`evaluate_template.json.gz`, the collection benchmark's small
account as the collectors wrote it, every check run on it), and its findings are replicated into
`--accounts` accounts: each copy gets its own account id in the account field, the resource ARN,
the message and the evidence (so evidence de-duplication flatters nothing across accounts), and
its own coverage rows. A few accounts get extra failures and unreadable services so the ranking
and the coverage column have something to sort. Printed: findings, the HTML's size (limit 25 MB),
Python render time of report.html (with its organization summary and matrices) and of
findings.json, and with --browser the time chromium takes to a usable page and to apply a
matrix-cell click.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from awsaudit.model import Finding, Status
from awsaudit.report import ScanResult, renderer
from awsaudit.report.coverage import CoverageRow

TEMPLATE = Path(__file__).resolve().parent / "evaluate_template.json.gz"
LIMIT_MB = 25.0


def template_scan() -> ScanResult:
    """The template account evaluated the way `awsaudit audit` does it."""
    from awsaudit.cli.audit import evaluate_shards  # noqa: PLC0415
    from awsaudit.settings import DEFAULTS  # noqa: PLC0415

    snapshot = json.loads(gzip.decompress(TEMPLATE.read_bytes()))
    builder, _ = evaluate_shards(snapshot, "benchmark template", DEFAULTS)
    return builder.build()


def _swap(value: Any, old: str, new: str) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value).replace(old, new))


def replicate(template: ScanResult, count: int) -> ScanResult:
    """`count` accounts, each a copy of the template's (one) account under its own id."""
    (source,) = template.info.accounts
    findings: list[Finding] = []
    facts = []
    ids = [f"{200000000000 + i * 7919:012d}" for i in range(count)]
    for n, account in enumerate(ids):
        for f in template.findings:
            status = f.status
            if n % 7 == 3 and status is Status.PASS and f.area == "s3":  # some accounts fare worse
                status = Status.FAIL
            findings.append(dataclasses.replace(
                f, account=account, status=status, resource=f.resource.replace(source, account),
                message=f.message.replace(source, account), evidence=_swap(f.evidence, source, account)))
        (base,) = template.accounts
        coverage = tuple(dataclasses.replace(r, account=account) for r in base.coverage)
        if n % 11 == 5:  # an account whose EC2 could not be read in one region
            denied = CoverageRow(account, "ec2", "eu-west-1", "failed", 1, ("AccessDenied",), 12)
            coverage = (*coverage, denied)
        facts.append(dataclasses.replace(base, id=account, coverage=coverage))
    info = dataclasses.replace(template.info, accounts=tuple(ids),
                               source=f"synthetic {count}-account organization")
    return ScanResult(info, findings, template.checks, tuple(facts), template.mutes,
                      template.framework_definitions)


def organization_scan(count: int) -> ScanResult:
    return replicate(template_scan(), count)


def _browser(path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - dev dependency

    from benchmarks.report_bench import ARGS, CHROMIUM  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        page.goto(path.as_uri(), timeout=180_000)
        page.wait_for_selector("html[data-ready='1']", timeout=180_000)
        wall = (time.perf_counter() - started) * 1000
        ready = float(page.evaluate("Number(document.documentElement.dataset.readyMs)"))
        click_ms = page.evaluate("""() => {
            const cell = document.querySelector('table.matrix tbody td.cF');
            const t0 = performance.now();
            cell.click();
            return performance.now() - t0;
        }""")
        browser.close()
        return {"wall_ms": wall, "ready_ms": ready, "matrix_click_ms": float(click_ms)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--browser", action="store_true", help="also time chromium (/usr/bin/chromium)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    report = organization_scan(args.accounts)
    built = time.perf_counter() - t0
    out = args.out or Path(tempfile.mkdtemp(prefix="awsaudit-org-report-"))
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"accounts": args.accounts, "findings": len(report.findings),
                               "build_s": round(built, 2)}
    for fmt, name in (("html", "report.html"), ("json", "findings.json")):
        t1 = time.perf_counter()
        text = renderer(fmt).render(report)
        figures[f"{fmt}_render_s"] = round(time.perf_counter() - t1, 2)
        data = text.encode("utf-8")
        (out / name).write_bytes(data)
        figures[f"{fmt}_mb"] = round(len(data) / 1e6, 2)
    if args.browser:
        figures.update({k: round(v) for k, v in _browser(out / "report.html").items()})
    for key, value in figures.items():
        print(f"{key:>18}: {value}")
    print(f"{'written to':>18}: {out}")
    if figures["html_mb"] > LIMIT_MB:
        print(f"report.html is over {LIMIT_MB} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
