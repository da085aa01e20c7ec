"""Reports of an Organization: every output grouped by account, the HTML organization summary
(accounts ranked by risk, controls x accounts matrix, coverage per account), within 25 MB for
200 accounts; a single account's reports keep their old shape (no matrix)."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from benchmarks.org_report_bench import LIMIT_MB, replicate, template_scan

from awsaudit.model import Status
from awsaudit.report import FORMATS, ScanResult, renderer, write_all
from awsaudit.report.compliance import worst
from awsaudit.report.organization import CELL, account_risks, matrices
from awsaudit.report.summary import render_text


@pytest.fixture(scope="module")
def template() -> ScanResult:
    return template_scan()


@pytest.fixture(scope="module")
def org(template: ScanResult) -> ScanResult:
    return replicate(template, 4)


@pytest.fixture(scope="module")
def org_outputs(org: ScanResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("org-report"), org, tuple(FORMATS))


def test_a_single_account_report_has_no_organization_view(outputs: dict[str, Path]) -> None:
    html = outputs["html"].read_text(encoding="utf-8")
    assert 'id="organization"' not in html and "table class=\"matrix\"" not in html
    assert "## Accounts" not in outputs["markdown"].read_text(encoding="utf-8")
    assert "Accounts, riskiest first" not in outputs["summary"].read_text(encoding="utf-8")


def test_ranking_puts_the_worst_account_first(org: ScanResult) -> None:
    risks = account_risks(org)
    assert risks[0].account == org.info.accounts[3]  # replicate() makes it fail more
    assert risks[0].risk > risks[1].risk
    assert {r.account for r in risks} == set(org.info.accounts)
    assert all(r.pairs and r.coverage is not None for r in risks)


def test_matrix_cells_are_the_worst_status_of_the_controls_checks(org: ScanResult) -> None:
    accounts = list(org.info.accounts)
    (baseline, *_) = [m for m in matrices(org, accounts) if m.framework == "baseline"]
    controls = {c.id: c.checks for fw in org.frameworks if fw.id == "baseline" for c in fw.controls}
    assert [row[0] for row in baseline.rows] == list(controls)
    for control_id, _, _, cells in baseline.rows:
        assert len(cells) == len(accounts)
        for account, cell in zip(accounts, cells, strict=True):
            counts = Counter(f.status for f in org.findings
                             if f.account == account and f.check_id in controls[control_id])
            assert cell == CELL[worst(counts)] if controls[control_id] else cell == ""
    assert any("F" in row[3] for row in baseline.rows) and any("P" in row[3] for row in baseline.rows)


def test_html_has_ranking_matrix_and_coverage(org: ScanResult, org_outputs: dict[str, Path]) -> None:
    html = org_outputs["html"].read_text(encoding="utf-8")
    assert '<a href="#organization">Organization</a>' in html
    ranking = re.search(r'<table id="account-risks">(.*?)</table>', html, re.S)
    assert ranking is not None
    assert re.findall(r'data-account="(\d{12})"', ranking.group(1)) == [r.account for r in account_risks(org)]
    tables = re.findall(r'<table class="matrix" data-framework="([^"]+)">(.*?)</table>', html, re.S)
    assert [fw for fw, _ in tables] == [fw.id for fw in org.frameworks]
    for _, body in tables:
        head = re.search(r"<thead>(.*?)</thead>", body, re.S)
        assert head is not None and len(re.findall(r"<th data-account=", head.group(1))) == 4
    assert "ec2 eu-west-1: failed (AccessDenied)" not in ranking.group(1)  # only account 5 of 11 has it


def test_every_output_groups_findings_by_account(org: ScanResult, org_outputs: dict[str, Path]) -> None:
    def grouped(accounts: list[str]) -> bool:
        return accounts == sorted(accounts) and len(set(accounts)) == 4

    document = json.loads(org_outputs["json"].read_text(encoding="utf-8"))
    assert grouped([f["account"] for f in document["findings"]])
    rows = list(csv.DictReader(io.StringIO(org_outputs["csv"].read_text(encoding="utf-8"))))
    account_column = next(k for k in rows[0] if k.lower().startswith("account"))
    assert grouped([r[account_column] for r in rows])
    assert grouped([e["cloud"]["account"]["uid"] for e in json.loads(org_outputs["ocsf"].read_text("utf-8"))])
    markdown = org_outputs["markdown"].read_text(encoding="utf-8")
    assert "## Accounts (riskiest first)" in markdown and "| account | severity |" in markdown
    junit = org_outputs["junit"].read_text(encoding="utf-8")
    suites = re.findall(r'<testsuite name="(\d{12}) ', junit)
    assert grouped(suites)
    assert "Accounts, riskiest first" in render_text(org)


def test_two_hundred_accounts_render_fast_and_under_25_mb(template: ScanResult) -> None:
    report = replicate(template, 200)
    started = time.perf_counter()
    html = renderer("html").render(report)
    seconds = time.perf_counter() - started
    size = len(html.encode("utf-8")) / 1e6
    print(f"200 accounts: {len(report.findings)} findings, report.html {size:.1f} MB in {seconds:.1f} s")
    assert size < LIMIT_MB
    assert seconds < 60  # ~7 s on the development machine; generous for a loaded CI runner
    assert html.count("<th data-account=") == 200 * len(report.frameworks)
    assert Status.FAIL in {f.status for f in report.findings}


def test_account_names_from_the_management_shard_reach_the_reports(tmp_path: Path) -> None:
    from awsaudit.cli.audit import evaluate_shards  # noqa: PLC0415
    from awsaudit.report import json_report  # noqa: PLC0415
    from awsaudit.settings import DEFAULTS  # noqa: PLC0415
    from tests.checks.orgs import MGMT, PROD, member_shard, org_snapshot  # noqa: PLC0415

    builder, _ = evaluate_shards(org_snapshot(member_shard(PROD)), "test", DEFAULTS)
    report = builder.build()
    assert {a.id: a.name for a in report.accounts} == {MGMT: "acme", PROD: "acme-prod"}
    written = write_all(tmp_path, report, ("json", "html"))
    again = json_report.load(written["json"])
    assert {a.id: a.name for a in again.accounts} == {MGMT: "acme", PROD: "acme-prod"}
    html = written["html"].read_text(encoding="utf-8")
    assert '<th data-account="222222222222" title="acme-prod"><span>acme-prod</span></th>' in html
    assert [r.name for r in account_risks(again)] != ["", ""]
