"""The HTML report in a real browser (headless Debian chromium, driven by Playwright).

Filters and search must give exactly the counts of findings.json; names from the account must
stay text (no dialog, no injected element, no script); the page must load with no console
error and no network request. A screenshot is saved in the test's output folder.

Without /usr/bin/chromium the test is skipped, unless AWSAUDIT_REQUIRE_BROWSER=1 (CI), where
a missing browser fails it. Never `playwright install`: the browser is Debian's package.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from awsaudit.report import FORMATS, write_all
from tests.report.hostile import IMG, SAFE_BUCKET, SCRIPT, build_report

CHROMIUM = Path(os.environ.get("AWSAUDIT_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("AWSAUDIT_REQUIRE_BROWSER") == "1"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATUSES = ("FAIL", "UNKNOWN", "MANUAL", "MUTED", "PASS")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"AWSAUDIT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        _unavailable(
            f"{CHROMIUM} not found: `apt-get install chromium` (Debian's package) to run browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 - optional dev dependency
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements.lock)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    report = build_report()
    out = tmp_path_factory.mktemp("browser-report")
    return write_all(out, report, tuple(FORMATS))


@pytest.fixture(scope="module")
def findings(written: dict[str, Path]) -> list[dict[str, Any]]:
    return list(json.loads(written["json"].read_text(encoding="utf-8"))["findings"])


@pytest.fixture
def page(browser: Any, written: dict[str, Path]) -> Iterator[Any]:
    """The loaded report; on teardown, no console error, page error, dialog or network request."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    problems: list[str] = []
    opened.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    opened.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    opened.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    opened.on(
        "request",
        lambda r: problems.append(f"request: {r.url}") if not r.url.startswith(("file:", "data:")) else None,
    )
    opened.goto(written["html"].as_uri())
    opened.wait_for_selector("html[data-ready='1']")
    yield opened
    injected = opened.evaluate(
        "() => ({pwned: window.__pwned, imgs: document.images.length,"
        " handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length})"
    )
    context.close()
    assert injected == {"pwned": None, "imgs": 0, "handlers": 0} or injected == {"imgs": 0, "handlers": 0}
    assert problems == []


def count(page: Any) -> int:
    return int(page.eval_on_selector("#match-count", "e => e.dataset.count"))


def show(page: Any, statuses: tuple[str, ...] = STATUSES) -> None:
    for status in STATUSES:
        page.set_checked(f"input[name=status][value={status}]", status in statuses)


