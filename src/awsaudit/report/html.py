"""The HTML report: one self-contained file (no network) an auditor can hand over or print.

Aggregates (summary, charts, coverage, per-area checks, per-framework controls) are rendered
by Jinja2 with autoescaping. The findings themselves travel as ONE JSON document inside
`<script type="application/json">` (every `<`, `>` and `&` escaped as \\u003c..., so account text
can never close the element) and are rendered by the page's script, a page at a time, through
textContent only — never innerHTML — which keeps 50,000 findings fast and inert. A
Content-Security-Policy allows exactly the page's own script and stylesheet (by hash): even
markup that slipped in could not run. Control and bidi characters in account text (a U+202E
that would show `exe.txt` as `txt.exe`) are shown as their escapes (untrusted.text.visible),
in the template's every output (Jinja's finalize) and in the findings document.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter, defaultdict
from importlib import resources
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from awsaudit.model import Severity, Status
from awsaudit.report import charts, history_section, organization
from awsaudit.report.compliance import NO_RESOURCES, NOT_COVERED, WORST_FIRST, pass_rate, worst
from awsaudit.report.exposure import exposure_rows
from awsaudit.report.remediation import used_values
from awsaudit.untrusted.text import visible, visible_deep

if TYPE_CHECKING:
    from awsaudit.model import Finding, Json
    from awsaudit.report.scan_result import ScanResult

ORDER = {status: i for i, status in enumerate(WORST_FIRST)}
STATUS_ORDER = [str(s) for s in WORST_FIRST]
CONTROL_ORDER = [*STATUS_ORDER, NO_RESOURCES, NOT_COVERED]
SEVERITIES = list(Severity)
TOP_RISKS = 10
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _asset(name: str) -> str:
    return resources.files("awsaudit.report").joinpath(f"templates/{name}").read_text("utf-8")


def _csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def script_json(value: Any) -> Markup:
    """JSON that is safe inside a <script> element: no `<` can end it, no `&` can start an entity,
    and no string holds a control or bidi character (shown as its escape instead)."""
    text = json.dumps(visible_deep(value), ensure_ascii=False, separators=(",", ":"), default=str)
    return Markup(text.translate(_SCRIPT_ESCAPES))


def _sort_key(f: Finding) -> tuple[Any, ...]:
    return (ORDER[f.status], -f.severity.rank, f.area, f.check_id, f.account, f.region, f.resource)


def data_blob(report: ScanResult) -> Json:
    """Everything the page's script needs: checks once, evidence de-duplicated, findings as rows.

    A finding row is [check index, status, message, account, region, resource ARN,
    evidence index or -1, placeholder values or 0, mute [reason, owner, expires, status] or 0].
    """
    findings = sorted(report.findings, key=_sort_key)
    check_ids = sorted({f.check_id for f in findings})
    check_index = {cid: i for i, cid in enumerate(check_ids)}
    checks = []
    for cid in check_ids:
        check = report.checks.get(cid)
        sample = next(f for f in findings if f.check_id == cid)
        remediation = check.remediation if check else None
        checks.append(
            {
                "id": cid,
                "title": sample.title,
                "severity": str(sample.severity),
                "objective": str(sample.objective),
                "area": sample.area or "other",
                "rationale": check.rationale if check else "",
                "console": list(remediation.console) if remediation else [],
                "cli": remediation.cli if remediation else "",
                "terraform": remediation.terraform if remediation else "",
                "controls": {fw: list(ids) for fw, ids in sorted(sample.controls.items())},
            }
        )
    evidence_index: dict[str, int] = {}
    evidence: list[Any] = []
    rows = []
    for f in findings:
        e = -1
        if f.evidence is not None:
            key = f.evidence_hash  # computed once per finding: no second serialisation here
            if key not in evidence_index:
                evidence_index[key] = len(evidence)
                evidence.append(f.evidence)
            e = evidence_index[key]
        check = report.checks.get(f.check_id)
        values = used_values(check.remediation, f) if check else {}
        mute = f.mute or {}
        rows.append(
            [
                check_index[f.check_id],
                str(f.status),
                f.message,
                f.account,
                f.region,
                f.resource,
                e,
                values or 0,
                [mute.get("reason"), mute.get("owner"), mute.get("expires"), mute.get("status")]
                if f.mute
                else 0,
            ]
        )
    frameworks = [
        {"id": fw.id, "title": fw.title, "controls": {c.id: list(c.checks) for c in fw.controls}}
        for fw in report.frameworks
    ]
    names = {a.id: a.name for a in report.accounts if a.name}
    return {"checks": checks, "evidence": evidence, "findings": rows, "frameworks": frameworks,
            "account_names": names}


ACCOUNT_MARK = "\u0000account\u0000"
"""Stands for the finding's own account id inside packed evidence (no account text holds a NUL)."""


