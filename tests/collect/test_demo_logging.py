"""The demo's CloudTrail setup, collected for real, gives both outcomes for each logging check."""

from __future__ import annotations

import time

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.logging.cloudtrail import (
    cloudtrail_log_file_validation_enabled,
    cloudtrail_multi_region_trail_logging,
    cloudtrail_trail_kms_encrypted,
)
from awsaudit.collect import cloudtrail
from awsaudit.collect._call import Context
from awsaudit.demo import logging as demo
from awsaudit.model import Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
PER_TRAIL = (cloudtrail_trail_kms_encrypted, cloudtrail_log_file_validation_enabled)


def test_demo_logging_yields_pass_and_fail(ctx: Context, session: boto3.Session) -> None:
    started = time.monotonic()
    demo.build(session, REGIONS)
    assert time.monotonic() - started < 5

    regions = {r: {"cloudtrail": cloudtrail.collect(ctx.for_region(r))} for r in REGIONS}
    assert ctx.errors == []
    findings = evaluate({"accounts": {ACCOUNT: {"regions": regions}}},
                        [cloudtrail_multi_region_trail_logging, *PER_TRAIL])

    statuses = {(f.check_id, f.resource.rsplit("/", 1)[-1]): f.status for f in findings}
    for check in PER_TRAIL:
        assert {s for (cid, _), s in statuses.items() if cid == check.id} == {Status.PASS, Status.FAIL}
    assert statuses[("cloudtrail_trail_kms_encrypted", "acme-org-trail")] is Status.FAIL
    assert statuses[("cloudtrail_trail_kms_encrypted", "acme-security-trail")] is Status.PASS
    assert statuses[("cloudtrail_log_file_validation_enabled", "acme-org-trail")] is Status.PASS
    assert statuses[("cloudtrail_log_file_validation_enabled", "acme-security-trail")] is Status.FAIL
    # Account-level: Acme does have a company-wide trail, the realistic outcome is PASS.
    assert statuses[("cloudtrail_multi_region_trail_logging", f"arn:aws:iam::{ACCOUNT}:root")] is Status.PASS


def test_demo_trail_bucket_and_keys(session: boto3.Session) -> None:
    demo.build(session, REGIONS)

    bucket = f"acme-cloudtrail-logs-{ACCOUNT}"
    s3 = session.client("s3")
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGIONS[0]
    assert "cloudtrail.amazonaws.com" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    aliases = {r: {a["AliasName"] for a in session.client("kms", region_name=r).list_aliases()["Aliases"]}
               for r in REGIONS[:2]}
    assert "alias/acme-cloudtrail" in aliases[REGIONS[0]]
    assert "alias/acme-security-trail" in aliases[REGIONS[1]]