def expected(findings: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> int:
    return sum(1 for f in findings if keep(f))


def test_totals_and_default_view_match_the_json(page: Any, findings: list[dict[str, Any]]) -> None:
    totals = Counter(f["status"] for f in findings)
    for status in STATUSES:
        assert page.inner_text(f"[data-total={status}]").replace(",", "") == str(totals.get(status, 0))
        assert page.inner_text(f"[data-status-count={status}]") == str(totals.get(status, 0))
    assert count(page) == len(findings) - totals["PASS"]  # PASS is hidden at first
    assert page.locator("#rows tr.finding").count() == min(100, count(page))


def test_each_filter_gives_the_json_count(page: Any, findings: list[dict[str, Any]]) -> None:
    for status in STATUSES:
        show(page, (status,))
        assert count(page) == expected(findings, lambda f, s=status: f["status"] == s), status
    show(page)
    assert count(page) == len(findings)
    for severity in ("critical", "high", "medium", "low", "info"):
        for box in ("critical", "high", "medium", "low", "info"):
            page.set_checked(f"input[name=severity][value={box}]", box == severity)
        assert count(page) == expected(findings, lambda f, s=severity: f["severity"] == s), severity
    page.click("#f-reset")
    show(page)
    cases = [
        ("#f-area", "s3", lambda f: f["area"] == "s3"),
        ("#f-account", "111122223333", lambda f: f["account"] == "111122223333"),
        ("#f-region", "eu-west-1", lambda f: f["region"] == "eu-west-1"),
        ("#f-control", "baseline|NET-1", lambda f: "NET-1" in f["controls"].get("baseline", [])),
    ]
    for selector, value, keep in cases:
        page.select_option(selector, value)
        assert count(page) == expected(findings, keep), (selector, value)
        page.select_option(selector, "")
    check = "s3_bucket_no_public_read"
    page.select_option(
        "#f-check", label=next(o for o in _labels(page, "#f-check") if o.startswith(check + " "))
    )
    assert count(page) == expected(findings, lambda f: f["check_id"] == check)


def _labels(page: Any, selector: str) -> list[str]:
    return list(page.eval_on_selector_all(f"{selector} option", "os => os.map(o => o.textContent)"))


def searched(f: dict[str, Any], term: str) -> bool:
    """The page's rule: every word occurs in the finding's text (check, status, message, ARN, evidence)."""
    fields = [f["check_id"], f["title"], f["status"], f["message"], f["account"], f["region"]]
    fields += [f["resource"], (f["mute"] or {}).get("reason", ""), json.dumps(f["evidence"])]
    text = " ".join(fields).lower()
    return all(word in text for word in term.lower().split())


def test_free_text_search(page: Any, findings: list[dict[str, Any]]) -> None:
    show(page)
    for term in ("SSH 22", "acme-open-website", "hyperlink", "onerror", "3306 acme-billing-db", "website"):
        page.fill("#f-text", term)
        page.press("#f-text", "Enter")
        assert count(page) == expected(findings, lambda f, t=term: searched(f, t)), term
        assert count(page) > 0, term


def test_hostile_names_show_as_text_and_details_fill_real_names(page: Any, tmp_path: Path) -> None:
    show(page)
    page.fill("#f-text", "onerror")
    page.press("#f-text", "Enter")
    row = page.locator("#rows tr.finding").filter(has_text=IMG).first
    assert IMG in row.inner_text()
    row.locator("button.toggle").click()
    details = page.locator("#rows tr.detail").first
    assert IMG in details.inner_text()
    page.fill("#f-text", "pwned")
    page.press("#f-text", "Enter")
    page.locator("#rows tr.finding").first.locator("button.toggle").click()
    assert SCRIPT in page.locator("#rows tr.detail").first.inner_text()

    page.fill("#f-text", f"s3_bucket_default_encryption {SAFE_BUCKET}")
    page.press("#f-text", "Enter")
    page.locator("#rows tr.finding").first.locator("button.toggle").click()
    cli = page.locator("#rows tr.detail pre").filter(has_text="put-bucket-encryption").inner_text()
    assert f"--bucket {SAFE_BUCKET}" in cli and '{"SSEAlgorithm":"aws:kms"}' in cli

    page.fill("#f-text", "s3_bucket_default_encryption hyperlink")
    page.press("#f-text", "Enter")
    page.locator("#rows tr.finding").first.locator("button.toggle").click()
    cli = page.locator("#rows tr.detail pre").filter(has_text="put-bucket-encryption").inner_text()
    assert "--bucket {name}" in cli  # an unsafe name is never pasted into a command


def test_paging_and_click_through(page: Any, findings: list[dict[str, Any]]) -> None:
    show(page)
    assert count(page) == len(findings) > 100
    page.click("#next")
    assert page.locator("#rows tr.finding").count() == len(findings) - 100
    assert page.inner_text("#page") == "Page 2 of 2"
    page.click("#top-risks tr.clickable >> nth=0")
    check = page.get_attribute("#top-risks tr.clickable >> nth=0", "data-check")
    assert count(page) == expected(findings, lambda f: f["check_id"] == check and f["status"] == "FAIL")


def test_print_view_lists_the_filtered_findings_with_details(page: Any) -> None:
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("#print-findings").is_visible()
    assert not page.locator("#findings-table").is_visible()
    assert page.locator("#print-findings .print-finding").count() == count(page)
    assert page.locator("#print-findings pre").count() > 0


def test_screenshot(page: Any, tmp_path: Path) -> None:
    """report.png: the findings with one opened; report-full.png: the whole page."""
    page.screenshot(path=str(tmp_path / "report-full.png"), full_page=True)
    page.locator("#rows tr.finding").first.locator("button.toggle").click()
    page.evaluate("document.getElementById('findings').scrollIntoView()")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
