"""S3 checks: public exposure and encryption of buckets, and Block Public Access (account and bucket)."""

from __future__ import annotations

from awsaudit.checks._registry import check, need
from awsaudit.checks.derive import BLOCK_FIELDS, EFFECTIVE
from awsaudit.iam.resource_policy import (
    covers_every_object,
    denies_action,
    deny_statements,
    public_statements,
    sole_condition,
)
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok

EVERYONE = frozenset({
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",  # any AWS account in the world
})
READ = frozenset({"READ", "FULL_CONTROL"})
# s3:* and s3:Get* statements match these through their wildcards.
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions")


BLOCK_ALL_CLI = (
    "aws s3api put-public-access-block --bucket {bucket} --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
)
BLOCK_ALL_TERRAFORM = (
    'resource "aws_s3_bucket_public_access_block" "this" {\n'
    "  bucket                  = aws_s3_bucket.this.id\n"
    "  block_public_acls       = true\n"
    "  ignore_public_acls      = true\n"
    "  block_public_policy     = true\n"
    "  restrict_public_buckets = true\n"
    "}"
)
"""Block Public Access fully on for one bucket: the fix both bucket exposure checks recommend."""


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
    auditors ask for, and it alone decides S3-1 (SSE-S3, SSE-KMS and DSSE-KMS all encrypt every
    object at rest); SSE-KMS with a customer-managed key adds key policy control and CloudTrail
    records of every decryption.
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
        cli=BLOCK_ALL_CLI.format(bucket="{name}"),
        terraform=BLOCK_ALL_TERRAFORM,
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


@check(
    "s3_bucket_public_access_block",
    title="S3 bucket has all four Block Public Access settings on (its own or the account's)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the bucket.",
            "Permissions > Block public access (bucket settings) > Edit: turn on all four settings and save.",
            "A bucket that must serve the public: serve it through CloudFront with Origin Access Control and "
            "block public access on the bucket all the same.",
        ),
        cli=BLOCK_ALL_CLI.format(bucket="{bucket}"),
        terraform=BLOCK_ALL_TERRAFORM,
    ),
)
def s3_bucket_public_access_block(bucket: Json) -> Outcome:
    """A private bucket without Block Public Access is one ACL or policy edit away from public:
    the settings make S3 refuse (and ignore) public grants whoever writes them (CIS 3.1.4). This is
    the hardening finding for the bucket, not an exposure: s3_bucket_no_public_read says whether
    it is readable now. The account-level setting, fully on, covers the bucket as well."""
    own = need(bucket, "PublicAccessBlock")  # None: not configured on the bucket
    if own and all(own.get(f) for f in BLOCK_FIELDS):
        return ok("All four Block Public Access settings are on for the bucket", evidence=own)
    effective = need(bucket, EFFECTIVE)  # bucket OR account, field by field
    evidence = {"PublicAccessBlock": own, EFFECTIVE: effective}
    if all(effective.get(f) for f in BLOCK_FIELDS):
        return ok("Block Public Access is fully on through the account-level setting", evidence=evidence)
    off = [f for f in BLOCK_FIELDS if not effective.get(f)]
    if own is None:
        where = "not configured on the bucket"
    elif any(own.get(f) for f in BLOCK_FIELDS):
        where = "partly on for the bucket"
    else:
        where = "off for the bucket"
    return fail(f"Block Public Access is {where}; off (bucket and account): {', '.join(off)}",
                evidence=evidence)


ENCRYPTION_HEADER = "s3:x-amz-server-side-encryption"
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})
NOT_EQUAL = frozenset({"stringnotequals", "stringnotequalsifexists"})
"""Negated operators are true when the header is missing: they also deny uploads without it."""
EQUAL = frozenset({"stringequals", "stringequalsignorecase", "stringlike"})


class UploadGuards:
    """Deny statements on PutObject for every object of the bucket, by what they refuse."""

    def __init__(self, policy: Json | None, bucket_arn: str) -> None:
        self.no_header: list[Json] = []  # Null true: uploads that name no encryption
        self.only: list[tuple[Json, set[str]]] = []  # StringNotEquals: every algorithm but these
        self.sse_s3: list[Json] = []  # StringEquals AES256: uploads that ask for SSE-S3
        for stmt in deny_statements(policy):
            if not (denies_action(stmt, "s3:PutObject") and covers_every_object(stmt, bucket_arn)):
                continue
            condition = sole_condition(stmt)
            if condition is None or condition[1] != ENCRYPTION_HEADER:
                continue
            operator, _, values = condition
            if operator == "null" and values == ["true"]:
                self.no_header.append(stmt)
            elif operator in NOT_EQUAL and values:
                self.only.append((stmt, set(values)))
            elif operator in EQUAL and "aes256" in values:
                self.sse_s3.append(stmt)

    def statements(self) -> list[Json]:
        return [*self.no_header, *(stmt for stmt, _ in self.only), *self.sse_s3]

    def keep_kms(self) -> list[Json]:
        """Statements that stop an upload from choosing SSE-S3 over the bucket's KMS default."""
        return [stmt for stmt, values in self.only if values <= KMS_ALGORITHMS] + self.sse_s3


