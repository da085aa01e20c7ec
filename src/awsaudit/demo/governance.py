"""Acme's governance services for `awsaudit demo`: AWS Config, KMS keys, Security Hub.

What an audit should find here: AWS Config set up properly in the home region only (recording
everything, global IAM types included, delivered to a private bucket); in Virginia a legacy
recorder that records just EC2 and was stopped; nothing in Frankfurt. Security Hub is on in the
home region only. Of Acme's application keys, the data key rotates and the legacy payments key
never did; the JWT signing key is asymmetric, so rotation does not apply. (The CloudTrail keys
of the logging demo are collected too: they do not rotate.)

moto does not implement IAM Access Analyzer (every call answers 404). simulate() answers
ListAnalyzers on the scan's session as AWS would for Acme: the security team's account analyzer
in the home region, none elsewhere (the same way account.py answers what moto lacks). Without
it, the demo reports Access Analyzer UNKNOWN in every region, with the 404 as the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from awsaudit.model import Json

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import BucketLocationConstraintType

CONFIG_ROLE = "role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
ANALYZER = "acme-security-account-analyzer"


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    account = session.client("sts", region_name=home).get_caller_identity()["Account"]
    bucket = f"acme-config-history-{account}"
    _config_bucket(session, home, bucket, account)
    everything = {"allSupported": True, "includeGlobalResourceTypes": True}
    _recorder(session, home, account, bucket, group=everything)
    if len(regions) > 1:
        # Set up by hand for an EC2 inventory project in 2021, then stopped to save cost.
        _recorder(session, regions[1], account, bucket, start=False, group={
            "allSupported": False, "includeGlobalResourceTypes": False,
            "resourceTypes": ["AWS::EC2::Instance", "AWS::EC2::SecurityGroup"],
            "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
        })

    session.client("securityhub", region_name=home).enable_security_hub(
        EnableDefaultStandards=True, Tags={"team": "security"})

    kms: Any = session.client("kms", region_name=home)
    data_key = kms.create_key(Description="acme-app customer data (envelope encryption)",
                              Tags=[{"TagKey": "team", "TagValue": "platform"}])["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=data_key)
    kms.create_alias(AliasName="alias/acme-app-data", TargetKeyId=data_key)
    legacy = kms.create_key(Description="acme payments card vault (legacy, 2019)",
                            Tags=[{"TagKey": "team", "TagValue": "payments"}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/acme-payments-legacy", TargetKeyId=legacy)
    signing = kms.create_key(Description="acme-api JWT signing", KeySpec="RSA_2048",
                             KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/acme-jwt-signing", TargetKeyId=signing)


def _recorder(session: boto3.Session, region: str, account: str, bucket: str, *, group: Json,
              start: bool = True) -> None:
    config: Any = session.client("config", region_name=region)
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{account}:{CONFIG_ROLE}", "recordingGroup": group})
    config.put_delivery_channel(DeliveryChannel={
        "name": "default", "s3BucketName": bucket, "s3KeyPrefix": region,
        "configSnapshotDeliveryProperties": {"deliveryFrequency": "TwentyFour_Hours"}})
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def _config_bucket(session: boto3.Session, region: str, bucket: str, account: str) -> None:
    """The delivery bucket, private and encrypted, with the policy AWS Config needs to write to it."""
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":  # the one region that refuses an explicit LocationConstraint
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={
            "LocationConstraint": cast("BucketLocationConstraintType", region)})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    source = {"StringEquals": {"AWS:SourceAccount": account}}
    config = {"Service": "config.amazonaws.com"}
    policy: Json = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSConfigBucketPermissionsCheck", "Effect": "Allow", "Principal": config,
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": source},
        {"Sid": "AWSConfigBucketDelivery", "Effect": "Allow", "Principal": config, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*/AWSLogs/{account}/Config/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "AWS:SourceAccount": account}}},
    ]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def simulate(session: boto3.Session, analyzer: bool = True) -> None:
    """Answer ListAnalyzers on this session as AWS would for Acme: one active analyzer, in the
    session's region (the home region), or none (`analyzer=False`: a member account); call it
    before the scan makes its clients."""
    home = session.region_name
    wanted = analyzer
    account = session.client("sts", region_name=home).get_caller_identity()["Account"]
    analyzer_doc: Json = {
        "arn": f"arn:aws:access-analyzer:{home}:{account}:analyzer/{ANALYZER}", "name": ANALYZER,
        "type": "ACCOUNT", "status": "ACTIVE", "createdAt": dt.datetime(2023, 3, 14, 9, 30, tzinfo=dt.UTC),
        "lastResourceAnalyzed": f"arn:aws:s3:::acme-config-history-{account}",
        "lastResourceAnalyzedAt": dt.datetime(2025, 1, 6, 7, 12, tzinfo=dt.UTC),
        "tags": {"team": "security"},
    }

    def list_analyzers(request_signer: Any, **_: Any) -> tuple[AWSResponse, Json]:
        found = [analyzer_doc] if wanted and request_signer.region_name == home else []
        return AWSResponse("https://demo.invalid/", 200, HTTPHeaders(), None), {
            "analyzers": found, "ResponseMetadata": {"HTTPStatusCode": 200}}

    session.events.register("before-call.accessanalyzer.ListAnalyzers", cast(Any, list_analyzers))
