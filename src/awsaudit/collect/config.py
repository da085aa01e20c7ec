"""AWS Config collector: the region's configuration recorders (with their status), delivery
channels and configuration aggregators.

Config must record in every region (LOG-5, CIS 4.3), and a region without a recorder is itself
the finding. So the region is the resource: one document per region holding AWS's own recorder
and delivery channel lists. Lists of recorders would leave an unrecorded region with nothing
to evaluate, and it would silently drop out of the report.

Aggregators are kept for the organization's view: an organization-wide aggregator (in the
management account or a delegated administrator) gives central visibility of every member
account's Config data, though it records nothing itself.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("region",)
ACTIONS: tuple[str, ...] = (
    "config:DescribeConfigurationAggregators",
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigurationRecorders",
    "config:DescribeDeliveryChannels",
)


def collect(ctx: Context) -> Json:
    # None of the three Describe calls paginates: a region holds one customer-managed recorder
    # and one delivery channel at most, plus a few service-linked recorders.
    client = ctx.client("config")
    region: Json = {"_arn": ctx.arn("config", "region")}
    recorders = call(ctx, client, "describe_configuration_recorders", into=region,
                     key="ConfigurationRecorders", resource=region["_arn"], select="ConfigurationRecorders")
    if recorders is not ABSENT:
        region["ConfigurationRecorders"] = recorders or []
        if recorders:  # no recorder, no status to ask for
            _merge_status(ctx, client, region)
    channels = call(ctx, client, "describe_delivery_channels", into=region, key="DeliveryChannels",
                    resource=region["_arn"], select="DeliveryChannels")
    if channels is not ABSENT:
        region["DeliveryChannels"] = channels or []
    aggregators = call(ctx, client, "describe_configuration_aggregators", into=region,
                       key="ConfigurationAggregators", resource=region["_arn"],
                       paginate="ConfigurationAggregators")
    for aggregator in aggregators if aggregators is not ABSENT else []:
        aggregator["_arn"] = aggregator.get("ConfigurationAggregatorArn")
    return {"region": region}


def _merge_status(ctx: Context, client: Any, region: Json) -> None:
    """Put each recorder's status (recording, lastStatus ...) into the recorder as `Status`.

    A recorder the status call does not mention gets None (AWS reports no status for it); a
    failed status call leaves `Status` absent on every recorder, with the reason.
    """
    got: Json = {}
    statuses = call(ctx, client, "describe_configuration_recorder_status", into=got, key="Status",
                    resource=region["_arn"], select="ConfigurationRecordersStatus")
    for recorder in region["ConfigurationRecorders"]:
        if statuses is ABSENT:
            recorder.setdefault("_errors", {})["Status"] = got["_errors"]["Status"]
            continue
        recorder["Status"] = next((s for s in statuses or [] if s.get("name") == recorder.get("name")), None)
