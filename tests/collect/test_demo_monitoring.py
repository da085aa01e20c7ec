"""The demo's alerting, collected for real: the outcomes the story in demo/monitoring.py promises."""

from __future__ import annotations

import time

import boto3

from awsaudit.checks import evaluate, load_all
from awsaudit.collect import cloudtrail, cloudwatch, logs, sns
from awsaudit.collect._call import Context
from awsaudit.demo import logging, monitoring
from awsaudit.model import Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
SERVICES = (cloudtrail, logs, cloudwatch, sns)


def test_demo_monitoring_outcomes(ctx: Context, session: boto3.Session) -> None:
    logging.build(session, REGIONS)
    started = time.monotonic()
    monitoring.build(session, REGIONS)
    assert time.monotonic() - started < 3

    regions = {r: {s.__name__.rsplit(".", 1)[-1]: s.collect(ctx.for_region(r)) for s in SERVICES}
               for r in REGIONS}
    assert ctx.errors == []
    checks = [c for c in load_all().values() if c.func.__module__ == "awsaudit.checks.monitoring.alarms"
              or c.id == "cloudtrail_trail_cloudwatch_logs_delivery"]
    findings = evaluate({"accounts": {ACCOUNT: {"account_id": ACCOUNT, "regions": regions}}}, checks)
    found = {(f.check_id, f.resource.rsplit("/", 1)[-1]): (f.status, f.message) for f in findings}
    root = f"arn:aws:iam::{ACCOUNT}:root"

    def outcome(check_id: str, resource: str = root) -> tuple[Status, str]:
        return found[(check_id, resource.rsplit("/", 1)[-1])]

    for check_id in ("cloudwatch_alarm_unauthorized_api_calls", "cloudwatch_alarm_root_usage",
                     "cloudwatch_alarm_iam_policy_changes"):
        assert outcome(check_id)[0] is Status.PASS, outcome(check_id)
    expected_failures = {
        "cloudwatch_alarm_cloudtrail_changes": "does not catch StopLogging",
        "cloudwatch_alarm_console_auth_failures": "no CloudWatch alarm in eu-west-1 watches its metric",
        "cloudwatch_alarm_security_group_changes": "SNS topic acme-network-alerts, notified by alarm "
                                                   "acme-SecurityGroupChanges, has no confirmed subscription",
        "cloudwatch_alarm_s3_bucket_policy_changes": "has its actions disabled",
        "cloudwatch_alarm_vpc_changes": "No metric filter on log group aws-cloudtrail-logs-acme-org catches",
    }
    for check_id, text in expected_failures.items():
        status, message = outcome(check_id)
        assert status is Status.FAIL and text in message, (check_id, message)
    assert outcome("cloudtrail_trail_cloudwatch_logs_delivery", "acme-org-trail")[0] is Status.PASS
    assert outcome("cloudtrail_trail_cloudwatch_logs_delivery", "acme-security-trail")[0] is Status.FAIL
    assert {s for s, _ in found.values()} == {Status.PASS, Status.FAIL}
