"""ec2 collector: the network picture of one region (security groups, VPCs, NACLs, flow logs, instances).

Every listing is one paginated Describe* call for the whole region: no per-resource
follow-up calls are needed, so a failed listing leaves only its own collection absent.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json


class Listing(NamedTuple):
    operation: str  # boto3 paginator name
    key: str  # collection name in the snapshot (what checks name in `over=`)
    result_key: str  # list in each page
    iam_action: str
    arn_type: str  # ARN resource type: arn:...:ec2:REGION:OWNER:{arn_type}/{id}
    id_field: str
    nested: str | None = None  # the resources sit one level down (Reservations -> Instances)
    optional: tuple[str, ...] = ()  # fields AWS omits when unset: stored as None, not left absent


LISTINGS = (
    Listing("describe_security_groups", "security_groups", "SecurityGroups", "ec2:DescribeSecurityGroups",
            "security-group", "GroupId"),
    Listing("describe_vpcs", "vpcs", "Vpcs", "ec2:DescribeVpcs", "vpc", "VpcId"),
    Listing("describe_network_acls", "network_acls", "NetworkAcls", "ec2:DescribeNetworkAcls",
            "network-acl", "NetworkAclId"),
    # Flow logs carry no OwnerId; they belong to the scanned account.
    Listing("describe_flow_logs", "flow_logs", "FlowLogs", "ec2:DescribeFlowLogs", "vpc-flow-log",
            "FlowLogId"),
    # Interfaces show what is in use (Lambda, RDS, load balancers have no instance): which VPCs
    # carry traffic and which security groups are attached to anything.
    Listing("describe_network_interfaces", "network_interfaces", "NetworkInterfaces",
            "ec2:DescribeNetworkInterfaces", "network-interface", "NetworkInterfaceId"),
    # AWS leaves IamInstanceProfile and PublicIpAddress out of the response when an instance has
    # none; in the snapshot an absent key means "could not read", so they are stored as None.
    Listing("describe_instances", "instances", "Reservations", "ec2:DescribeInstances", "instance",
            "InstanceId", nested="Instances", optional=("IamInstanceProfile", "PublicIpAddress")),
)

SCOPE = "regional"
PRODUCES: tuple[str, ...] = tuple(listing.key for listing in LISTINGS)
ACTIONS: tuple[str, ...] = tuple(sorted({listing.iam_action for listing in LISTINGS}))


def _resources(listing: Listing, items: list[Json]) -> list[tuple[Json, str | None]]:
    """(resource, owner account from its parent or itself) pairs, flattened when nested."""
    if listing.nested is None:
        return [(item, item.get("OwnerId")) for item in items]
    return [(child, parent.get("OwnerId")) for parent in items for child in parent.get(listing.nested, [])]


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("ec2")
    data: Json = {}
    for listing in LISTINGS:
        items = call(ctx, client, listing.operation, into=data, key=listing.key, paginate=listing.result_key)
        if items is ABSENT:
            continue
        resources = []
        for resource, owner in _resources(listing, items):
            for field in listing.optional:
                resource.setdefault(field, None)
            resource["_arn"] = ctx.arn("ec2", f"{listing.arn_type}/{resource[listing.id_field]}",
                                       account=owner or ctx.account)
            resources.append(resource)
        data[listing.key] = resources
    return data
