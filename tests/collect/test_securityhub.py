"""Security Hub collector against moto: "not subscribed" is None (an answer), a denial is an error."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.monitoring.securityhub import securityhub_enabled
from awsaudit.collect import securityhub
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT, REGION

OTHER = "us-east-1"
ARN = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"


def test_enabled_and_not_enabled_regions(ctx: Context, session: boto3.Session) -> None:
    session.client("securityhub", region_name=REGION).enable_security_hub()

    regions = {r: {"securityhub": securityhub.collect(ctx.for_region(r))} for r in (REGION, OTHER)}

    home = regions[REGION]["securityhub"]["hub"]
    assert home["_arn"] == ARN
    assert home["Hub"]["HubArn"] == ARN
    assert isinstance(home["Hub"]["SubscribedAt"], str)
    other = regions[OTHER]["securityhub"]["hub"]
    assert other == {"_arn": f"arn:aws:securityhub:{OTHER}:{ACCOUNT}:hub/default", "Hub": None}
    assert ctx.errors == []  # InvalidAccessException "not subscribed" is an answer, not an error
    findings = evaluate({"accounts": {ACCOUNT: {"regions": regions}}}, [securityhub_enabled])
    assert {f.region: f.status for f in findings} == {REGION: Status.PASS, OTHER: Status.FAIL}


def test_denied_describe_hub_is_an_error(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeHub", code="AccessDeniedException")

    hub = securityhub.collect(ctx)["hub"]

    assert "Hub" not in hub
    assert hub["_errors"] == {"Hub": "AccessDeniedException"}
    assert [(e["operation"], e["resource"], e["code"]) for e in ctx.errors] == [
        ("DescribeHub", ARN, "AccessDeniedException")]
    assert securityhub_enabled.evaluate(hub).status is Status.UNKNOWN
