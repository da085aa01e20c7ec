"""logs collector against moto: every metric filter of the region, a stable id, a denied listing."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from awsaudit.collect import logs
from awsaudit.collect._call import Context
from tests.conftest import ACCOUNT, REGION

PATTERN = '{ ($.eventName = CreateTrail) || ($.eventName = StopLogging) }'


def test_metric_filters_of_every_log_group(ctx: Context, session: boto3.Session) -> None:
    client = session.client("logs", region_name=REGION)
    for group in ("acme-cloudtrail", "acme-app"):
        client.create_log_group(logGroupName=group)
    client.put_metric_filter(logGroupName="acme-cloudtrail", filterName="trail-changes",
                             filterPattern=PATTERN,
                             metricTransformations=[{"metricName": "CloudTrailConfigChanges",
                                                     "metricNamespace": "CISBenchmark", "metricValue": "1"}])
    client.put_metric_filter(logGroupName="acme-app", filterName="errors", filterPattern="ERROR",
                             metricTransformations=[{"metricName": "Errors", "metricNamespace": "Acme",
                                                     "metricValue": "1"}])

    data = logs.collect(ctx)

    got = {f["filterName"]: f for f in data["metric_filters"]}
    assert set(got) == {"trail-changes", "errors"}
    trail = got["trail-changes"]
    assert trail["logGroupName"] == "acme-cloudtrail"
    assert trail["filterPattern"] == PATTERN
    assert trail["metricTransformations"][0]["metricName"] == "CloudTrailConfigChanges"
    assert trail["_arn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:acme-cloudtrail:metric-filter/trail-changes")
    assert ctx.errors == []


def test_no_filters_is_an_empty_list(ctx: Context) -> None:
    assert logs.collect(ctx) == {"metric_filters": []}


def test_denied_listing_leaves_the_collection_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeMetricFilters")

    data = logs.collect(ctx)

    assert data == {"_errors": {"metric_filters": "AccessDenied"}}
    assert ctx.errors == [{"service": "logs", "region": REGION, "operation": "DescribeMetricFilters",
                           "resource": ACCOUNT, "code": "AccessDenied", "message": "injected AccessDenied"}]
