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


LISTINGS = (
    Listing("describe_db_instances", "db_instances", "DBInstances", "rds:DescribeDBInstances",
            "DBInstanceArn"),
    Listing("describe_db_clusters", "db_clusters", "DBClusters", "rds:DescribeDBClusters", "DBClusterArn"),
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
            item["_arn"] = item[listing.arn_field]
    return data