@check(
    "s3_bucket_denies_unencrypted_uploads",
    title="S3 bucket accepts no upload that is unencrypted or bypasses its default KMS key",
    severity=Severity.LOW,
    objective=Objective.CONFIDENTIALITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the bucket > Permissions > Bucket policy > Edit.",
            "Add a Deny statement for Principal \"*\", Action s3:PutObject, Resource "
            "arn:aws:s3:::{bucket}/*, with Condition StringNotEquals s3:x-amz-server-side-encryption "
            "= aws:kms (writers must then send that header).",
            "To keep uploads without the header working (they get the KMS default), deny instead "
            "StringEquals s3:x-amz-server-side-encryption = AES256.",
        ),
        cli="aws s3api put-bucket-policy --bucket {bucket} --policy '{\"Version\":\"2012-10-17\","
            "\"Statement\":[{\"Sid\":\"DenyUploadsWithoutKms\",\"Effect\":\"Deny\",\"Principal\":\"*\","
            "\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::{bucket}/*\",\"Condition\":"
            "{\"StringNotEquals\":{\"s3:x-amz-server-side-encryption\":\"aws:kms\"}}}]}' "
            "# merge into the existing policy instead of replacing it",
        terraform='data "aws_iam_policy_document" "kms_only" {\n'
                  "  statement {\n"
                  '    sid       = "DenyUploadsWithoutKms"\n'
                  '    effect    = "Deny"\n'
                  '    actions   = ["s3:PutObject"]\n'
                  '    resources = ["${aws_s3_bucket.this.arn}/*"]\n'
                  "    principals {\n"
                  '      type        = "*"\n'
                  '      identifiers = ["*"]\n'
                  "    }\n"
                  "    condition {\n"
                  '      test     = "StringNotEquals"\n'
                  '      variable = "s3:x-amz-server-side-encryption"\n'
                  '      values   = ["aws:kms"]\n'
                  "    }\n"
                  "  }\n"
                  "}",
    ),
)
def s3_bucket_denies_unencrypted_uploads(bucket: Json) -> Outcome:
    """Hardening beyond S3-1 (which default encryption meets): a bucket policy that refuses
    uploads encrypted the wrong way, keeping every object under the key the owner chose.

    Decision, "where required": default encryption already encrypts every upload that names no
    encryption, so with SSE-S3 as the default no object can be stored unencrypted and no policy
    is needed (PASS). Where the owner chose SSE-KMS, a client can still send
    `x-amz-server-side-encryption: AES256` and store objects outside the key's policy and audit
    trail: there the bucket policy must deny any other algorithm (StringNotEquals aws:kms), or at
    least SSE-S3 (StringEquals AES256, which keeps header-less uploads working). A bucket
    without default encryption needs a policy denying uploads without the header. Low
    severity: the data is encrypted either way; what is at stake is control over the key.
    """
    encryption = need(bucket, "Encryption")  # None: no default encryption
    policy = need(bucket, "Policy")  # None: no bucket policy
    rules = [r["ApplyServerSideEncryptionByDefault"] for r in (encryption or {}).get("Rules", [])
             if r.get("ApplyServerSideEncryptionByDefault")]
    default = rules[0].get("SSEAlgorithm") if rules else None
    guards = UploadGuards(policy, str(bucket.get("_arn") or f"arn:aws:s3:::{bucket.get('Name')}"))
    evidence: Json = {"DefaultEncryption": default, "DenyStatements": guards.statements()}
    if default in KMS_ALGORITHMS:
        if kept := guards.keep_kms():
            return ok(f"Default {default}, and the policy denies uploads that choose SSE-S3 instead",
                      evidence={**evidence, "DenyStatements": kept})
        return fail(f"Default encryption is {default}, but no policy statement denies uploads that ask "
                    "for SSE-S3 (x-amz-server-side-encryption: AES256 bypasses the key)", evidence=evidence)
    if default:
        return ok(f"Every upload is encrypted: objects sent without encryption get the default {default}",
                  evidence=evidence)
    if guards.no_header or guards.only:
        return ok("No default encryption, but the policy denies uploads without server-side encryption",
                  evidence=evidence)
    return fail("No default encryption and no policy statement denying unencrypted uploads",
                evidence=evidence)
