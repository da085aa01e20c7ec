"""The pieces the fault suite relies on, without a server: exit-code reasons, coverage states, the
region-name check and the output-folder check."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from awsaudit.cli import main
from awsaudit.cli.exit_codes import EXIT_FINDINGS, EXIT_SCAN_ERROR, exit_code, scan_errors
from awsaudit.collect.scan import check_region_names
from awsaudit.errors import InputError
from awsaudit.model import Severity
from awsaudit.report.coverage import NOT_ENABLED, account_coverage
from tests.faults.server import cbor_map, deny_error, throttle_error


def rows(*states: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(state=s) for s in states]


def test_scan_errors_name_each_reason() -> None:
    assert scan_errors([], rows("collected", "partial"), incomplete=False) == []
    assert scan_errors([], rows("collected", "failed", "failed"), incomplete=False) == [
        "2 (service, region) could not be collected at all (coverage: failed)"]
    assert scan_errors([], rows("collected"), incomplete=True) == ["the snapshot is incomplete"]
    assert scan_errors([], rows("partial", NOT_ENABLED), incomplete=False, fail_on_gaps=True) == [
        "2 (service, region) collected in part or not enabled (--fail-on-gaps)"]
    assert exit_code([], Severity.HIGH, scan_error=True) == EXIT_SCAN_ERROR


def test_a_gate_still_gates_without_scan_errors() -> None:
    from awsaudit.checks import evaluate  # noqa: PLC0415
    from tests.report.hostile import hostile_snapshot  # noqa: PLC0415

    findings = evaluate(hostile_snapshot())
    assert exit_code(findings, Severity.LOW) == EXIT_FINDINGS


def test_coverage_of_a_document_that_read_nothing_is_failed() -> None:
    account = {
        "regions_requested": ["eu-west-1", "ap-east-1"], "regions_disabled": ["ap-east-1"],
        "global": {},
        "regions": {"eu-west-1": {
            "macie2": {"session": {"_arn": "arn:x", "_errors": {"MacieSession": "EndpointConnectionError"}}},
            "sns": {"topics": [], "subscriptions": []},
        }},
        "errors": [{"service": "macie2", "region": "eu-west-1", "operation": "GetMacieSession",
                    "resource": "arn:x", "code": "EndpointConnectionError", "message": ""}],
    }
    states = {(r.service, r.region): r.state for r in account_coverage("1", account, [], {})}
    assert states == {("*", "ap-east-1"): NOT_ENABLED, ("macie2", "eu-west-1"): "failed",
                      ("sns", "eu-west-1"): "collected"}


def test_region_names() -> None:
    check_region_names(["eu-west-1", "us-gov-west-1", "eu-south-9"])  # a region newer than botocore
    with pytest.raises(InputError, match="unknown region"):
        check_region_names(["nowhere-1"])


def test_collect_to_an_unwritable_place_is_refused_first(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(main, ["collect", "-o", str(tmp_path / "file" / "s.json.gz"), "-q"])
    assert result.exit_code == 2
    assert result.output.startswith("awsaudit: error: cannot write the results to ")


def test_fault_answers_speak_each_protocol() -> None:
    assert throttle_error("ec2", "ec2") == ("RequestLimitExceeded", 503)
    assert throttle_error("s3", "rest-xml") == ("SlowDown", 503)
    assert throttle_error("iam", "query") == ("Throttling", 400)
    assert throttle_error("kms", "json") == ("ThrottlingException", 400)
    assert deny_error("ec2", "ec2") == ("UnauthorizedOperation", 403)
    assert deny_error("s3", "rest-xml") == ("AccessDenied", 403)
    assert cbor_map({"a": "b"}) == bytes([0xA1, 0x61]) + b"a" + bytes([0x61]) + b"b"
