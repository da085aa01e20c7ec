"""Acme Corp's S3 estate for `awsaudit demo`: mostly sound buckets, a few classic mistakes.

What an audit should find here: a legacy asset bucket made public with an ACL, a website bucket
opened with a `Principal: *` policy, a backup bucket in Frankfurt without default encryption,
and account-level Block Public Access never switched on. The internal artifacts bucket has a
`Principal: *` statement that is pinned to a VPC endpoint, which is not public, but its KMS
default can be bypassed with an SSE-S3 header. The billing exports bucket is the model: HTTPS
only, SSE-KMS enforced by its policy, Block Public Access, versioning, access logging. Macie was
enabled in the home region during the GDPR project, not in the other regions holding buckets.
The CloudTrail bucket (acme-cloudtrail-logs-ACCOUNT) belongs to the logging demo; nobody turned
on server access logging for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3

SSE_S3: Any = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
SSE_KMS: Any = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                           "BucketKeyEnabled": True}]}
ALL_BLOCKED: Any = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True}


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    us = "us-east-1" if "us-east-1" in regions else home
    frankfurt = "eu-central-1" if "eu-central-1" in regions else home

    logs = _bucket(session, "acme-s3-access-logs", home, encryption=SSE_S3, block=ALL_BLOCKED)
    logs.put_bucket_policy(Bucket="acme-s3-access-logs", Policy=_policy({
        "Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::acme-s3-access-logs/*",
    }))

    # Legacy: product images served straight from S3 since 2016, opened with a canned ACL.
    assets = _bucket(session, "acme-prod-assets", home, encryption=SSE_S3)
    assets.put_bucket_ownership_controls(  # ACLs are disabled (BucketOwnerEnforced) unless re-enabled
        Bucket="acme-prod-assets", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    assets.put_bucket_acl(Bucket="acme-prod-assets", ACL="public-read")
    _access_log(assets, "acme-prod-assets")

    # Marketing site: public on purpose, but through a bucket policy instead of CloudFront.
    website = _bucket(session, "acme-website", us, encryption=SSE_S3)
    website.put_bucket_website(Bucket="acme-website", WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}})
    website.put_bucket_policy(Bucket="acme-website", Policy=_policy({
        "Sid": "PublicReadForWebsite", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-website/*",
    }))

    billing = _bucket(session, "acme-billing-exports", home, encryption=SSE_KMS, block=ALL_BLOCKED)
    billing.put_bucket_versioning(Bucket="acme-billing-exports",
                                  VersioningConfiguration={"Status": "Enabled"})
    _access_log(billing, "acme-billing-exports")
    billing.put_bucket_policy(Bucket="acme-billing-exports", Policy=_policy(
        _https_only("acme-billing-exports"),
        {"Sid": "DenySseS3Uploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::acme-billing-exports/*",
         "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}},
    ))

    # Build artifacts, readable only through the VPC endpoint of the CI runners' VPC.
    artifacts = _bucket(session, "acme-internal-artifacts", home, encryption=SSE_KMS)
    artifacts.put_bucket_policy(Bucket="acme-internal-artifacts", Policy=_policy({
        "Sid": "ReadFromCiVpcEndpointOnly", "Effect": "Allow", "Principal": "*",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::acme-internal-artifacts", "arn:aws:s3:::acme-internal-artifacts/*"],
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
    }))

    # Nightly database dumps, created by a script that never set default encryption.
    backups = _bucket(session, "acme-backups-eu", frankfurt, block=ALL_BLOCKED)
    backups.put_bucket_versioning(Bucket="acme-backups-eu", VersioningConfiguration={"Status": "Enabled"})
    backups.delete_bucket_encryption(Bucket="acme-backups-eu")  # as an old bucket, before SSE-S3 by default

    _bucket(session, "acme-staging-uploads", home, encryption=SSE_S3, block=ALL_BLOCKED)
    # Account-level Block Public Access stays off: it would break the website and the asset bucket.

    # Macie runs where the GDPR project looked (home); moto starts it everywhere, so switch it off
    # in the other regions, as they are in Acme's account.
    for region in regions[1:]:
        session.client("macie2", region_name=region).disable_macie()


def _bucket(session: boto3.Session, name: str, region: str, *, encryption: Any = None,
            block: Any = None) -> Any:
    client: Any = session.client("s3", region_name=region)  # typed stubs reject a str region
    if region == "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    client.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
        {"Key": "owner", "Value": "platform"}, {"Key": "cost-center", "Value": "acme-ops"}]})
    if encryption is not None:
        client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=encryption)
    if block is not None:
        client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    return client


def _https_only(name: str) -> Any:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def _access_log(client: Any, name: str) -> None:
    client.put_bucket_logging(Bucket=name, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "acme-s3-access-logs", "TargetPrefix": f"{name}/"}})


def _policy(*statements: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
