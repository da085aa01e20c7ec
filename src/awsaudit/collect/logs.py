"""CloudWatch Logs collector: every metric filter of the region, in one paginated listing.

DescribeMetricFilters without a log group name lists the filters of all log groups, so the
monitoring checks can find the filters on a trail's log group without a call per group.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("metric_filters",)
ACTIONS: tuple[str, ...] = ("logs:DescribeMetricFilters",)


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("logs")
    data: Json = {}
    filters = call(ctx, client, "describe_metric_filters", into=data, key="metric_filters",
                   paginate="metricFilters")
    if filters is ABSENT:
        return data
    for metric_filter in filters:
        # Metric filters have no ARN of their own; this one is stable and names the log group.
        metric_filter["_arn"] = ctx.arn(
            "logs", f"log-group:{metric_filter['logGroupName']}:metric-filter/{metric_filter['filterName']}")
    return data
