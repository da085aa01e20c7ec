"""Acme's member accounts for `awsaudit demo`: what the Organization scan finds beyond the
management account.

- **acme-prod** (Workloads/Prod) runs the customer-facing product: an uploads bucket a developer
  opened with a `Principal: *` policy "for the mobile app", and a security group for a support
  bastion open to SSH from anywhere.
- **acme-staging** (Workloads/Staging) is fairly clean: a private, encrypted bucket with Block
  Public Access, a security group that takes HTTPS from the office only.
- **acme-security** (Security) removed `OrganizationAccountAccessRole` when the security team
  took it over (it audits with roles of its own that this auditor was never given): the scan
  cannot assume a role there, so the account is reported *not assessed*, with AssumeRole's
  AccessDenied, and the rest of the Organization is audited.

Organizations creates `OrganizationAccountAccessRole` (trusting the management account, with
AdministratorAccess) in each account it creates; moto creates the role and its trust but no
permissions, so build() gives it an inline policy allowing everything (the member accounts are
created without AWS managed policies, see account.py), and deletes it in acme-security. moto
lets any role be assumed, existing or not: member_session() answers AccessDenied when the role
does not exist, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

import boto3
from botocore.exceptions import ClientError

ROLE = "OrganizationAccountAccessRole"
WITH_ROLE = ("acme-prod", "acme-staging")
WITHOUT_ROLE = "acme-security"
OFFICE_CIDR = "203.0.113.0/24"  # the network demo's office range (TEST-NET-3)
ALL_BLOCKED: Any = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True}


def member_ids(session: boto3.Session, home: str) -> dict[str, str]:
    """Account name -> id of the organization's accounts."""
    orgs = session.client("organizations", region_name=home)
    return {a["Name"]: a["Id"] for page in orgs.get_paginator("list_accounts").paginate()
            for a in page["Accounts"]}


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    """Create the members' roles and resources (after account.build made the accounts)."""
    home = regions[0]
    ids = member_ids(session, home)
    for name in WITH_ROLE:
        member = assumed(session, ids[name], home)
        member.client("iam").put_role_policy(
            RoleName=ROLE, PolicyName="AdministratorAccess", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        (_prod if name == "acme-prod" else _staging)(member, ids[name], home)
    assumed(session, ids[WITHOUT_ROLE], home).client("iam").delete_role(RoleName=ROLE)


def assumed(session: boto3.Session, account: str, region: str, session_name: str = "acme-setup",
            external_id: str | None = None, role: str = ROLE) -> boto3.Session:
    """A session in the member account, through moto's AssumeRole (which checks nothing)."""
    params: dict[str, Any] = {"RoleArn": f"arn:aws:iam::{account}:role/{role}",
                              "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    creds = session.client("sts", region_name=region).assume_role(**params)["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


def _bucket(member: boto3.Session, name: str, region: str) -> Any:
    s3 = member.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration=cast(Any, {"LocationConstraint": region}))
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    return s3


def _prod(member: boto3.Session, account: str, home: str) -> None:
    uploads = f"acme-prod-customer-uploads-{account}"
    s3 = _bucket(member, uploads, home)
    s3.put_bucket_policy(Bucket=uploads, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "MobileAppDownloads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{uploads}/*"}]}))
    ec2: Any = member.client("ec2", region_name=home)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="acme-prod-support-bastion", VpcId=vpc,
                                      Description="Support bastion (temporary, 2023)")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "support staff working from home"}]}])


def _staging(member: boto3.Session, account: str, home: str) -> None:
    artifacts = f"acme-staging-artifacts-{account}"
    s3 = _bucket(member, artifacts, home)
    s3.put_public_access_block(Bucket=artifacts, PublicAccessBlockConfiguration=ALL_BLOCKED)
    s3.put_bucket_versioning(Bucket=artifacts, VersioningConfiguration={"Status": "Enabled"})
    ec2: Any = member.client("ec2", region_name=home)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="acme-staging-web", VpcId=vpc,
                                      Description="Staging web: HTTPS from the office")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": OFFICE_CIDR, "Description": "Acme office"}]}])


def member_session(base: boto3.Session, role_arn: str, region: str, session_name: str,
                   external_id: str | None) -> boto3.Session:
    """The auditor's session on a member account's role, or AssumeRole's AccessDenied, as AWS
    answers when the role does not exist (moto would hand out credentials for any role)."""
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[1]
    member = assumed(base, account, region, session_name, external_id, name)
    try:
        member.client("iam").get_role(RoleName=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        caller = base.client("sts", region_name=region).get_caller_identity()["Arn"]
        denied: Any = {"Error": {"Code": "AccessDenied", "Message": (
            f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")},
            "ResponseMetadata": {"HTTPStatusCode": 403}}
        raise ClientError(denied, "AssumeRole") from None
    return member
