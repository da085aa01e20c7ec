"""S3 checks, as a table of cases built in memory."""

from __future__ import annotations

import pytest

from awsaudit.checks.s3.buckets import (
    s3_account_public_access_block,
    s3_bucket_default_encryption,
    s3_bucket_denies_unencrypted_uploads,
    s3_bucket_no_public_read,
    s3_bucket_public_access_block,
)
from awsaudit.model import Status
from tests.checks.cases import Case

FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
BLOCKED = dict.fromkeys(FIELDS, True)
OPEN = dict.fromkeys(FIELDS, False)
IGNORE_ACLS = {**OPEN, "IgnorePublicAcls": True}
RESTRICT_POLICY = {**OPEN, "RestrictPublicBuckets": True}

OWNER = {"Grantee": {"ID": "abc123", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
ALL_USERS = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "Permission": "READ"}
AUTH_USERS_FULL = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
                   "Permission": "FULL_CONTROL"}
ALL_USERS_WRITE_ACP = {**ALL_USERS, "Permission": "WRITE_ACP"}
LOG_DELIVERY = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
                "Permission": "READ"}
PRIVATE_ACL = {"Owner": {"ID": "abc123"}, "Grants": [OWNER]}


def acl(*grants: dict[str, object]) -> dict[str, object]:
    return {"Owner": {"ID": "abc123"}, "Grants": [OWNER, *grants]}


PUBLIC_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
VPCE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
     "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b"}}}]}
WILDCARD_POLICY = {"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:*",
                                 "Resource": "*"}}
PUBLIC_WRITE_POLICY = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                                      "Resource": "*"}]}

SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                     "BucketKeyEnabled": False}]}
SSE_KMS = {"Rules": [{"ApplyServerSideEncryptionByDefault": {
    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:eu-west-1:123456789012:key/1234"}}]}


HEADER = "s3:x-amz-server-side-encryption"


def deny_put(condition: object, action: str = "s3:PutObject",
             resource: object = ("arn:aws:s3:::b/*",)) -> object:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": action,
        "Resource": list(resource) if isinstance(resource, tuple) else resource, "Condition": condition}]}


def upload(encryption: object, policy: object = None) -> dict[str, object]:
    return {"Name": "b", "_arn": "arn:aws:s3:::b", "Encryption": encryption, "Policy": policy}


def bucket(block: dict[str, bool] | None = OPEN, acl_: object = PRIVATE_ACL, policy: object = None,
           **extra: object) -> dict[str, object]:
    out: dict[str, object] = {"Name": "b", "Acl": acl_, "Policy": policy, **extra}
    if block is not None:
        out["EffectivePublicAccessBlock"] = block
    return out


CASES = [
    # s3_bucket_default_encryption
    Case(s3_bucket_default_encryption, Status.PASS, "sse-s3", {"Encryption": SSE_S3}),
    Case(s3_bucket_default_encryption, Status.PASS, "sse-kms", {"Encryption": SSE_KMS}),
    Case(s3_bucket_default_encryption, Status.FAIL, "not-configured", {"Encryption": None}),
    Case(s3_bucket_default_encryption, Status.FAIL, "no-default-rule",
         {"Encryption": {"Rules": [{"BucketKeyEnabled": True}]}}),
    Case(s3_bucket_default_encryption, Status.UNKNOWN, "denied",
         {"Name": "b", "_errors": {"Encryption": "AccessDenied"}}),
    # s3_bucket_no_public_read
    Case(s3_bucket_no_public_read, Status.PASS, "private", bucket()),
    Case(s3_bucket_no_public_read, Status.PASS, "blocked-despite-public-acl-and-policy",
         bucket(BLOCKED, acl(ALL_USERS), PUBLIC_POLICY)),
    Case(s3_bucket_no_public_read, Status.PASS, "blocked-needs-neither-acl-nor-policy",
         {"EffectivePublicAccessBlock": BLOCKED,
          "_errors": {"Acl": "AccessDenied", "Policy": "AccessDenied"}}),
    Case(s3_bucket_no_public_read, Status.PASS, "vpce-restricted-policy", bucket(policy=VPCE_POLICY)),
    Case(s3_bucket_no_public_read, Status.PASS, "public-write-policy-is-not-read",
         bucket(policy=PUBLIC_WRITE_POLICY)),
    Case(s3_bucket_no_public_read, Status.PASS, "log-delivery-grant", bucket(acl_=acl(LOG_DELIVERY))),
    Case(s3_bucket_no_public_read, Status.PASS, "all-users-write-acp-only",
         bucket(acl_=acl(ALL_USERS_WRITE_ACP))),
    Case(s3_bucket_no_public_read, Status.PASS, "public-acl-ignored", bucket(IGNORE_ACLS, acl(ALL_USERS))),
    Case(s3_bucket_no_public_read, Status.PASS, "public-policy-restricted",
         bucket(RESTRICT_POLICY, policy=PUBLIC_POLICY)),
    Case(s3_bucket_no_public_read, Status.FAIL, "acl-all-users", bucket(acl_=acl(ALL_USERS))),
    Case(s3_bucket_no_public_read, Status.FAIL, "acl-authenticated-users", bucket(acl_=acl(AUTH_USERS_FULL))),
    Case(s3_bucket_no_public_read, Status.FAIL, "policy-principal-star", bucket(policy=PUBLIC_POLICY)),
    Case(s3_bucket_no_public_read, Status.FAIL, "policy-aws-star-list-s3-star",
         bucket(policy=WILDCARD_POLICY)),
    Case(s3_bucket_no_public_read, Status.FAIL, "acls-ignored-but-policy-public",
         bucket(IGNORE_ACLS, acl(ALL_USERS), PUBLIC_POLICY)),
    Case(s3_bucket_no_public_read, Status.FAIL, "policy-restricted-but-acl-public",
         bucket(RESTRICT_POLICY, acl(ALL_USERS), PUBLIC_POLICY)),
    Case(s3_bucket_no_public_read, Status.UNKNOWN, "block-not-derived",
         bucket(None, _errors={
             "EffectivePublicAccessBlock": "account PublicAccessBlock not collected: AccessDenied"})),
    Case(s3_bucket_no_public_read, Status.UNKNOWN, "acl-denied",
         {"EffectivePublicAccessBlock": OPEN, "Policy": None, "_errors": {"Acl": "AccessDenied"}}),
    Case(s3_bucket_no_public_read, Status.UNKNOWN, "policy-denied",
         {"EffectivePublicAccessBlock": OPEN, "Acl": PRIVATE_ACL, "_errors": {"Policy": "AccessDenied"}}),
    # s3_account_public_access_block
    Case(s3_account_public_access_block, Status.PASS, "all-on", {"PublicAccessBlock": BLOCKED}),
    Case(s3_account_public_access_block, Status.FAIL, "not-configured", {"PublicAccessBlock": None}),
    Case(s3_account_public_access_block, Status.FAIL, "partly-on", {"PublicAccessBlock": IGNORE_ACLS}),
    Case(s3_account_public_access_block, Status.UNKNOWN, "denied",
         {"_errors": {"PublicAccessBlock": "AccessDenied"}}),
    # s3_bucket_public_access_block (CIS 3.1.4, per bucket)
    Case(s3_bucket_public_access_block, Status.PASS, "own-all-on", {"PublicAccessBlock": BLOCKED}),
    Case(s3_bucket_public_access_block, Status.PASS, "own-all-on-account-unknown",
         {"PublicAccessBlock": BLOCKED, "_errors": {"EffectivePublicAccessBlock": "account: AccessDenied"}}),
    Case(s3_bucket_public_access_block, Status.PASS, "through-account",
         {"PublicAccessBlock": None, "EffectivePublicAccessBlock": BLOCKED}),
    Case(s3_bucket_public_access_block, Status.FAIL, "none",
         {"PublicAccessBlock": None, "EffectivePublicAccessBlock": OPEN}),
    Case(s3_bucket_public_access_block, Status.FAIL, "partly-on",
         {"PublicAccessBlock": IGNORE_ACLS,
          "EffectivePublicAccessBlock": {**IGNORE_ACLS, "BlockPublicAcls": True}}),
    Case(s3_bucket_public_access_block, Status.UNKNOWN, "bucket-denied",
         {"_errors": {"PublicAccessBlock": "AccessDenied"}}),
    Case(s3_bucket_public_access_block, Status.UNKNOWN, "account-unknown",
         {"PublicAccessBlock": None, "_errors": {"EffectivePublicAccessBlock": "account: AccessDenied"}}),
    # s3_bucket_denies_unencrypted_uploads (hardening beyond S3-1)
    Case(s3_bucket_denies_unencrypted_uploads, Status.PASS, "sse-s3-default", upload(SSE_S3)),
    Case(s3_bucket_denies_unencrypted_uploads, Status.PASS, "kms-default-kms-only-policy",
         upload(SSE_KMS, deny_put({"StringNotEquals": {HEADER: "aws:kms"}}))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.PASS, "kms-default-sse-s3-denied",
         upload(SSE_KMS, deny_put({"StringEquals": {HEADER: ["AES256"]}}, resource="arn:aws:s3:::b/*"))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.PASS, "no-default-null-deny",
         upload(None, deny_put({"Null": {HEADER: "true"}}))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.PASS, "no-default-not-equals-deny",
         upload(None, deny_put({"StringNotEqualsIfExists": {HEADER: ["AES256", "aws:kms"]}}, action="s3:*"))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "kms-default-no-policy", upload(SSE_KMS)),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "kms-default-null-deny-only",
         upload(SSE_KMS, deny_put({"Null": {HEADER: "true"}}))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "kms-default-policy-allows-aes",
         upload(SSE_KMS, deny_put({"StringNotEquals": {HEADER: ["aws:kms", "AES256"]}}))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "kms-default-deny-for-one-prefix",
         upload(SSE_KMS, deny_put({"StringNotEquals": {HEADER: "aws:kms"}}, resource="arn:aws:s3:::b/in/*"))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "kms-default-deny-narrowed",
         upload(SSE_KMS, deny_put({"StringNotEquals": {HEADER: "aws:kms"},
                                   "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "no-default-no-policy", upload(None)),
    Case(s3_bucket_denies_unencrypted_uploads, Status.FAIL, "no-default-deny-on-get-only",
         upload(None, deny_put({"Null": {HEADER: "true"}}, action="s3:GetObject"))),
    Case(s3_bucket_denies_unencrypted_uploads, Status.UNKNOWN, "policy-denied",
         {"Encryption": SSE_KMS, "_errors": {"Policy": "AccessDenied"}}),
    Case(s3_bucket_denies_unencrypted_uploads, Status.UNKNOWN, "encryption-denied",
         {"Policy": None, "_errors": {"Encryption": "AccessDenied"}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_messages_and_evidence() -> None:
    outcome = s3_bucket_no_public_read.evaluate(bucket(acl_=acl(AUTH_USERS_FULL)))
    assert outcome.message == "ACL grants FULL_CONTROL to AuthenticatedUsers"
    assert outcome.evidence == [AUTH_USERS_FULL]

    outcome = s3_bucket_no_public_read.evaluate(bucket(policy=PUBLIC_POLICY))
    assert outcome.evidence == PUBLIC_POLICY["Statement"]

    outcome = s3_bucket_no_public_read.evaluate(
        bucket(None, _errors={"EffectivePublicAccessBlock": "account x"}))
    assert "EffectivePublicAccessBlock" in outcome.message and "account x" in outcome.message

    outcome = s3_account_public_access_block.evaluate({"PublicAccessBlock": IGNORE_ACLS})
    assert outcome.message.endswith("BlockPublicAcls, BlockPublicPolicy, RestrictPublicBuckets")
    assert outcome.evidence == IGNORE_ACLS

    outcome = s3_bucket_default_encryption.evaluate({"Encryption": SSE_KMS})
    assert "aws:kms" in outcome.message and "key/1234" in outcome.message
    assert outcome.evidence == SSE_KMS


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_result_has_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource)
    assert outcome.status is Status.UNKNOWN or outcome.evidence is not None


def test_bucket_block_and_upload_messages() -> None:
    outcome = s3_bucket_public_access_block.evaluate(
        {"PublicAccessBlock": IGNORE_ACLS, "EffectivePublicAccessBlock": IGNORE_ACLS})
    assert outcome.message == ("Block Public Access is partly on for the bucket; off (bucket and account): "
                               "BlockPublicAcls, BlockPublicPolicy, RestrictPublicBuckets")
    outcome = s3_bucket_denies_unencrypted_uploads.evaluate(upload(SSE_KMS))
    assert "AES256 bypasses the key" in outcome.message
    assert outcome.evidence == {"DefaultEncryption": "aws:kms", "DenyStatements": []}


@pytest.mark.parametrize("algorithm", ["AES256", "aws:kms", "aws:kms:dsse"])
def test_s3_1_is_met_by_default_encryption_alone(algorithm: str) -> None:
    """SSE-S3, SSE-KMS and DSSE-KMS all meet S3-1; the KMS-only upload policy is hardening outside it."""
    from awsaudit.frameworks import control_checks, controls_by_check  # noqa: PLC0415

    assert control_checks("baseline", "S3-1") == ["s3_bucket_default_encryption"]
    assert "baseline" not in controls_by_check().get("s3_bucket_denies_unencrypted_uploads", {})
    bucket = upload({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]})
    assert s3_bucket_default_encryption.evaluate(bucket).status is Status.PASS
