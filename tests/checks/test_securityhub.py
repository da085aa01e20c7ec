"""Security Hub checks: enabled per region; "not subscribed" (None) fails, a denied call is UNKNOWN."""

from __future__ import annotations

import pytest

from awsaudit.checks.monitoring.securityhub import securityhub_enabled
from awsaudit.model import Status
from tests.checks.cases import Case

ARN = "arn:aws:securityhub:eu-west-1:123456789012:hub/default"
HUB = {"HubArn": ARN, "SubscribedAt": "2024-03-01T09:00:00+00:00", "AutoEnableControls": True}

CASES = [
    Case(securityhub_enabled, Status.PASS, "enabled", {"_arn": ARN, "Hub": HUB}),
    Case(securityhub_enabled, Status.FAIL, "not-subscribed", {"_arn": ARN, "Hub": None}),
    Case(securityhub_enabled, Status.UNKNOWN, "denied",
         {"_arn": ARN, "_errors": {"Hub": "AccessDeniedException"}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_evidence() -> None:
    assert securityhub_enabled.evaluate({"Hub": HUB}).evidence["HubArn"] == ARN
    assert securityhub_enabled.evaluate({"Hub": None}).evidence == {"Hub": None}
