"""CloudWatch collector: the region's metric alarms, with their metric and actions.

The monitoring checks follow a metric filter's metric to the alarms watching it and on to the SNS
topics those alarms notify. Composite alarms are not collected: CIS asks for a metric alarm on
each filter's metric, and its actions are what the checks look at.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("alarms",)
ACTIONS: tuple[str, ...] = ("cloudwatch:DescribeAlarms",)


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("cloudwatch")
    data: Json = {}
    alarms = call(ctx, client, "describe_alarms", into=data, key="alarms", paginate="MetricAlarms")
    if alarms is ABSENT:
        return data
    for alarm in alarms:
        alarm["_arn"] = alarm["AlarmArn"]
    return data
