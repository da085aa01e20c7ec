"""The whole alarm chain built in moto, collected by the real collectors and evaluated: PASS, then broken."""

from __future__ import annotations

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.logging.cloudtrail import cloudtrail_trail_cloudwatch_logs_delivery
from awsaudit.checks.monitoring.alarms import (
    IAM_POLICY_CHANGES,
    ROOT_USAGE,
    cloudwatch_alarm_iam_policy_changes,
    cloudwatch_alarm_root_usage,
)
from awsaudit.collect import cloudtrail, cloudwatch, logs, sns
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION

GROUP = "acme-cloudtrail"
CHECKS = (cloudwatch_alarm_iam_policy_changes, cloudwatch_alarm_root_usage,
          cloudtrail_trail_cloudwatch_logs_delivery)


def build_chain(session: boto3.Session) -> str:
    """trail -> log group -> filters -> alarms -> topic -> subscriber; returns the subscription ARN."""
    session.client("s3").create_bucket(Bucket="acme-trail-logs",
                                       CreateBucketConfiguration={"LocationConstraint": REGION})
    log_client = session.client("logs")
    log_client.create_log_group(logGroupName=GROUP)
    group_arn = log_client.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]["arn"]
    trails = session.client("cloudtrail")
    trails.create_trail(Name="acme-org-trail", S3BucketName="acme-trail-logs", IsMultiRegionTrail=True,
                        CloudWatchLogsLogGroupArn=group_arn,
                        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-cloudwatch")
    trails.start_logging(Name="acme-org-trail")
    topic = session.client("sns").create_topic(Name="acme-security-alerts")["TopicArn"]
    for control in (IAM_POLICY_CHANGES, ROOT_USAGE):
        log_client.put_metric_filter(
            logGroupName=GROUP, filterName=control.metric, filterPattern=control.reference,
            metricTransformations=[{"metricName": control.metric, "metricNamespace": "CISBenchmark",
                                    "metricValue": "1"}])
        session.client("cloudwatch").put_metric_alarm(
            AlarmName=control.metric, MetricName=control.metric, Namespace="CISBenchmark", Statistic="Sum",
            Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic])
    subscription: str = session.client("sns").subscribe(
        TopicArn=topic, Protocol="email", Endpoint="security@acme.example")["SubscriptionArn"]
    return subscription


def scan(ctx: Context) -> dict[str, tuple[Status, str]]:
    region: Json = {service.__name__.rsplit(".", 1)[-1]: service.collect(ctx)
                    for service in (cloudtrail, logs, cloudwatch, sns)}
    assert ctx.errors == []
    snapshot = {"accounts": {ACCOUNT: {"account_id": ACCOUNT, "regions": {REGION: region}}}}
    return {f.check_id: (f.status, f.message) for f in evaluate(snapshot, CHECKS)}


def test_complete_chain_passes(ctx: Context, session: boto3.Session) -> None:
    build_chain(session)

    assert {cid: status for cid, (status, _) in scan(ctx).items()} == dict.fromkeys(
        (c.id for c in CHECKS), Status.PASS)


def test_broken_links_fail(ctx: Context, session: boto3.Session) -> None:
    subscription = build_chain(session)
    session.client("sns").unsubscribe(SubscriptionArn=subscription)
    # The IAM filter loses DetachGroupPolicy (moto's PutMetricFilter adds a duplicate instead of
    # replacing the filter, so delete it first).
    session.client("logs").delete_metric_filter(logGroupName=GROUP, filterName=IAM_POLICY_CHANGES.metric)
    session.client("logs").put_metric_filter(
        logGroupName=GROUP, filterName=IAM_POLICY_CHANGES.metric,
        filterPattern=IAM_POLICY_CHANGES.reference.replace(" || ($.eventName = DetachGroupPolicy)", ""),
        metricTransformations=[{"metricName": IAM_POLICY_CHANGES.metric, "metricNamespace": "CISBenchmark",
                                "metricValue": "1"}])

    found = scan(ctx)

    iam_status, iam_message = found[cloudwatch_alarm_iam_policy_changes.id]
    assert iam_status is Status.FAIL and "does not catch DetachGroupPolicy" in iam_message
    root_status, root_message = found[cloudwatch_alarm_root_usage.id]
    assert root_status is Status.FAIL and "has no confirmed subscription" in root_message
    assert found[cloudtrail_trail_cloudwatch_logs_delivery.id][0] is Status.PASS
