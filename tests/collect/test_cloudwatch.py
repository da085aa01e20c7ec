"""cloudwatch collector against moto: metric alarms with their metric and actions, a denied listing."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from awsaudit.collect import cloudwatch
from awsaudit.collect._call import Context
from tests.conftest import ACCOUNT, REGION

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-security-alerts"


def test_alarms_keep_metric_and_actions(ctx: Context, session: boto3.Session) -> None:
    client = session.client("cloudwatch", region_name=REGION)
    for name, actions in (("root-usage", [TOPIC]), ("web-cpu", [])):
        client.put_metric_alarm(AlarmName=name, MetricName=name, Namespace="CISBenchmark", Statistic="Sum",
                                Period=300, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=actions)

    data = cloudwatch.collect(ctx)

    got = {a["AlarmName"]: a for a in data["alarms"]}
    assert set(got) == {"root-usage", "web-cpu"}
    root = got["root-usage"]
    assert (root["MetricName"], root["Namespace"]) == ("root-usage", "CISBenchmark")
    assert root["AlarmActions"] == [TOPIC]
    assert root["ActionsEnabled"] is True
    assert root["_arn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:root-usage"
    assert isinstance(root["StateUpdatedTimestamp"], str)  # plain JSON
    assert ctx.errors == []


def test_denied_listing_leaves_the_collection_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeAlarms", code="ThrottlingException", status=400)

    data = cloudwatch.collect(ctx)

    assert data == {"_errors": {"alarms": "ThrottlingException"}}
    assert [(e["service"], e["operation"]) for e in ctx.errors] == [("cloudwatch", "DescribeAlarms")]
