"""ec2 collector: the network picture of one region (security groups, VPCs and their routing,
NACLs, flow logs, endpoints, instances) and the region's EBS default encryption.

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
    owner: tuple[str, ...] = ("OwnerId",)  # path to the owning account (of the parent when nested)


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
    # Routing: which subnets reach the internet, a NAT, a transit gateway or a peered VPC.
    Listing("describe_subnets", "subnets", "Subnets", "ec2:DescribeSubnets", "subnet", "SubnetId"),
    Listing("describe_route_tables", "route_tables", "RouteTables", "ec2:DescribeRouteTables",
            "route-table", "RouteTableId"),
    Listing("describe_internet_gateways", "internet_gateways", "InternetGateways",
            "ec2:DescribeInternetGateways", "internet-gateway", "InternetGatewayId"),
    # NAT gateways carry no OwnerId: they sit in the scanned account's own subnets.
    Listing("describe_nat_gateways", "nat_gateways", "NatGateways", "ec2:DescribeNatGateways",
            "natgateway", "NatGatewayId"),
    # An attachment names two owners (of the gateway, of the attached resource); it is listed in
    # the account that scans it, under that account.
    Listing("describe_transit_gateway_attachments", "transit_gateway_attachments",
            "TransitGatewayAttachments", "ec2:DescribeTransitGatewayAttachments",
            "transit-gateway-attachment", "TransitGatewayAttachmentId", owner=()),
    # Both sides list a peering connection; it belongs to the requester, as its ARN does.
    Listing("describe_vpc_peering_connections", "vpc_peering_connections", "VpcPeeringConnections",
            "ec2:DescribeVpcPeeringConnections", "vpc-peering-connection", "VpcPeeringConnectionId",
            owner=("RequesterVpcInfo", "OwnerId")),
    Listing("describe_vpc_endpoints", "vpc_endpoints", "VpcEndpoints", "ec2:DescribeVpcEndpoints",
            "vpc-endpoint", "VpcEndpointId"),
    # Security groups and routes may name a managed prefix list instead of CIDRs; what it lets in
    # is its entries (one GetManagedPrefixListEntries per list, below). AWS-managed lists (S3,
    # CloudFront) are owned by "AWS": they are listed under the scanned account.
    Listing("describe_managed_prefix_lists", "prefix_lists", "PrefixLists", "ec2:DescribeManagedPrefixLists",
            "prefix-list", "PrefixListId", owner=()),
)

EBS = "ebs"
"""The region's EBS settings: one dict, {"_arn", "EbsEncryptionByDefault": bool}."""

SCOPE = "regional"
PRODUCES: tuple[str, ...] = (*(listing.key for listing in LISTINGS), EBS)
ACTIONS: tuple[str, ...] = tuple(sorted({*(listing.iam_action for listing in LISTINGS),
                                         "ec2:GetEbsEncryptionByDefault", "ec2:GetManagedPrefixListEntries"}))


def _owner(item: Json, path: tuple[str, ...]) -> str | None:
    value: Any = item
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if path and isinstance(value, str) else None


def _resources(listing: Listing, items: list[Json]) -> list[tuple[Json, str | None]]:
    """(resource, owner account from its parent or itself) pairs, flattened when nested."""
    if listing.nested is None:
        return [(item, _owner(item, listing.owner)) for item in items]
    return [(child, _owner(parent, listing.owner))
            for parent in items for child in parent.get(listing.nested, [])]


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
    for prefix_list in data.get("prefix_lists", []):
        _prefix_list_entries(ctx, client, prefix_list)
    data[EBS] = _ebs(ctx, client)
    return data


def _prefix_list_entries(ctx: Context, client: Any, prefix_list: Json) -> None:
    """A prefix list's CIDRs, stored as its `Entries` (absent, with the error, if unreadable)."""
    entries = call(ctx, client, "get_managed_prefix_list_entries", into=prefix_list, key="Entries",
                   resource=prefix_list["_arn"], paginate="Entries", PrefixListId=prefix_list["PrefixListId"])
    if entries is not ABSENT:
        kept = {"Cidr", "Description"}
        prefix_list["Entries"] = [{k: v for k, v in e.items() if k in kept} for e in entries]


def _ebs(ctx: Context, client: Any) -> Json:
    """EBS default encryption is a per-region account setting; it has no ARN of its own, so the
    finding names the setting under the region and account."""
    ebs: Json = {"_arn": ctx.arn("ec2", "ebs-encryption-by-default")}
    call(ctx, client, "get_ebs_encryption_by_default", into=ebs, key="EbsEncryptionByDefault",
         resource=ebs["_arn"], select="EbsEncryptionByDefault")
    return ebs
