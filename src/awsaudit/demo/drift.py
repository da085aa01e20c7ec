"""What happens at Acme between two audits: the change set `awsaudit demo --drift` applies.

Realistic and each one visible to a different part of the audit: a bucket opened to the world
for a quick file share, SSH opened to the internet on the restricted bastion "for a minute",
the billing read-only policy widened to all of S3, and a leaver's user deleted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

import boto3

PUBLIC_BUCKET = "acme-internal-artifacts"
OPENED_GROUP = "acme-bastion-restricted"
EDITED_POLICY = "acme-billing-readonly"
DELETED_USER = "dave.okafor"


def apply(session: boto3.Session, regions: Sequence[str]) -> list[str]:
    """Apply the change set to the simulated account; returns what was changed, in words."""
    s3 = session.client("s3", region_name=regions[0])
    s3.delete_public_access_block(Bucket=PUBLIC_BUCKET)
    s3.put_bucket_policy(Bucket=PUBLIC_BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TemporaryPartnerShare", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{PUBLIC_BUCKET}/*"}]}))

    ec2 = session.client("ec2", region_name=regions[0])
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [OPENED_GROUP]}])
    ec2.authorize_security_group_ingress(GroupId=group["SecurityGroups"][0]["GroupId"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "temporary: vendor support"}]}])

    iam = session.client("iam")
    arn = next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]
               if p["PolicyName"] == EDITED_POLICY)
    iam.create_policy_version(PolicyArn=arn, SetAsDefault=True, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ce:Get*", "ce:Describe*", "budgets:View*", "cur:Describe*"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))

    _delete_user(iam, DELETED_USER)
    return [f"S3 bucket {PUBLIC_BUCKET}: Block Public Access removed, policy allows anyone to read",
            f"security group {OPENED_GROUP}: SSH (22) opened to 0.0.0.0/0",
            f"IAM policy {EDITED_POLICY}: new default version adds s3:* on *",
            f"IAM user {DELETED_USER}: deleted (left the company)"]


def _delete_user(c: Any, name: str) -> None:
    """Delete a user the way AWS requires: keys, login profile, MFA, groups and policies first."""
    for key in c.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        c.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with contextlib.suppress(c.exceptions.NoSuchEntityException):
        c.delete_login_profile(UserName=name)
    for device in c.list_mfa_devices(UserName=name)["MFADevices"]:
        c.deactivate_mfa_device(UserName=name, SerialNumber=device["SerialNumber"])
    for group in c.list_groups_for_user(UserName=name)["Groups"]:
        c.remove_user_from_group(GroupName=group["GroupName"], UserName=name)
    for policy in c.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
        c.detach_user_policy(UserName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in c.list_user_policies(UserName=name)["PolicyNames"]:
        c.delete_user_policy(UserName=name, PolicyName=policy_name)
    c.delete_user(UserName=name)
