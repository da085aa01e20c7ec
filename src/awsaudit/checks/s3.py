"""S3 checks: public exposure and default encryption of buckets, and the account's Block Public Access."""

from __future__ import annotations

from awsaudit.checks._registry import check, need
from awsaudit.derive import BLOCK_FIELDS
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok
from awsaudit.policy import public_statements

EVERYONE = frozenset({
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",  # any AWS account in the world
})
READ = frozenset({"READ", "FULL_CONTROL"})
# s3:* and s3:Get* statements match these through their wildcards.
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions")


@check(
    "s3_bucket_default_encryption",
    title="S3 bucket has default server-side encryption configured",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the bucket.",
            "Properties > Default encryption > Edit.",
            "Choose SSE-KMS with a customer-managed key (or at least SSE-S3), enable Bucket Key, and save.",
        ),
        cli="aws s3api put-bucket-encryption --bucket {name} --server-side-encryption-configuration "
            "'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\"},"
            "\"BucketKeyEnabled\":true}]}'",
        terraform='resource "aws_s3_bucket_server_side_encryption_configuration" "this" {\n'
                  "  bucket = aws_s3_bucket.this.id\n"
                  "  rule {\n"
                  "    apply_server_side_encryption_by_default {\n"
                  '      sse_algorithm = "aws:kms"\n'
                  "    }\n"
                  "    bucket_key_enabled = true\n"
                  "  }\n"
                  "}",
    ),
)
def s3_bucket_default_encryption(bucket: Json) -> Outcome:
    """Objects written without an encryption header are stored as the bucket's default says.

    Since January 2023 AWS applies SSE-S3 to every bucket and GetBucketEncryption reports it, so a
    bucket with no configuration at all is unusual (an old API response, a restored or emulated
    bucket) and its data-at-rest protection cannot be shown. A configured default is the evidence
    auditors ask for (S3-1); SSE-KMS with a customer-managed key adds key policy control and
    CloudTrail records of every decryption.
    """
    encryption = need(bucket, "Encryption")  # None: ServerSideEncryptionConfigurationNotFoundError
    if encryption is None:
        return fail("No default encryption is configured", evidence={"Encryption": None})
    defaults = [rule["ApplyServerSideEncryptionByDefault"] for rule in encryption.get("Rules", [])
                if rule.get("ApplyServerSideEncryptionByDefault")]
    if not defaults:
        return fail("The encryption configuration has no default encryption rule", evidence=encryption)
    algorithm = defaults[0].get("SSEAlgorithm", "?")
    key = defaults[0].get("KMSMasterKeyID")
    return ok(f"Default encryption {algorithm}" + (f" with key {key}" if key else ""), evidence=encryption)


@check(
    "s3_bucket_no_public_read",
    title="S3 bucket does not grant read access to everyone",
    severity=Severity.CRITICAL,
    objective=Objective.CONFIDENTIALITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the bucket.",
            "Permissions > Block public access (bucket settings) > Edit: turn on all four settings and save.",
            "If the content must stay public (a website), serve it through CloudFront with Origin Access "
            "Control instead of a public bucket.",
            "Remove ACL grants to Everyone / Authenticated users and policy statements with Principal \"*\".",
        ),
        cli="aws s3api put-public-access-block --bucket {name} --public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        terraform='resource "aws_s3_bucket_public_access_block" "this" {\n'
                  "  bucket                  = aws_s3_bucket.this.id\n"
                  "  block_public_acls       = true\n"
                  "  ignore_public_acls      = true\n"
                  "  block_public_policy     = true\n"
                  "  restrict_public_buckets = true\n"
                  "}",
    ),
)
def s3_bucket_no_public_read(bucket: Json) -> Outcome:
    """An ACL grant or policy statement for everyone lets anyone on the internet read the objects.

    Block Public Access (bucket or account) neutralises such grants: IgnorePublicAcls makes S3
    disregard public ACLs, RestrictPublicBuckets limits a public policy to AWS services and the
    bucket owner's account. Only what is still in force counts.
    """
    block = need(bucket, "EffectivePublicAccessBlock")  # bucket and account settings, combined
    if block["IgnorePublicAcls"] and block["RestrictPublicBuckets"]:
        return ok("Public access is blocked (IgnorePublicAcls and RestrictPublicBuckets)", evidence=block)
    if not block["IgnorePublicAcls"]:
        grants = [g for g in need(bucket, "Acl").get("Grants", [])
                  if g.get("Grantee", {}).get("URI") in EVERYONE and g.get("Permission") in READ]
        if grants:
            who = grants[0]["Grantee"]["URI"].rsplit("/", 1)[-1]
            return fail(f"ACL grants {grants[0]['Permission']} to {who}", evidence=grants)
    if not block["RestrictPublicBuckets"]:
        policy = need(bucket, "Policy")  # None: the bucket has no policy (NoSuchBucketPolicy)
        if policy is not None and (statements := public_statements(policy, READ_ACTIONS)):
            return fail("Bucket policy grants read access to any principal without a restricting condition",
                        evidence=statements)
    return ok("No ACL grant or policy statement gives read access to everyone", evidence=block)


@check(
    "s3_account_public_access_block",
    title="S3 Block Public Access is fully enabled for the account",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="s3.account",
    remediation=Remediation(
        console=(
            "Open the S3 console and choose 'Block Public Access settings for this account'.",
            "Edit, turn on all four settings, and confirm.",
            "Serve intentionally public content through CloudFront with Origin Access Control.",
        ),
        cli="aws s3control put-public-access-block --account-id {account} "
            "--public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        terraform='resource "aws_s3_account_public_access_block" "this" {\n'
                  "  block_public_acls       = true\n"
                  "  ignore_public_acls      = true\n"
                  "  block_public_policy     = true\n"
                  "  restrict_public_buckets = true\n"
                  "}",
    ),
)
def s3_account_public_access_block(account: Json) -> Outcome:
    """The account-wide setting is the one guard that covers every bucket, including the next one.

    With it fully on, no ACL or bucket policy written by mistake, by a script or by an attacker
    with s3:PutBucketPolicy can expose data to the internet (CIS 3.1.4).
    """
    block = need(account, "PublicAccessBlock")  # None: NoSuchPublicAccessBlockConfiguration
    if block is None:
        return fail("Account-level Block Public Access is not configured",
                    evidence={"PublicAccessBlock": None})
    off = [name for name in BLOCK_FIELDS if not block.get(name)]
    if off:
        return fail(f"Account-level Block Public Access is off for: {', '.join(off)}", evidence=block)
    return ok("All four account-level Block Public Access settings are on", evidence=block)
