"""Security Hub collector: whether the hub is enabled in the region.

The region's hub is one document per region, so a region where Security Hub is off is still
a resource the check reports on. DescribeHub answers InvalidAccessException ("not subscribed to
AWS Security Hub") when the hub is off; that is a real answer, stored as `Hub: None`. An IAM
denial is AccessDeniedException and stays an error.
https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_DescribeHub.html
"""

from __future__ import annotations

from awsaudit.collect._call import Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("hub",)
ACTIONS: tuple[str, ...] = ("securityhub:DescribeHub",)

NOT_ENABLED = frozenset({"InvalidAccessException", "ResourceNotFoundException"})


def collect(ctx: Context) -> Json:
    hub: Json = {"_arn": ctx.arn("securityhub", "hub/default")}
    call(ctx, ctx.client("securityhub"), "describe_hub", into=hub, key="Hub", resource=hub["_arn"],
         unset=NOT_ENABLED)
    return {"hub": hub}
