"""CloudTrail collector: the trails homed in a region, with their logging status and event selectors.

Each trail is collected once per account, in its home region. DescribeTrails is asked for shadow
trails too (its default), and only those whose HomeRegion is this region are kept: a multi-region
trail then appears exactly once, and so does an organization trail seen from a member account,
which `includeShadowTrails=False` would hide (the member account would look unlogged).
See https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("trails",)
ACTIONS: tuple[str, ...] = (
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetTrailStatus",
)

SELECTOR_KEYS = ("EventSelectors", "AdvancedEventSelectors")
OMITTED_WHEN_UNSET = ("KmsKeyId", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn")
"""DescribeTrails leaves these out when they are not configured; we store None (not configured)."""


def collect(ctx: Context) -> Json:
    client = ctx.client("cloudtrail")
    data: Json = {}
    # DescribeTrails has no pagination: one response holds every trail visible in the region.
    listed = call(ctx, client, "describe_trails", into=data, key="trails", select="trailList",
                  includeShadowTrails=True)
    if listed is ABSENT:
        return data
    data["trails"] = [_trail(ctx, client, t) for t in listed or [] if t.get("HomeRegion") == ctx.region]
    return data


def _trail(ctx: Context, client: Any, trail: Json) -> Json:
    # Follow-up calls use the ARN: a name resolves only against the caller's own account, so an
    # organization trail seen from a member account would be "not found" by name.
    arn = str(trail["TrailARN"])
    trail["_arn"] = arn
    for key in OMITTED_WHEN_UNSET:
        trail.setdefault(key, None)
    call(ctx, client, "get_trail_status", into=trail, key="Status", resource=arn, Name=arn)
    got: Json = {}
    response = call(ctx, client, "get_event_selectors", into=got, key="selectors", resource=arn,
                    TrailName=arn)
    for key in SELECTOR_KEYS:
        if response is ABSENT:
            trail.setdefault("_errors", {})[key] = got["_errors"]["selectors"]
        else:
            # A trail uses either basic or advanced selectors; the other key is left out: None.
            trail[key] = response.get(key)
    return trail