def _generic(value: Any, account: str) -> Any:
    """The evidence with the account id, inside its strings, replaced by ACCOUNT_MARK."""
    if isinstance(value, str):
        return value.replace(account, ACCOUNT_MARK)
    if isinstance(value, list):
        return [_generic(v, account) for v in value]
    if isinstance(value, dict):
        return {_generic(k, account): _generic(v, account) for k, v in value.items()}
    return value


def packed(blob: Json) -> Json:
    """The blob as the page embeds it: each row's status, message, account, region and resource as
    an index into one string table, its placeholder values as an index into a table of distinct
    values (-1: none), and evidence that differs between accounts only by the account id stored
    once (the id written as ACCOUNT_MARK, which the page turns back into the row's account). An
    Organization repeats all of these across hundreds of thousands of rows; the page's script
    unpacks them back into data_blob()'s rows."""
    evidence: list[Any] = []
    generic_index: dict[str, int] = {}
    remapped: dict[tuple[int, str], int] = {}

    def generic(index: int, account: str) -> int:
        if index < 0:
            return index
        if (index, account) not in remapped:
            found = _generic(blob["evidence"][index], account)
            key = json.dumps(found, sort_keys=True, default=str)
            if key not in generic_index:
                generic_index[key] = len(evidence)
                evidence.append(found)
            remapped[index, account] = generic_index[key]
        return remapped[index, account]

    strings: dict[str, int] = {}
    values: dict[str, int] = {}
    value_list: list[Any] = []

    def text(value: str) -> int:
        return strings.setdefault(value, len(strings))

    def value(found: Any) -> int:
        if not found:
            return -1
        key = json.dumps(found, sort_keys=True, default=str)
        if key not in values:
            values[key] = len(value_list)
            value_list.append(found)
        return values[key]

    rows = [[r[0], text(r[1]), text(r[2]), text(r[3]), text(r[4]), text(r[5]), generic(r[6], r[3]),
             value(r[7]), r[8]]
            for r in blob["findings"]]
    return {**blob, "findings": rows, "strings": list(strings), "values": value_list, "evidence": evidence,
            "account_mark": ACCOUNT_MARK}


def _area_rows(findings: list[Finding]) -> dict[str, Counter[Status]]:
    areas: dict[str, Counter[Status]] = defaultdict(Counter)
    for f in findings:
        areas[f.area or "other"][f.status] += 1
    return dict(sorted(areas.items()))


def _checks_by_area(report: ScanResult) -> dict[str, list[dict[str, Any]]]:
    per_check: dict[str, Counter[Status]] = defaultdict(Counter)
    sample: dict[str, Finding] = {}
    for f in report.findings:
        per_check[f.check_id][f.status] += 1
        sample.setdefault(f.check_id, f)
    areas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cid, counts in per_check.items():
        f = sample[cid]
        areas[f.area or "other"].append(
            {
                "id": cid,
                "title": f.title,
                "severity": str(f.severity),
                "objective": str(f.objective),
                "status": worst(counts),
                "counts": counts,
            }
        )
    for rows in areas.values():
        rows.sort(key=lambda r: (CONTROL_ORDER.index(r["status"]), -Severity(r["severity"]).rank, r["id"]))
    return dict(sorted(areas.items()))


