"""Access Analyzer checks: an active external-access analyzer per region."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.iam.accessanalyzer import accessanalyzer_enabled
from awsaudit.model import Json, Status
from tests.checks.cases import Case


def analyzer(name: str = "acme-account", type: str = "ACCOUNT", status: str = "ACTIVE", **extra: Any) -> Json:
    return {"name": name, "type": type, "status": status,
            "arn": f"arn:aws:access-analyzer:eu-west-1:123456789012:analyzer/{name}", **extra}


def region(*analyzers: Json) -> Json:
    return {"_arn": "arn:aws:access-analyzer:eu-west-1:123456789012:region", "analyzers": list(analyzers)}


ENABLED = accessanalyzer_enabled

CASES = [
    Case(ENABLED, Status.PASS, "account-analyzer", region(analyzer())),
    Case(ENABLED, Status.PASS, "organization-analyzer", region(analyzer("acme-org", "ORGANIZATION"))),
    Case(ENABLED, Status.PASS, "one-active-of-two",
         region(analyzer("old", status="FAILED"), analyzer())),
    Case(ENABLED, Status.FAIL, "none", region()),
    Case(ENABLED, Status.FAIL, "failed", region(analyzer(
        status="FAILED", statusReason={"code": "SERVICE_LINKED_ROLE_CREATION_FAILED"}))),
    Case(ENABLED, Status.FAIL, "creating", region(analyzer(status="CREATING"))),
    Case(ENABLED, Status.FAIL, "unused-access-only", region(analyzer("unused", "ACCOUNT_UNUSED_ACCESS"))),
    Case(ENABLED, Status.UNKNOWN, "denied", {"_errors": {"analyzers": "AccessDeniedException"}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_messages() -> None:
    assert ENABLED.evaluate(region(analyzer(status="DISABLED"))).message == (
        "No external-access analyzer is active: acme-account is DISABLED")
    assert ENABLED.evaluate(region(analyzer())).evidence["analyzers"][0]["type"] == "ACCOUNT"
