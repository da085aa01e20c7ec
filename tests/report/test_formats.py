"""Every machine format: valid against its specification, same findings, hostile names inert."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema
import pytest
from botocore.model import Shape, StructureShape
from botocore.validate import ParamValidator
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from awsaudit.errors import InputError
from awsaudit.report import FORMATS, ScanResult, parse_formats
from awsaudit.report.json_report import schema
from tests.report.hostile import FORMULA, HOSTILE, IMG, MARKDOWN, SAFE_BUCKET, SCRIPT, XML


def test_every_format_is_written(outputs: dict[str, Path]) -> None:
    assert set(FORMATS) <= outputs.keys()
    assert all(path.stat().st_size > 0 for path in outputs.values())


def test_parse_formats() -> None:
    assert parse_formats("json, HTML,json") == ("json", "html")
    assert parse_formats("all") == tuple(FORMATS)
    with pytest.raises(InputError, match="unknown format"):
        parse_formats("json,pdf")
    with pytest.raises(InputError, match="at least one"):
        parse_formats(" , ")


# --- JSON ---------------------------------------------------------------------------------------


def test_json_validates_against_the_shipped_schema(outputs: dict[str, Path], report: ScanResult) -> None:
    document = json.loads(outputs["json"].read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    assert len(document["findings"]) == len(report.findings)
    assert document["totals"] == {str(s): n for s, n in report.totals.items()}
    assert len(document["mutelist"]["expired"]) == 1 and len(document["mutelist"]["stale"]) == 1
    muted = [f for f in document["findings"] if f["status"] == "MUTED"]
    assert muted and muted[0]["mute"]["reason"].startswith("Public website bucket")
    assert {fw["id"] for fw in document["frameworks"]} >= {"baseline", "cis-7.0"}


def test_schema_rejects_a_muted_finding_without_its_reason(outputs: dict[str, Path]) -> None:
    document = json.loads(outputs["json"].read_text(encoding="utf-8"))
    next(f for f in document["findings"] if f["status"] == "MUTED")["mute"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)


# --- OCSF ---------------------------------------------------------------------------------------


def _subset(ours: Any, model: Any, path: str = "") -> None:
    """Every key we emit survives the model: a misspelt attribute would be silently dropped."""
    if isinstance(ours, dict) and path.endswith(("unmapped", "data")):
        return
    if isinstance(ours, dict):
        assert isinstance(model, dict), path
        for key, value in ours.items():
            assert key in model, f"{path}.{key} is not an OCSF attribute"
            _subset(value, model[key], f"{path}.{key}")
    elif isinstance(ours, list):
        for i, (a, b) in enumerate(zip(ours, model, strict=True)):
            _subset(a, b, f"{path}[{i}]")


def test_ocsf_events_are_valid_detection_findings(outputs: dict[str, Path], report: ScanResult) -> None:
    events = json.loads(outputs["ocsf"].read_text(encoding="utf-8"))
    assert len(events) == len(report.findings)
    for event in events:
        model = DetectionFinding.model_validate(event)
        _subset(event, model.model_dump(mode="json", exclude_none=True))
        assert event["class_uid"] == 2004 and event["type_uid"] == 200401
        assert event["metadata"]["version"].startswith("1.")
    statuses = Counter((e["status_code"], e["status_id"]) for e in events)
    assert statuses[("MUTED", 3)] == 1
    assert all(sid == 1 for (code, sid) in statuses if code != "MUTED")


# --- ASFF ---------------------------------------------------------------------------------------


def _check_enums(value: Any, shape: Shape, path: str = "") -> None:
    """What botocore's validator leaves out: enum values and patterns from the service model."""
    if isinstance(shape, StructureShape):
        for key, item in value.items():
            _check_enums(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            _check_enums(item, shape.member, f"{path}[{i}]")  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        for key, item in value.items():
            _check_enums(item, shape.value, f"{path}[{key}]")  # type: ignore[attr-defined]
    elif shape.type_name == "string":
        if shape.enum:
            assert value in shape.enum, (path, value)
        if pattern := shape.metadata.get("pattern"):
            assert re.fullmatch(pattern, value, re.DOTALL), (path, value)


def test_asff_matches_security_hub_batch_import_findings(
    outputs: dict[str, Path], report: ScanResult
) -> None:
    findings = json.loads(outputs["asff"].read_text(encoding="utf-8"))
    assert len(findings) == len(report.findings)
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    for start in range(0, len(findings), 100):  # the API takes 100 findings per call
        params = {"Findings": findings[start : start + 100]}
        errors = ParamValidator().validate(params, shape)
        assert not errors.has_errors(), errors.generate_report()
        _check_enums(params, shape)
    for finding in findings:
        assert len(finding["Title"]) <= 256 and len(finding["Description"]) <= 1024
        assert len(finding.get("Remediation", {}).get("Recommendation", {}).get("Text", "")) <= 512
        assert finding["Region"] != "global"
        assert finding["ProductArn"].endswith(f":product/{finding['AwsAccountId']}/default")
    assert len({f["Id"] for f in findings}) == len(findings)
    muted = [f for f in findings if f["Workflow"]["Status"] == "SUPPRESSED"]
    assert len(muted) == 1 and "Public website bucket" in muted[0]["Note"]["Text"]


# --- SARIF --------------------------------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema our output uses (OASIS SARIF v2.1.0, sections 3.13-3.49).
LEVEL = {"enum": ["none", "note", "warning", "error"]}
KIND = {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]}
SUPPRESSION = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"enum": ["inSource", "external"]},
        "status": {"enum": ["accepted", "underReview", "rejected"]},
    },
}
RESULT = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "object", "required": ["text"]},
        "level": LEVEL,
        "kind": KIND,
        "ruleIndex": {"type": "integer", "minimum": -1},
        "suppressions": {"type": "array", "items": SUPPRESSION},
    },
}
RULE = {
    "type": "object",
    "required": ["id"],
    "properties": {"defaultConfiguration": {"properties": {"level": LEVEL}}},
}
DRIVER = {
    "type": "object",
    "required": ["name"],
    "properties": {"rules": {"type": "array", "items": RULE}},
}
RUN = {
    "type": "object",
    "required": ["tool"],
    "properties": {
        "tool": {"type": "object", "required": ["driver"], "properties": {"driver": DRIVER}},
        "results": {"type": "array", "items": RESULT},
    },
}
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {"version": {"const": "2.1.0"}, "runs": {"type": "array", "minItems": 1, "items": RUN}},
}


