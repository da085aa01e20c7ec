"""s3 collector against moto: bucket documents, account Block Public Access, and recorded failures."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from moto.server import ThreadedMotoServer

from awsaudit.checks import evaluate
from awsaudit.checks.s3 import buckets as s3_checks
from awsaudit.collect import s3
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT, REGION

BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
PUBLIC_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::acme-website/*"}]}


def make_bucket(session: boto3.Session, name: str, region: str) -> Any:
    client = session.client("s3", region_name=region)
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return client


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["Name"]: b for b in data["buckets"]}


def fake_response(operation: str, response: dict[str, Any]) -> Callable[..., Any]:
    """A _make_api_call that answers `operation` with `response` and passes the rest to moto."""
    original = BaseClient._make_api_call

    def fake(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        if operation_name == operation:
            return response
        return original(self, operation_name, api_params)

    return fake


def test_bucket_documents(session: boto3.Session, ctx: Context) -> None:
    home = make_bucket(session, "acme-website", REGION)
    home.put_bucket_policy(Bucket="acme-website", Policy=json.dumps(PUBLIC_POLICY))
    home.put_bucket_encryption(Bucket="acme-website", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    home.put_public_access_block(Bucket="acme-website", PublicAccessBlockConfiguration=BLOCK_ALL)
    home.put_bucket_versioning(Bucket="acme-website", VersioningConfiguration={"Status": "Enabled"})
    home.put_bucket_ownership_controls(Bucket="acme-website", OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    make_bucket(session, "acme-logs", REGION).put_bucket_policy(Bucket="acme-logs", Policy=json.dumps({
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
                       "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-logs/*"}]}))
    home.put_bucket_logging(Bucket="acme-website", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "acme-logs", "TargetPrefix": "website/"}})
    make_bucket(session, "acme-us", "us-east-1")
    make_bucket(session, "acme-backups-eu", "eu-central-1")

    data = s3.collect(ctx)

    buckets = by_name(data)
    assert set(buckets) == {"acme-website", "acme-logs", "acme-us", "acme-backups-eu"}
    site = buckets["acme-website"]
    assert site["_arn"] == "arn:aws:s3:::acme-website"
    assert site["_region"] == REGION
    assert site["Policy"] == PUBLIC_POLICY  # parsed from the JSON string
    assert site["PolicyStatus"] == {"IsPublic": True}
    assert site["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert site["PublicAccessBlock"] == BLOCK_ALL
    assert site["Versioning"]["Status"] == "Enabled"
    assert site["Logging"] == {"TargetBucket": "acme-logs", "TargetPrefix": "website/"}
    assert site["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert isinstance(site["CreationDate"], str)
    assert site["Acl"]["Grants"][0]["Permission"] == "FULL_CONTROL"

    # "Not configured" answers are None, never absent.
    bare = buckets["acme-backups-eu"]
    assert bare["_region"] == "eu-central-1"
    for key in ("Policy", "PolicyStatus", "PublicAccessBlock", "Encryption", "Logging", "OwnershipControls"):
        assert bare[key] is None, key
    assert "_errors" not in bare
    assert buckets["acme-us"]["_region"] == "us-east-1"  # LocationConstraint None

    assert data["account"] == {"_arn": f"arn:aws:s3::{ACCOUNT}:account", "PublicAccessBlock": None}
    assert ctx.errors == []
    json.dumps(data)  # plain JSON


def test_account_public_access_block(session: boto3.Session, ctx: Context) -> None:
    session.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    assert s3.collect(ctx) == {"buckets": [], "account": {
        "_arn": f"arn:aws:s3::{ACCOUNT}:account", "PublicAccessBlock": BLOCK_ALL}}


def test_legacy_eu_location(session: boto3.Session, ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(session, "acme-old", REGION)
    monkeypatch.setattr(BaseClient, "_make_api_call",
                        fake_response("GetBucketLocation", {"LocationConstraint": "EU"}))
    [bucket] = s3.collect(ctx)["buckets"]
    assert bucket["_region"] == "eu-west-1"


def test_denied_part_is_absent_and_recorded(session: boto3.Session, ctx: Context,
                                            deny: Callable[..., None]) -> None:
    make_bucket(session, "acme-secret", REGION)
    deny("GetBucketAcl")
    [bucket] = s3.collect(ctx)["buckets"]
    assert "Acl" not in bucket
    assert bucket["_errors"] == {"Acl": "AccessDenied"}
    assert bucket["Policy"] is None  # the other parts still collected
    assert ctx.errors == [{
        "service": "s3", "region": REGION, "operation": "GetBucketAcl",
        "resource": "arn:aws:s3:::acme-secret", "code": "AccessDenied", "message": "injected AccessDenied",
    }]


def test_denied_public_access_block_bucket_and_account(session: boto3.Session, ctx: Context,
                                                       deny: Callable[..., None]) -> None:
    make_bucket(session, "acme-secret", REGION)
    deny("GetPublicAccessBlock")  # the operation name of both S3 and S3 Control
    data = s3.collect(ctx)
    assert "PublicAccessBlock" not in data["buckets"][0]
    assert data["account"]["_errors"] == {"PublicAccessBlock": "AccessDenied"}
    assert {(e["service"], e["resource"]) for e in ctx.errors} == {
        ("s3", "arn:aws:s3:::acme-secret"), ("s3control", f"arn:aws:s3::{ACCOUNT}:account")}


def test_denied_listing_leaves_the_collection_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("ListBuckets")
    data = s3.collect(ctx)
    assert "buckets" not in data
    assert data["_errors"] == {"buckets": "AccessDenied"}
    assert data["account"]["PublicAccessBlock"] is None
    assert [e["operation"] for e in ctx.errors] == ["ListBuckets"]


def test_denied_location_still_collects_from_home_region(session: boto3.Session, ctx: Context,
                                                         deny: Callable[..., None]) -> None:
    make_bucket(session, "acme-somewhere", REGION)
    deny("GetBucketLocation")
    [bucket] = s3.collect(ctx)["buckets"]
    assert "_region" not in bucket
    assert bucket["_errors"] == {"_region": "AccessDenied"}
    assert bucket["Acl"]["Grants"]


def test_malformed_policy_is_recorded(session: boto3.Session, ctx: Context,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket(session, "acme-odd", REGION)
    monkeypatch.setattr(BaseClient, "_make_api_call",
                        fake_response("GetBucketPolicy", {"Policy": "{not json"}))
    [bucket] = s3.collect(ctx)["buckets"]
    assert "Policy" not in bucket
    assert bucket["_errors"] == {"Policy": "MalformedPolicy"}
    assert ctx.errors[0]["code"] == "MalformedPolicy"


def test_actions_are_read_only() -> None:
    assert list(s3.ACTIONS) == sorted(s3.ACTIONS)
    assert all(a.split(":")[1].startswith(("Get", "List")) for a in s3.ACTIONS)
    assert {"s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock", "s3:GetEncryptionConfiguration"} <= set(
        s3.ACTIONS)
    assert s3.PRODUCES == ("buckets", "account")


@pytest.fixture
def moto_server(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        server.stop()


def test_account_block_through_a_custom_endpoint(moto_server: str) -> None:
    """S3 Control puts the account id in front of the host, also for 127.0.0.1: the collector strips it."""
    session = boto3.Session(region_name=REGION)
    control = session.client("s3control", region_name=REGION)
    s3._strip_account_prefix_on_custom_endpoint(control, ACCOUNT)  # the setup needs the fix as well
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    make_bucket(session, "acme-server", "eu-central-1")
    ctx = Context(session, ACCOUNT, REGION)
    data = s3.collect(ctx)
    data = s3.collect(ctx)  # the cached client keeps a single handler
    assert ctx.errors == []
    assert data["account"]["PublicAccessBlock"] == BLOCK_ALL
    assert by_name(data)["acme-server"]["_region"] == "eu-central-1"


def test_collect_then_evaluate(session: boto3.Session, ctx: Context) -> None:
    make_bucket(session, "acme-website", REGION).put_bucket_policy(
        Bucket="acme-website", Policy=json.dumps(PUBLIC_POLICY))
    private = make_bucket(session, "acme-billing", "eu-central-1")
    private.put_bucket_encryption(Bucket="acme-billing", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    private.put_public_access_block(Bucket="acme-billing", PublicAccessBlockConfiguration=BLOCK_ALL)
    snapshot = {"partition": "aws", "accounts": {ACCOUNT: {
        "global": {"s3": s3.collect(ctx)}, "regions": {}, "errors": ctx.errors}}}

    checks = [s3_checks.s3_bucket_default_encryption, s3_checks.s3_bucket_no_public_read,
              s3_checks.s3_account_public_access_block]
    results = {(f.check_id, f.resource): f for f in evaluate(snapshot, checks)}

    website, billing = "arn:aws:s3:::acme-website", "arn:aws:s3:::acme-billing"
    assert results["s3_bucket_no_public_read", website].status is Status.FAIL
    assert results["s3_bucket_no_public_read", billing].status is Status.PASS
    assert results["s3_bucket_default_encryption", website].status is Status.FAIL
    assert results["s3_bucket_default_encryption", billing].status is Status.PASS
    assert results["s3_bucket_default_encryption", billing].region == "eu-central-1"
    account = results["s3_account_public_access_block", f"arn:aws:s3::{ACCOUNT}:account"]
    assert account.status is Status.FAIL


def test_economy_region_from_listing_and_no_policy_status_without_policy(
    session: boto3.Session, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BucketRegion in ListBuckets spares GetBucketLocation; no policy spares GetBucketPolicyStatus."""
    make_bucket(session, "acme-plain", REGION)
    original = BaseClient._make_api_call
    calls: list[str] = []

    def spy(self: BaseClient, operation: str, params: Any) -> Any:
        calls.append(operation)
        answer = original(self, operation, params)
        if operation == "ListBuckets":
            for listed in answer.get("Buckets", []):
                listed.setdefault("BucketRegion", REGION)
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    [bucket] = s3.collect(ctx)["buckets"]
    assert bucket["_region"] == REGION and bucket["Policy"] is None and bucket["PolicyStatus"] is None
    assert "GetBucketLocation" not in calls and "GetBucketPolicyStatus" not in calls
    assert "GetBucketPolicy" in calls


