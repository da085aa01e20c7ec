"""JUnit XML for CI dashboards: a test suite per check, a test case per (check, resource).

FAIL is a <failure>; UNKNOWN is an <error> (the check could not run on its data: as visible
as a failure); MANUAL and MUTED are <skipped> with what to review or the mute reason. XML
escaping is ElementTree's; characters XML 1.0 cannot carry at all (most control characters)
are replaced, so a hostile name cannot make the file unreadable.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

from awsaudit.model import Status
from awsaudit.untrusted.text import visible

if TYPE_CHECKING:
    from awsaudit.model import Finding
    from awsaudit.report.scan_result import ScanResult

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value: object) -> str:
    """Control and bidi characters as their escapes (CI logs show this text), then XML-safe."""
    return _NOT_XML.sub("\ufffd", visible(str(value), keep_newlines=True))


def _case(suite: ET.Element, f: Finding) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        name=text(f.resource),
        classname=text(f"{f.area or 'other'}.{f.check_id}"),
        time="0",
    )
    ET.SubElement(ET.SubElement(case, "properties"), "property", name="fingerprint", value=f.fingerprint)
    detail = f"{f.message}\naccount {f.account}, region {f.region}, severity {f.severity}"
    if f.evidence is not None:
        detail += "\nevidence: " + json.dumps(f.evidence, indent=2, sort_keys=True, default=str)
    if f.status is Status.FAIL:
        ET.SubElement(case, "failure", message=text(f.message), type=str(f.severity)).text = text(detail)
    elif f.status is Status.UNKNOWN:
        ET.SubElement(case, "error", message=text(f"not assessed: {f.message}"), type="UNKNOWN").text = text(
            detail
        )
    elif f.status is Status.MANUAL:
        ET.SubElement(case, "skipped", message=text(f"manual review: {f.message}"))
    elif f.status is Status.MUTED:
        reason = (f.mute or {}).get("reason", "")
        ET.SubElement(case, "skipped", message=text(f"muted: {reason}"))


def render(report: ScanResult) -> str:
    # One suite per check; for several accounts, per account and check ("ACCOUNT check_id").
    many = len(report.info.accounts) > 1
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_check[f"{f.account} {f.check_id}" if many else f.check_id].append(f)
    root = ET.Element("testsuites", name="awsaudit", timestamp=text(report.info.evaluated_at))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check_id, findings in sorted(by_check.items()):
        counts = {
            "tests": len(findings),
            "failures": sum(f.status is Status.FAIL for f in findings),
            "errors": sum(f.status is Status.UNKNOWN for f in findings),
            "skipped": sum(f.status in (Status.MANUAL, Status.MUTED) for f in findings),
        }
        attributes = {"name": check_id, "timestamp": text(report.info.evaluated_at), "time": "0"}
        suite = ET.SubElement(root, "testsuite", attributes | {k: str(v) for k, v in counts.items()})
        ET.SubElement(suite, "properties").extend(
            [
                ET.Element("property", name="title", value=text(findings[0].title)),
                ET.Element("property", name="severity", value=str(findings[0].severity)),
            ]
        )
        for f in findings:
            _case(suite, f)
        for key, value in counts.items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
