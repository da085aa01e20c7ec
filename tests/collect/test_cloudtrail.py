"""CloudTrail collector against moto: trails per home region, status, selectors, denied calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from awsaudit.checks import evaluate
from awsaudit.checks.logging.cloudtrail import (
    cloudtrail_log_file_validation_enabled,
    cloudtrail_multi_region_trail_logging,
    cloudtrail_trail_kms_encrypted,
)
from awsaudit.collect import cloudtrail
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION

OTHER = "us-east-1"
BUCKET = "trail-logs"
REGIONS = (REGION, OTHER, "eu-central-1")


def make_trail(session: boto3.Session, region: str, name: str, *, multi: bool = False,
               start: bool = True, **params: object) -> str:
    client = session.client("cloudtrail", region_name=region)
    arn = client.create_trail(Name=name, S3BucketName=BUCKET, IsMultiRegionTrail=multi,
                              **params)["TrailARN"]  # type: ignore[arg-type]
    if start:
        client.start_logging(Name=name)
    return arn


@pytest.fixture
def bucket(session: boto3.Session) -> str:
    session.client("s3").create_bucket(Bucket=BUCKET,
                                       CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return BUCKET


def by_region(ctx: Context) -> dict[str, Json]:
    return {r: cloudtrail.collect(ctx.for_region(r)) for r in REGIONS}


def names(data: Json) -> list[str]:
    return sorted(t["Name"] for t in data["trails"])


def test_each_trail_is_collected_once_in_its_home_region(ctx: Context, session: boto3.Session,
                                                        bucket: str) -> None:
    org_arn = make_trail(session, REGION, "org-trail", multi=True, EnableLogFileValidation=True)
    make_trail(session, OTHER, "legacy-trail", start=False, KmsKeyId="alias/legacy")

    data = by_region(ctx)

    assert names(data[REGION]) == ["org-trail"]
    assert names(data[OTHER]) == ["legacy-trail"]  # the multi-region trail is not repeated here
    assert data["eu-central-1"] == {"trails": []}
    org = data[REGION]["trails"][0]
    assert org["_arn"] == org_arn
    assert org["IsMultiRegionTrail"] is True
    assert org["LogFileValidationEnabled"] is True
    assert org["KmsKeyId"] is None  # DescribeTrails omits it when unset: stored as "not configured"
    assert org["Status"]["IsLogging"] is True
    legacy = data[OTHER]["trails"][0]
    assert legacy["Status"]["IsLogging"] is False
    assert legacy["KmsKeyId"] == "alias/legacy"
    assert ctx.errors == []


def test_event_selectors_are_kept_as_aws_returns_them(ctx: Context, session: boto3.Session,
                                                      bucket: str) -> None:
    make_trail(session, REGION, "basic-trail")
    make_trail(session, REGION, "advanced-trail")
    client = session.client("cloudtrail", region_name=REGION)
    client.put_event_selectors(TrailName="basic-trail", EventSelectors=[
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
    advanced: Any = [{"Name": "management", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}]}]
    client.put_event_selectors(TrailName="advanced-trail", AdvancedEventSelectors=advanced)

    got = {t["Name"]: t for t in cloudtrail.collect(ctx)["trails"]}

    assert got["basic-trail"]["EventSelectors"] == [
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    assert got["advanced-trail"]["AdvancedEventSelectors"] == advanced
    assert not got["advanced-trail"]["EventSelectors"]


def test_denied_trail_status_leaves_only_status_absent(ctx: Context, session: boto3.Session,
                                                       bucket: str, deny: Callable[..., None]) -> None:
    arn = make_trail(session, REGION, "org-trail", multi=True)
    deny("GetTrailStatus")

    (trail,) = cloudtrail.collect(ctx)["trails"]

    assert "Status" not in trail
    assert trail["_errors"] == {"Status": "AccessDenied"}
    assert "EventSelectors" in trail
    assert ctx.errors == [{"service": "cloudtrail", "region": REGION, "operation": "GetTrailStatus",
                           "resource": arn, "code": "AccessDenied", "message": "injected AccessDenied"}]


def test_denied_event_selectors_leave_both_selector_keys_absent(
        ctx: Context, session: boto3.Session, bucket: str, deny: Callable[..., None]) -> None:
    make_trail(session, REGION, "org-trail", multi=True)
    deny("GetEventSelectors", code="ThrottlingException", status=400)

    (trail,) = cloudtrail.collect(ctx)["trails"]

    assert "EventSelectors" not in trail and "AdvancedEventSelectors" not in trail
    assert trail["_errors"] == {"EventSelectors": "ThrottlingException",
                                "AdvancedEventSelectors": "ThrottlingException"}
    assert trail["Status"]["IsLogging"] is True
    assert [e["operation"] for e in ctx.errors] == ["GetEventSelectors"]


def test_denied_describe_trails_leaves_the_collection_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeTrails")

    data = cloudtrail.collect(ctx)

    assert "trails" not in data
    assert data["_errors"] == {"trails": "AccessDenied"}
    assert ctx.errors[0]["operation"] == "DescribeTrails"


def test_organization_trail_seen_from_a_member_account(ctx: Context) -> None:
    """moto has no organization trails: AWS's answer for a member account is stubbed."""
    org_arn = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org-trail"
    client = boto3.client("cloudtrail", region_name=REGION)
    stub = Stubber(client)
    home = {"Name": "org-trail", "TrailARN": org_arn, "HomeRegion": REGION, "IsMultiRegionTrail": True,
            "IsOrganizationTrail": True, "S3BucketName": "org-logs", "LogFileValidationEnabled": True}
    shadow = {**home, "Name": "other", "TrailARN": org_arn.replace("eu-west-1", OTHER), "HomeRegion": OTHER}
    stub.add_response("describe_trails", {"trailList": [home, shadow]}, {"includeShadowTrails": True})
    stub.add_response("get_trail_status", {"IsLogging": True}, {"Name": org_arn})
    stub.add_response("get_event_selectors", {"TrailARN": org_arn, "AdvancedEventSelectors": [
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}, {"TrailName": org_arn})
    ctx._clients[("cloudtrail", REGION)] = client

    with stub:
        data = cloudtrail.collect(ctx)

    stub.assert_no_pending_responses()
    (trail,) = data["trails"]
    assert trail["_arn"] == org_arn
    assert trail["EventSelectors"] is None  # AWS left it out: advanced selectors are in use
    snapshot = {"accounts": {ACCOUNT: {"regions": {REGION: {"cloudtrail": data}}}}}
    (finding,) = evaluate(snapshot, [cloudtrail_multi_region_trail_logging])
    assert finding.status is Status.PASS


def test_collected_trails_evaluate_to_findings(ctx: Context, session: boto3.Session, bucket: str) -> None:
    make_trail(session, REGION, "org-trail", multi=True, EnableLogFileValidation=True)
    make_trail(session, OTHER, "secure-trail", KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/abc")
    snapshot = {"accounts": {ACCOUNT: {"regions": {r: {"cloudtrail": d} for r, d in by_region(ctx).items()}}}}

    findings = evaluate(snapshot, [cloudtrail_multi_region_trail_logging, cloudtrail_trail_kms_encrypted,
                                   cloudtrail_log_file_validation_enabled])

    got = {(f.check_id, f.resource.rsplit("/", 1)[-1]): f.status for f in findings}
    assert got == {
        ("cloudtrail_log_file_validation_enabled", "org-trail"): Status.PASS,
        ("cloudtrail_log_file_validation_enabled", "secure-trail"): Status.FAIL,
        ("cloudtrail_multi_region_trail_logging", f"arn:aws:iam::{ACCOUNT}:root"): Status.PASS,
        ("cloudtrail_trail_kms_encrypted", "org-trail"): Status.FAIL,
        ("cloudtrail_trail_kms_encrypted", "secure-trail"): Status.PASS,
    }


def test_stopped_trail_fails_multi_region_logging(ctx: Context, session: boto3.Session, bucket: str) -> None:
    make_trail(session, REGION, "org-trail", multi=True, start=False)
    snapshot = {"accounts": {ACCOUNT: {"regions": {r: {"cloudtrail": d} for r, d in by_region(ctx).items()}}}}

    (finding,) = evaluate(snapshot, [cloudtrail_multi_region_trail_logging])

    assert finding.status is Status.FAIL
    assert finding.evidence["trails"][0]["IsLogging"] is False


def test_actions_are_read_only() -> None:
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in cloudtrail.ACTIONS)
    assert cloudtrail.PRODUCES == ("trails",)