def test_sarif_is_2_1_0_with_a_rule_per_check(outputs: dict[str, Path], report: ScanResult) -> None:
    document = json.loads(outputs["sarif"].read_text(encoding="utf-8"))
    jsonschema.validate(document, SARIF_SUBSET)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({f.check_id for f in report.findings})
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        if result["kind"] != "fail":
            assert result["level"] == "none"  # SARIF 3.27.10: level is "none" unless kind is "fail"
    kinds = Counter(r["kind"] for r in run["results"])
    assert kinds["open"] == report.totals["UNKNOWN"] and kinds["review"] == report.totals["MANUAL"]
    (suppressed,) = [r for r in run["results"] if "suppressions" in r]
    assert suppressed["suppressions"][0]["status"] == "accepted"


# --- JUnit --------------------------------------------------------------------------------------


def test_junit_counts_and_hostile_names(outputs: dict[str, Path], report: ScanResult) -> None:
    root = ET.fromstring(outputs["junit"].read_bytes())
    totals = report.totals
    assert root.get("tests") == str(len(report.findings))
    assert root.get("failures") == str(totals["FAIL"])
    assert root.get("errors") == str(totals["UNKNOWN"])
    assert root.get("skipped") == str(totals["MANUAL"] + totals["MUTED"])
    names = {case.get("name") for case in root.iter("testcase")}
    assert f"arn:aws:s3:::{XML}" in names and f"arn:aws:s3:::{IMG}" in names
    assert not list(root.iter("injected"))
    assert len(list(root.iter("testsuite"))) == len({f.check_id for f in report.findings})


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_rows_and_formula_injection(outputs: dict[str, Path], report: ScanResult) -> None:
    text = outputs["csv"].read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == len(report.findings)
    assert Counter(r["status"] for r in rows) == Counter(str(f.status) for f in report.findings)
    assert all(not r[col].startswith(("=", "+", "-", "@")) for r in rows for col in r)
    assert any(r["resource"] == f"arn:aws:s3:::{FORMULA}" for r in rows)  # mid-cell: harmless, kept
    database = "ec2_sg_no_public_database_ports"
    group = next(r for r in rows if r["check_id"] == database and r["status"] == "FAIL")
    assert "--group-id sg-0db" in group["remediation_cli"]
    muted = next(r for r in rows if r["status"] == "MUTED")
    assert muted["mute_owner"] == "web-team@acme.example" and muted["mute_expires"] == "2099-12-31"


def test_csv_prefixes_cells_that_start_a_formula() -> None:
    from awsaudit.report.csv_report import safe_cell  # noqa: PLC0415

    assert safe_cell(FORMULA) == "'" + FORMULA
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("arn:aws:s3:::x") == "arn:aws:s3:::x"


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_escapes_account_text(outputs: dict[str, Path], report: ScanResult) -> None:
    text = outputs["markdown"].read_text(encoding="utf-8")
    assert IMG not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert SCRIPT not in text and MARKDOWN not in text
    assert "[click](" not in text
    for line in text.splitlines():
        if line.startswith("| ") and "arn:aws:s3" in line:
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == 8, line  # 6 columns: no name can add a cell
    assert "Mutelist warnings" in text and "expired on 2020-01-01" in text
    assert f"--bucket {SAFE_BUCKET}" in text or SAFE_BUCKET in text


def test_markdown_code_fence_cannot_be_closed_by_the_text() -> None:
    from awsaudit.report.markdown import code  # noqa: PLC0415

    block = code("a ``` b ````")
    assert block.startswith("`````\n") and block.endswith("\n`````")


# --- Text summary -------------------------------------------------------------------------------


def test_summary_lists_mutelist_warnings(outputs: dict[str, Path]) -> None:
    text = outputs["summary"].read_text(encoding="utf-8")
    assert "expired on 2020-01-01" in text and "is stale" in text
    assert "[click]" in text  # rich markup in a name is printed, not interpreted


def test_hostile_names_reach_every_format_as_data(outputs: dict[str, Path]) -> None:
    """Each name appears (escaped as its format requires): nothing was dropped or rewritten away."""
    for name in ("json", "ocsf", "asff", "sarif"):
        blob = outputs[name].read_text(encoding="utf-8")
        for hostile in HOSTILE[:5]:
            assert json.dumps(hostile)[1:-1] in blob, (name, hostile)