def test_bucket_tags_let_a_tag_based_mute_match_a_bucket(ctx: Context, session: boto3.Session) -> None:
    """GetBucketTagging is collected; NoSuchTagSet is "no tags", not an error; the mutelist matches."""
    import datetime as dt  # noqa: PLC0415

    from awsaudit.model import Finding, Objective, Severity  # noqa: PLC0415
    from awsaudit.report.mutelist import account_tags, apply, parse  # noqa: PLC0415

    client = make_bucket(session, "acme-sandbox-scratch", REGION)
    client.put_bucket_tagging(Bucket="acme-sandbox-scratch",
                              Tagging={"TagSet": [{"Key": "environment", "Value": "sandbox"}]})
    make_bucket(session, "acme-untagged", REGION)

    data = s3.collect(ctx)

    buckets = by_name(data)
    assert buckets["acme-sandbox-scratch"]["TagSet"] == [{"Key": "environment", "Value": "sandbox"}]
    assert buckets["acme-untagged"]["TagSet"] is None  # NoSuchTagSet: no tags
    assert not [e for e in ctx.errors if e["operation"] == "GetBucketTagging"]
    tags = account_tags({"global": {"s3": data}})
    assert tags["arn:aws:s3:::acme-untagged"] == {}
    findings = [Finding("s3_bucket_mfa_delete_enabled", "t", Status.FAIL, Severity.LOW,
                        Objective.INTEGRITY, "m", ACCOUNT, REGION, f"arn:aws:s3:::{name}")
                for name in ("acme-sandbox-scratch", "acme-untagged")]
    text = "mutes:\n  - check: 's3_*'\n    tags: {environment: sandbox}\n    reason: scratch space\n"
    mutelist = parse(text, "mutes.yaml")
    muted, _ = apply(mutelist, findings, tags, dt.date(2026, 5, 1))
    assert [f.status for f in muted] == [Status.MUTED, Status.FAIL]
