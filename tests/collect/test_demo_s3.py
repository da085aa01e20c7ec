"""The S3 part of `awsaudit demo`: built in moto, collected, evaluated: every check finds something."""

from __future__ import annotations

import time

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks import s3 as s3_checks
from awsaudit.collect import s3
from awsaudit.collect._call import Context
from awsaudit.demo import s3 as demo_s3
from awsaudit.model import Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
CHECKS = [s3_checks.s3_bucket_default_encryption, s3_checks.s3_bucket_no_public_read,
          s3_checks.s3_account_public_access_block]


def test_demo_has_failures_and_passes(session: boto3.Session) -> None:
    started = time.monotonic()
    demo_s3.build(session, REGIONS)
    assert time.monotonic() - started < 5

    ctx = Context(session, ACCOUNT, REGIONS[0])
    snapshot = {"partition": "aws", "accounts": {ACCOUNT: {
        "global": {"s3": s3.collect(ctx)}, "regions": {}, "errors": ctx.errors}}}
    assert ctx.errors == []
    status = {(f.check_id, f.resource.removeprefix("arn:aws:s3:::")): f.status
              for f in evaluate(snapshot, CHECKS)}

    public = {name for (check, name), s in status.items()
              if check == "s3_bucket_no_public_read" and s is Status.FAIL}
    assert public == {"acme-prod-assets", "acme-website"}
    assert status["s3_bucket_no_public_read", "acme-internal-artifacts"] is Status.PASS  # vpce-bound
    assert status["s3_bucket_no_public_read", "acme-billing-exports"] is Status.PASS

    unencrypted = {name for (check, name), s in status.items()
                   if check == "s3_bucket_default_encryption" and s is Status.FAIL}
    assert unencrypted == {"acme-backups-eu"}
    assert status["s3_bucket_default_encryption", "acme-billing-exports"] is Status.PASS

    assert status["s3_account_public_access_block", f"arn:aws:s3::{ACCOUNT}:account"] is Status.FAIL
    # The logging demo owns the trail bucket.
    assert f"acme-cloudtrail-logs-{ACCOUNT}" not in {name for _, name in status}
