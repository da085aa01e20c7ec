"""A first self-contained HTML report: summary, then every finding per area, with evidence.

Everything from the audited account (names, policies, tags) reaches the page only
through Jinja2's autoescaping; no template marks account data as safe.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from awsaudit.checks import load_all
from awsaudit.model import Finding, Status

if TYPE_CHECKING:
    from awsaudit.report import Report

ORDER = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.MANUAL: 2, Status.MUTED: 3, Status.PASS: 4}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("awsaudit.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=True, default=str)
    return env


def render(report: Report) -> str:
    info, findings = report.info, report.findings
    checks = load_all()
    areas: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=lambda f: (ORDER[f.status], -f.severity.rank, f.check_id, f.resource)):
        areas[f.area or "other"].append(f)
    area_counts = {area: Counter(f.status for f in items) for area, items in areas.items()}
    remediation: dict[str, Any] = {cid: c.remediation for cid, c in checks.items()}
    rationale = {cid: c.rationale for cid, c in checks.items()}
    total = Counter(f.status for f in findings)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            info=info,
            areas=dict(sorted(areas.items())),
            area_counts=area_counts,
            total=total,
            remediation=remediation,
            rationale=rationale,
            statuses=list(ORDER),
        )
    )
