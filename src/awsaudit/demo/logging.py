"""Acme's CloudTrail setup: a company-wide trail done mostly right, and a security team trail.

The company-wide trail covers every region with log file validation, but its logs were never
moved to the KMS key created for them (a typical LOG-3 finding). The security team's own trail in
us-east-1 is KMS-encrypted but was created without log file validation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import boto3

from awsaudit.model import Json

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import BucketLocationConstraintType

ORG_TRAIL = "acme-org-trail"
SECURITY_TRAIL = "acme-security-trail"
SECURITY_PREFIX = "security"


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home, security_region = regions[0], regions[1]
    account = session.client("sts", region_name=home).get_caller_identity()["Account"]
    bucket = f"acme-cloudtrail-logs-{account}"
    trail_arns = {
        ORG_TRAIL: f"arn:aws:cloudtrail:{home}:{account}:trail/{ORG_TRAIL}",
        SECURITY_TRAIL: f"arn:aws:cloudtrail:{security_region}:{account}:trail/{SECURITY_TRAIL}",
    }
    _log_bucket(session, home, bucket, account, trail_arns)

    # The key meant for the company-wide trail: created during a hardening sprint, never attached.
    _trail_key(session, home, account, "alias/acme-cloudtrail", trail_arns[ORG_TRAIL])
    home_trails = session.client("cloudtrail", region_name=home)
    home_trails.create_trail(
        Name=ORG_TRAIL, S3BucketName=bucket, IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True, EnableLogFileValidation=True,
        TagsList=[{"Key": "team", "Value": "platform"}],
    )
    home_trails.put_event_selectors(
        TrailName=ORG_TRAIL,
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    home_trails.start_logging(Name=ORG_TRAIL)

    security_key = _trail_key(session, security_region, account, "alias/acme-security-trail",
                              trail_arns[SECURITY_TRAIL])
    security_trails = session.client("cloudtrail", region_name=security_region)
    security_trails.create_trail(
        Name=SECURITY_TRAIL, S3BucketName=bucket, S3KeyPrefix=SECURITY_PREFIX,
        IsMultiRegionTrail=False, IncludeGlobalServiceEvents=True, KmsKeyId=security_key,
        TagsList=[{"Key": "team", "Value": "security"}],
    )
    security_trails.start_logging(Name=SECURITY_TRAIL)


def _log_bucket(session: boto3.Session, region: str, bucket: str, account: str,
                trail_arns: dict[str, str]) -> None:
    """The trail bucket with the policy CloudTrail needs (it checks the bucket ACL, then writes)."""
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":  # the one region that refuses an explicit LocationConstraint
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={
            "LocationConstraint": cast("BucketLocationConstraintType", region)})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    })
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    source = {"aws:SourceArn": sorted(trail_arns.values())}
    policy: Json = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": [f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
                             f"arn:aws:s3:::{bucket}/{SECURITY_PREFIX}/AWSLogs/{account}/*"],
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
            },
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def _trail_key(session: boto3.Session, region: str, account: str, alias: str, trail_arn: str) -> str:
    """A customer-managed key whose policy lets CloudTrail encrypt this trail's logs; returns its ARN."""
    policy: Json = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableAccountAdministration",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowCloudTrailToEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*",
                    },
                },
            },
            {
                "Sid": "AllowCloudTrailToDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            },
        ],
    }
    kms = session.client("kms", region_name=region)
    key = kms.create_key(Description=f"CloudTrail log encryption ({alias.removeprefix('alias/')})",
                         Policy=json.dumps(policy), Tags=[{"TagKey": "purpose", "TagValue": "cloudtrail"}])
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])
    return str(key["KeyMetadata"]["Arn"])
