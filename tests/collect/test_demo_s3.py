"""The S3 part of `awsaudit demo`: built in moto, collected, evaluated: every check finds something."""

from __future__ import annotations

import time

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.logging import cloudtrail as trail_checks
from awsaudit.checks.s3 import buckets as s3_checks
from awsaudit.checks.s3 import hardening
from awsaudit.collect import cloudtrail, macie2, s3
from awsaudit.collect._call import Context
from awsaudit.demo import logging as demo_logging
from awsaudit.demo import s3 as demo_s3
from awsaudit.model import Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
CHECKS = [s3_checks.s3_bucket_default_encryption, s3_checks.s3_bucket_no_public_read,
          s3_checks.s3_account_public_access_block, s3_checks.s3_bucket_public_access_block,
          s3_checks.s3_bucket_denies_unencrypted_uploads, hardening.s3_bucket_denies_http,
          hardening.s3_bucket_mfa_delete_enabled, hardening.s3_macie_data_discovery,
          hardening.s3_bucket_configuration_reviewed, trail_checks.cloudtrail_bucket_access_logging,
          trail_checks.cloudtrail_bucket_not_public, trail_checks.cloudtrail_s3_object_write_events_logged,
          trail_checks.cloudtrail_s3_object_read_events_logged]
TRAIL_BUCKET = f"acme-cloudtrail-logs-{ACCOUNT}"


def test_demo_has_failures_and_passes(session: boto3.Session) -> None:
    started = time.monotonic()
    demo_s3.build(session, REGIONS)
    assert time.monotonic() - started < 5
    demo_logging.build(session, REGIONS)  # the trail bucket and its trails (the logging demo's)

    ctx = Context(session, ACCOUNT, REGIONS[0])
    regions = {r: {"macie2": macie2.collect(ctx.for_region(r)),
                   "cloudtrail": cloudtrail.collect(ctx.for_region(r))} for r in REGIONS}
    snapshot = {"partition": "aws", "accounts": {ACCOUNT: {
        "global": {"s3": s3.collect(ctx)}, "regions": regions, "errors": ctx.errors}}}
    assert ctx.errors == []
    findings = evaluate(snapshot, CHECKS)
    status = {(f.check_id, f.resource.removeprefix("arn:aws:s3:::")): f.status for f in findings}

    def failing(check: object) -> set[str]:
        """This demo's failing buckets (the trail bucket belongs to the logging demo)."""
        return {name for (cid, name), s in status.items()
                if cid == getattr(check, "id", "") and s is Status.FAIL and name != TRAIL_BUCKET}

    assert failing(s3_checks.s3_bucket_no_public_read) == {"acme-prod-assets", "acme-website"}
    assert status["s3_bucket_no_public_read", "acme-internal-artifacts"] is Status.PASS  # vpce-bound
    assert status["s3_bucket_no_public_read", "acme-billing-exports"] is Status.PASS
    assert failing(s3_checks.s3_bucket_default_encryption) == {"acme-backups-eu"}
    assert status["s3_bucket_default_encryption", "acme-billing-exports"] is Status.PASS
    assert status["s3_account_public_access_block", f"arn:aws:s3::{ACCOUNT}:account"] is Status.FAIL

    # CIS 3.1.4 per bucket: the account setting is off, so only the buckets' own settings count.
    assert failing(s3_checks.s3_bucket_public_access_block) == {
        "acme-prod-assets", "acme-website", "acme-internal-artifacts"}
    # S3-1, second half: the KMS default of the artifacts bucket can be bypassed; billing's cannot.
    assert failing(s3_checks.s3_bucket_denies_unencrypted_uploads) == {
        "acme-internal-artifacts", "acme-backups-eu"}
    assert status["s3_bucket_denies_unencrypted_uploads", "acme-billing-exports"] is Status.PASS
    # CIS 3.1.1: only the billing exports bucket refuses plain HTTP.
    assert {n for (c, n), s in status.items() if c == "s3_bucket_denies_http" and s is Status.PASS} == {
        "acme-billing-exports"}
    # CIS 3.1.2: moto does not keep MFADelete, so every bucket fails (as in most real accounts).
    assert {s for (c, _), s in status.items() if c == "s3_bucket_mfa_delete_enabled"} == {Status.FAIL}
    # CIS 3.1.3: Macie runs in the home region only, and there are buckets elsewhere.
    macie, *regions_off = [f for f in findings if f.check_id == "s3_macie_data_discovery"]
    assert macie.status is Status.FAIL
    assert sorted(f.region for f in regions_off) == ["eu-central-1", "us-east-1"]
    assert macie.evidence["MacieStatus"] == {"eu-west-1": "ENABLED", "us-east-1": "not enabled",
                                             "eu-central-1": "not enabled"}
    # S3-3: no scan history yet.
    assert {s for (c, _), s in status.items() if c == "s3_bucket_configuration_reviewed"} == {Status.UNKNOWN}

    # LOG-2 / CIS 4.4: the trail bucket is private but nobody turned on its access logging.
    trails = {f.check_id: f for f in findings if f.resource.endswith("trail/acme-org-trail")}
    assert trails["cloudtrail_bucket_access_logging"].status is Status.FAIL
    assert trails["cloudtrail_bucket_access_logging"].message == (
        f"Server access logging is off on trail bucket {TRAIL_BUCKET}")
    assert trails["cloudtrail_bucket_not_public"].status is Status.PASS
    # CIS 4.8 / 4.9: the company-wide trail records management events only.
    account = {f.check_id: f.status for f in findings if f.resource == f"arn:aws:iam::{ACCOUNT}:root"}
    assert account["cloudtrail_s3_object_write_events_logged"] is Status.FAIL
    assert account["cloudtrail_s3_object_read_events_logged"] is Status.FAIL
