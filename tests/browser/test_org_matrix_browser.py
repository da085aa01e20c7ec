"""The organization summary of report.html in a real browser: a matrix cell and a ranked account
click through to exactly their findings, and account-generic evidence shows each row's own account.

Skipped without /usr/bin/chromium (failed with AWSAUDIT_REQUIRE_BROWSER=1), as the report's
other browser test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.org_report_bench import replicate, template_scan

from awsaudit.report import write_all
from tests.browser.test_report_browser import browser

__all__ = ["browser"]


@pytest.fixture(scope="module")
def org_written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_all(tmp_path_factory.mktemp("org-browser"), replicate(template_scan(), 3), ("html", "json"))


@pytest.fixture
def org_page(browser: Any, org_written: dict[str, Path]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.goto(org_written["html"].as_uri())
    opened.wait_for_selector("html[data-ready='1']")
    yield opened
    context.close()
    assert problems == []


def _count(page: Any) -> int:
    return int(page.eval_on_selector("#match-count", "e => e.dataset.count"))


def test_matrix_cell_and_ranked_account_click_through(org_page: Any, org_written: dict[str, Path]) -> None:
    document = json.loads(org_written["json"].read_text(encoding="utf-8"))
    findings = document["findings"]
    cell = org_page.locator("table.matrix[data-framework=baseline] tbody td.cF").first
    control = cell.evaluate("td => td.parentElement.dataset.control")
    account = cell.evaluate("td => td.closest('table').tHead.rows[0].cells[td.cellIndex].dataset.account")
    cell.click()
    assert org_page.input_value("#f-account") == account
    assert org_page.input_value("#f-control") == control
    control_id = control.split("|", 1)[1]
    expected = [f for f in findings if f["account"] == account and f["status"] == "FAIL"
                and control_id in f["controls"].get("baseline", [])]
    assert expected and _count(org_page) == len(expected)

    first = org_page.locator("#account-risks tr.clickable").first
    ranked = first.get_attribute("data-account")
    first.click()
    assert org_page.input_value("#f-account") == ranked
    assert _count(org_page) == sum(f["account"] == ranked for f in findings)


def test_shared_evidence_shows_the_rows_own_account(org_page: Any, org_written: dict[str, Path]) -> None:
    findings = json.loads(org_written["json"].read_text(encoding="utf-8"))["findings"]
    sample = next(f for f in findings if f["status"] == "FAIL" and f["evidence"] is not None
                  and f["account"] in json.dumps(f["evidence"]))
    org_page.select_option("#f-account", sample["account"])
    org_page.fill("#f-text", sample["resource"])
    org_page.press("#f-text", "Enter")
    org_page.locator("#rows tr.finding").first.locator("button.toggle").click()
    detail = org_page.locator("#rows tr.detail").first.inner_text()
    assert sample["account"] in detail and "\\u0000" not in detail and "account\\u0000" not in detail
