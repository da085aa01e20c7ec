"""RDS collector: database instances and clusters of the region (CIS 3.2: encryption, patching,
exposure, Multi-AZ).

Clusters come along because an Aurora (or Multi-AZ DB cluster) instance reports `MultiAZ: false`
on itself: its availability is the cluster's, which DescribeDBClusters holds. Both listings
also return Neptune and DocumentDB resources, which share the RDS API and the same settings.
"""

from __future__ import annotations

from typing import NamedTuple

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json


class Listing(NamedTuple):
    operation: str  # boto3 paginator name
    key: str  # collection name in the snapshot
    result_key: str
    iam_action: str
    arn_field: str  # the resource's own ARN field
    arn_type: str  # ARN resource type, for answers that lack the ARN field: arn:...:rds:R:A:{type}:{id}
    id_field: str


LISTINGS = (
    Listing("describe_db_instances", "db_instances", "DBInstances", "rds:DescribeDBInstances",
            "DBInstanceArn", "db", "DBInstanceIdentifier"),
    Listing("describe_db_clusters", "db_clusters", "DBClusters", "rds:DescribeDBClusters",
            "DBClusterArn", "cluster", "DBClusterIdentifier"),
)

SCOPE = "regional"
PRODUCES: tuple[str, ...] = tuple(listing.key for listing in LISTINGS)
ACTIONS: tuple[str, ...] = tuple(sorted(listing.iam_action for listing in LISTINGS))


def collect(ctx: Context) -> Json:
    client = ctx.client("rds")
    data: Json = {}
    for listing in LISTINGS:
        items = call(ctx, client, listing.operation, into=data, key=listing.key, paginate=listing.result_key)
        if items is ABSENT:
            continue
        for item in items:
            item["_arn"] = item.get(listing.arn_field) or ctx.arn(
                "rds", f"{listing.arn_type}:{item[listing.id_field]}")
    return data