def _top_risks(findings: list[Finding]) -> list[dict[str, Any]]:
    failed: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.status is Status.FAIL:
            failed[f.check_id].append(f)
    ranked = sorted(failed.values(), key=lambda fs: (-fs[0].severity.rank, -len(fs), fs[0].check_id))
    return [
        {
            "id": fs[0].check_id,
            "title": fs[0].title,
            "severity": str(fs[0].severity),
            "area": fs[0].area,
            "count": len(fs),
            "examples": [f.resource for f in fs[:3]],
        }
        for fs in ranked[:TOP_RISKS]
    ]


def _visible(value: Any) -> Any:
    """Jinja finalize: every `{{ }}` string shows control characters as escapes (Markup is ours)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value, keep_newlines=True)
    return value


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("awsaudit.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_visible,
        trim_blocks=True,
        lstrip_blocks=True,
    )


MAX_GAPS_SHOWN = 3
"""Per account, the first few (service, region) pairs not fully collected; the coverage table has all."""


def _organization(report: ScanResult) -> Json | None:
    """The organization summary (several accounts only): ranking, matrices, coverage per account."""
    if not organization.is_organization(report) and not report.left_out:
        return None
    risks = organization.account_risks(report)
    return {
        "risks": risks,
        "matrices": organization.matrices(report, [r.account for r in risks]),
        "letters": organization.STATUS_LETTERS,
        "max_gaps": MAX_GAPS_SHOWN,
        "left_out": report.left_out,
    }


def render(report: ScanResult) -> str:
    findings = report.findings
    areas = _area_rows(findings)
    area_chart = charts.stacked_bars(
        [
            charts.BarRow(area, {str(s): n for s, n in c.items()}, pass_rate(c), f"area-{area}")
            for area, c in areas.items()
        ],
        STATUS_ORDER,
        "Findings per area by status, with the pass rate",
    )
    framework_chart = charts.stacked_bars(
        [
            charts.BarRow(fw.id, fw.status_counts, fw.pass_rate, f"framework-{fw.id}")
            for fw in report.frameworks
        ],
        CONTROL_ORDER,
        "Framework controls by status, with the pass rate",
    )
    failed = Counter(f.severity for f in findings if f.status is Status.FAIL)
    severity_chart = charts.columns(
        [(str(s), failed.get(s, 0)) for s in SEVERITIES], "Failures (not muted) by severity"
    )
    unknown_reasons = Counter(
        (f.check_id, f.message) for f in findings if f.status is Status.UNKNOWN
    ).most_common()
    script, style = _asset("report.js"), _asset("report.css")
    csp = (
        f"default-src 'none'; script-src '{_csp_hash(script)}'; style-src '{_csp_hash(style)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            info=report.info,
            totals=report.totals,
            rate=pass_rate(report.totals),
            statuses=STATUS_ORDER,
            control_statuses=CONTROL_ORDER,
            severities=[str(s) for s in SEVERITIES],
            area_counts=areas,
            area_rates={a: pass_rate(c) for a, c in areas.items()},
            checks_by_area=_checks_by_area(report),
            frameworks=report.frameworks,
            top_risks=_top_risks(findings),
            exposure=exposure_rows(findings),
            coverage_gaps=[r for r in report.coverage if r.state != "collected"],
            coverage_total=len(report.coverage),
            unknown_reasons=unknown_reasons,
            warnings=report.warnings(),
            mutes=report.mutes,
            charts={"areas": area_chart, "frameworks": framework_chart, "severity": severity_chart},
            organization=_organization(report),
            data=script_json(packed(data_blob(report))),
            script=Markup(script),
            style=Markup(style),
            csp=csp,
            **history_section.context(report),
        )
    )
