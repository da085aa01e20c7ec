"""The engine: UNKNOWN for missing collections and broken checks, never PASS."""

from __future__ import annotations

from awsaudit.checks import evaluate
from awsaudit.checks._registry import Check, need
from awsaudit.cli.exit_codes import exit_code
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, Status, fail, ok


def make_check(func: object, over: str = "ec2.security_groups") -> Check:
    return Check("ec2_test_check", "Test", Severity.HIGH, Objective.INTEGRITY, over, "why",
                 Remediation(cli="x"), func, ())  # type: ignore[arg-type]


def passes(resource: Json) -> Outcome:
    return ok("fine", evidence=need(resource, "Name"))


def raises(resource: Json) -> Outcome:
    raise RuntimeError("boom")


def snap(region_data: Json) -> Json:
    return {"partition": "aws", "accounts": {"111122223333": {
        "global": {}, "regions": {"eu-west-1": {"ec2": region_data}}, "errors": []}}}


def test_each_resource_is_evaluated_with_its_arn() -> None:
    data = {"security_groups": [{"_arn": "arn:sg/1", "Name": "a"}, {"_arn": "arn:sg/2"}]}
    findings = evaluate(snap(data), [make_check(passes)])
    assert [(f.resource, f.status, f.region) for f in findings] == [
        ("arn:sg/1", Status.PASS, "eu-west-1"), ("arn:sg/2", Status.UNKNOWN, "eu-west-1")]


def test_missing_collection_is_unknown_with_reason() -> None:
    findings = evaluate(snap({"_errors": {"security_groups": "AccessDenied"}}), [make_check(passes)])
    assert len(findings) == 1
    assert findings[0].status is Status.UNKNOWN
    assert "AccessDenied" in findings[0].message


def test_missing_service_is_unknown() -> None:
    findings = evaluate(snap({}) | {"accounts": {"1": {"global": {}, "regions": {}}}}, [make_check(passes)])
    assert [f.status for f in findings] == [Status.UNKNOWN]


def test_check_error_is_unknown_and_exit_3() -> None:
    findings = evaluate(snap({"security_groups": [{"_arn": "arn:sg/1"}]}), [make_check(raises)])
    assert findings[0].status is Status.UNKNOWN and findings[0].check_error
    assert "check error" in findings[0].message
    assert exit_code(findings, None) == 3


def test_fail_on_gates_by_severity() -> None:
    fail = make_check(lambda r: Outcome(Status.FAIL, "bad", {}))
    findings = evaluate(snap({"security_groups": [{"_arn": "arn:sg/1"}]}), [fail])
    assert exit_code(findings, None) == 0
    assert exit_code(findings, Severity.HIGH) == 1
    assert exit_code(findings, Severity.CRITICAL) == 0


def test_an_outcome_may_lower_or_raise_its_own_severity() -> None:
    """One rule, two verdicts: the finding carries the outcome's severity, else the check's."""
    def graded(resource: Json) -> Outcome:
        if resource["Name"] == "unreachable":
            return fail("open but unreachable", severity=Severity.LOW)
        return fail("open and reachable")

    data = {"security_groups": [{"_arn": "arn:sg/1", "Name": "unreachable"},
                                {"_arn": "arn:sg/2", "Name": "x"}]}
    findings = evaluate(snap(data), [make_check(graded)])
    assert [(f.resource, f.severity) for f in findings] == [
        ("arn:sg/1", Severity.LOW), ("arn:sg/2", Severity.HIGH)]
