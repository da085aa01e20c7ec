"""macie2 collector against moto: enabled, paused, not enabled (both AWS's and moto's answer), errors."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.s3.hardening import s3_macie_data_discovery
from awsaudit.collect import macie2, s3
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT, REGION

ARN = f"arn:aws:macie2:{REGION}:{ACCOUNT}:session"


def test_declares_what_it_produces_and_calls() -> None:
    assert (macie2.SCOPE, macie2.PRODUCES, macie2.ACTIONS) == ("regional", ("session",),
                                                               ("macie2:GetMacieSession",))


def test_session_enabled_paused_and_off(ctx: Context, session: boto3.Session) -> None:
    client = session.client("macie2", region_name=REGION)
    client.disable_macie()  # moto starts every region with Macie enabled
    assert macie2.collect(ctx) == {"session": {"_arn": ARN, "MacieSession": None}}  # moto: ResourceNotFound
    client.enable_macie(status="PAUSED")
    assert macie2.collect(ctx)["session"]["MacieSession"]["status"] == "PAUSED"
    client.enable_macie(status="ENABLED")  # moto lacks UpdateMacieSession; enabling again replaces it
    found = macie2.collect(ctx)["session"]["MacieSession"]
    assert found["status"] == "ENABLED"
    assert isinstance(found["createdAt"], str)
    assert ctx.errors == []


def test_access_denied_means_not_enabled_other_errors_are_recorded(ctx: Context, deny: Callable[..., None]
                                                                   ) -> None:
    deny("GetMacieSession", code="AccessDeniedException")  # AWS's answer when Macie is off
    assert macie2.collect(ctx)["session"] == {"_arn": ARN, "MacieSession": None}
    assert ctx.errors == []

    deny("GetMacieSession", code="ThrottlingException", status=400)
    assert macie2.collect(ctx)["session"] == {"_arn": ARN, "_errors": {"MacieSession": "ThrottlingException"}}
    assert [(e["operation"], e["code"], e["resource"]) for e in ctx.errors] == [
        ("GetMacieSession", "ThrottlingException", ARN)]


def test_collect_then_evaluate(session: boto3.Session, ctx: Context) -> None:
    for region, name in ((REGION, "acme-data-eu"), ("us-east-1", "acme-data-us")):
        client = session.client("s3", region_name=region)
        if region == "us-east-1":
            client.create_bucket(Bucket=name)
        else:
            client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    session.client("macie2", region_name="us-east-1").disable_macie()  # moto enables it everywhere
    regions = {r: {"macie2": macie2.collect(ctx.for_region(r))} for r in (REGION, "us-east-1")}
    snapshot = {"accounts": {ACCOUNT: {"global": {"s3": s3.collect(ctx)}, "regions": regions}}}

    finding, off = evaluate(snapshot, [s3_macie_data_discovery])  # the account, then each region
    assert finding.status is Status.FAIL
    assert finding.evidence["MacieStatus"] == {REGION: "ENABLED", "us-east-1": "not enabled"}
    assert (off.status, off.region, off.resource) == (
        Status.FAIL, "us-east-1", f"arn:aws:macie2:us-east-1:{ACCOUNT}:session")

    session.client("macie2", region_name="us-east-1").enable_macie()
    regions["us-east-1"] = {"macie2": macie2.collect(ctx.for_region("us-east-1"))}
    [finding] = evaluate(snapshot, [s3_macie_data_discovery])
    assert finding.status is Status.MANUAL
