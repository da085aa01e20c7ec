"""Collectors: one module per AWS service, each a function `collect(ctx) -> Json`.

COLLECTORS is the table the scanner runs. Each entry says whether the service is
global (collected once, from the home region) or regional, which collections it
produces (checks name them in `over=`), and the read-only IAM actions it calls
(from which the least-privilege policy for the scan is derived).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from awsaudit.collect import cloudtrail, ec2, iam, s3
from awsaudit.collect._call import Context
from awsaudit.model import Json


@dataclass(frozen=True, slots=True)
class Collector:
    service: str
    scope: str  # "global" or "regional"
    func: Callable[[Context], Json]
    produces: tuple[str, ...]
    actions: tuple[str, ...]


COLLECTORS: dict[str, Collector] = {
    c.service: c
    for c in (
        Collector("iam", "global", iam.collect, iam.PRODUCES, iam.ACTIONS),
        Collector("s3", "global", s3.collect, s3.PRODUCES, s3.ACTIONS),
        Collector("ec2", "regional", ec2.collect, ec2.PRODUCES, ec2.ACTIONS),
        Collector("cloudtrail", "regional", cloudtrail.collect, cloudtrail.PRODUCES, cloudtrail.ACTIONS),
    )
}


def required_actions() -> list[str]:
    """Every IAM action the collectors may call: the scan's least-privilege policy."""
    base = {"sts:GetCallerIdentity", "ec2:DescribeRegions"}
    return sorted(base.union(*(c.actions for c in COLLECTORS.values())))


def collector_policy() -> Json:
    """The IAM policy document granting exactly what the collectors call."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AwsauditReadOnly", "Effect": "Allow", "Action": required_actions(), "Resource": "*"}
        ],
    }
