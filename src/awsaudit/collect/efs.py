"""EFS collector: the region's file systems (CIS 3.3.1: encryption at rest).

DescribeFileSystems returns everything the checks need, including `Encrypted` and `KmsKeyId`,
so there are no per-file-system calls.
"""

from __future__ import annotations

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("file_systems",)
ACTIONS: tuple[str, ...] = ("elasticfilesystem:DescribeFileSystems",)


def collect(ctx: Context) -> Json:
    data: Json = {}
    systems = call(ctx, ctx.client("efs"), "describe_file_systems", into=data, key="file_systems",
                   paginate="FileSystems")
    if systems is not ABSENT:
        for system in systems:
            # FileSystemArn is in every current answer; older endpoints (and some emulators) omit it.
            system["_arn"] = system.get("FileSystemArn") or ctx.arn(
                "elasticfilesystem", f"file-system/{system['FileSystemId']}", account=system.get("OwnerId"))
    return data
