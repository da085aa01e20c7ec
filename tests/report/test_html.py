"""The HTML report without a browser: self-contained, escaped, CSP-locked, data complete."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from awsaudit.report import ScanResult
from awsaudit.report.html import data_blob, packed, script_json
from tests.report.hostile import IMG, SAFE_BUCKET, SCRIPT


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in == "script" and self.tags[-1][1].get("type") is None:
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def parse(outputs: dict[str, Path]) -> tuple[str, Tags]:
    text = outputs["html"].read_text(encoding="utf-8")
    tags = Tags()
    tags.feed(text)
    return text, tags


def test_self_contained_no_external_resources(outputs: dict[str, Path]) -> None:
    _, tags = parse(outputs)
    names = {tag for tag, _ in tags.tags}
    assert not names & {"link", "img", "iframe", "object", "embed", "base", "form-action"}
    for tag, attrs in tags.tags:
        for key in ("src", "href", "action"):
            value = attrs.get(key) or ""
            assert not value or value.startswith("#"), (tag, key, value)
        assert not any(key.startswith("on") for key in attrs), (tag, attrs)


def test_csp_allows_exactly_the_page_script_and_style(outputs: dict[str, Path]) -> None:
    _, tags = parse(outputs)
    csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None and "default-src 'none'" in csp
    (script,) = tags.scripts
    (style,) = tags.styles

    def digest(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src '{digest(script)}'" in csp
    assert f"style-src '{digest(style)}'" in csp
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


def test_hostile_text_only_inside_the_escaped_json(outputs: dict[str, Path], report: ScanResult) -> None:
    text, _ = parse(outputs)
    assert IMG not in text and SCRIPT not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # escaped by Jinja in the summary tables
    blob = re.search(r'<script type="application/json" id="awsaudit-data">(.*?)</script>', text, re.S)
    assert blob is not None and "<" not in blob.group(1)
    data = json.loads(blob.group(1))
    assert len(data["findings"]) == len(report.findings)
    assert any(IMG in data["strings"][row[5]] for row in data["findings"])  # rows are packed


def test_packed_rows_unpack_to_the_blob(report: ScanResult) -> None:
    blob = data_blob(report)
    page = packed(blob)
    strings, values, mark = page["strings"], page["values"], page["account_mark"]

    def evidence(index: int, account: str) -> object:
        text = json.dumps(page["evidence"][index]).replace(json.dumps(mark)[1:-1], account)
        return json.loads(text)

    unpacked = [[r[0], *(strings[i] for i in r[1:6]), r[6], 0 if r[7] < 0 else values[r[7]], r[8]]
                for r in page["findings"]]
    assert [u[:6] + u[7:] for u in unpacked] == [r[:6] + r[7:] for r in blob["findings"]]
    for row, original in zip(page["findings"], blob["findings"], strict=True):
        if original[6] >= 0:
            assert evidence(row[6], strings[row[3]]) == blob["evidence"][original[6]]
    assert len(strings) == len(set(strings)) and len(strings) < 5 * len(blob["findings"])


def test_script_json_escapes_everything_that_could_end_the_element() -> None:
    out = str(script_json({"a": "</script><!-- & >"}))
    assert "<" not in out and ">" not in out and "&" not in out
    assert json.loads(out) == {"a": "</script><!-- & >"}


def test_blob_deduplicates_evidence_and_embeds_only_used_placeholders(report: ScanResult) -> None:
    data = data_blob(report)
    assert len(data["evidence"]) == len({json.dumps(e, sort_keys=True) for e in data["evidence"]})
    checks = data["checks"]
    for row in data["findings"]:
        check = checks[row[0]]
        if row[7]:
            text = " ".join([*check["console"], check["cli"], check["terraform"]])
            assert all("{" + key + "}" in text for key in row[7]), (check["id"], row[7])
    safe = [r for r in data["findings"] if r[5] == f"arn:aws:s3:::{SAFE_BUCKET}" and r[7]]
    assert safe and all(SAFE_BUCKET in r[7].values() for r in safe)
    hostile = [r for r in data["findings"] if IMG in r[5]]
    assert hostile and all(IMG not in json.dumps(r[7]) for r in hostile)


def test_findings_sorted_worst_first(report: ScanResult) -> None:
    order = ["FAIL", "UNKNOWN", "MANUAL", "MUTED", "PASS"]
    statuses = [row[1] for row in data_blob(report)["findings"]]
    assert statuses == sorted(statuses, key=order.index)
