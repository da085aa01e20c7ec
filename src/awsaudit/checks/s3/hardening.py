"""S3 hardening checks: HTTPS only, MFA Delete, sensitive data discovery (Macie), and review of
each bucket's configuration changes between scans."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter

from awsaudit.checks._registry import ACCOUNT, Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.iam.resource_policy import (
    covers_bucket,
    covers_every_object,
    denies_every_s3_action,
    deny_statements,
    sole_condition,
)
from awsaudit.model import (
    Json,
    Objective,
    Outcome,
    Remediation,
    Severity,
    Status,
    fail,
    instant,
    manual,
    ok,
    unknown,
)
from awsaudit.settings import Settings

INSECURE_TRANSPORT = (frozenset({"bool", "boolifexists"}), "aws:securetransport", ["false"])


def _arn(bucket: Json) -> str:
    return str(bucket.get("_arn") or f"arn:aws:s3:::{bucket.get('Name')}")


def _refuses_http(stmt: Json) -> bool:
    condition = sole_condition(stmt)
    operators, key, values = INSECURE_TRANSPORT
    return condition is not None and condition[0] in operators and condition[1:] == (key, values)


@check(
    "s3_bucket_denies_http",
    title="S3 bucket policy denies requests over plain HTTP (aws:SecureTransport false)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the bucket > Permissions > Bucket policy > Edit.",
            "Add a statement: Effect Deny, Principal \"*\", Action \"s3:*\", Resource "
            "[\"arn:aws:s3:::{bucket}\", \"arn:aws:s3:::{bucket}/*\"], Condition "
            "{\"Bool\": {\"aws:SecureTransport\": \"false\"}}; keep the existing statements; Save.",
        ),
        cli="aws s3api put-bucket-policy --bucket {bucket} --policy '{\"Version\":\"2012-10-17\","
            "\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\","
            "\"Action\":\"s3:*\",\"Resource\":[\"arn:aws:s3:::{bucket}\",\"arn:aws:s3:::{bucket}/*\"],"
            "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}' "
            "# merge into the existing policy instead of replacing it",
        terraform='data "aws_iam_policy_document" "https_only" {\n'
                  "  statement {\n"
                  '    sid       = "DenyInsecureTransport"\n'
                  '    effect    = "Deny"\n'
                  '    actions   = ["s3:*"]\n'
                  '    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]\n'
                  "    principals {\n"
                  '      type        = "*"\n'
                  '      identifiers = ["*"]\n'
                  "    }\n"
                  "    condition {\n"
                  '      test     = "Bool"\n'
                  '      variable = "aws:SecureTransport"\n'
                  '      values   = ["false"]\n'
                  "    }\n"
                  "  }\n"
                  "}",
    ),
)
def s3_bucket_denies_http(bucket: Json) -> Outcome:
    """S3 answers plain HTTP as well as HTTPS: a client, SDK setting or script using an http://
    endpoint sends credentials-signed requests and the data itself in clear text, readable and
    alterable on the path. Only a bucket policy makes S3 refuse them (CIS 3.1.1).

    It counts when a Deny for every principal on every S3 action carries the single condition
    Bool (or BoolIfExists) aws:SecureTransport false, over the bucket and all its objects (one
    statement or two). A condition on s3:TlsVersion alone does not count: HTTP requests have no
    TLS version, so they escape it.
    """
    policy = need(bucket, "Policy")  # None: the bucket has no policy
    if policy is None:
        return fail("No bucket policy: requests over plain HTTP are accepted", evidence={"Policy": None})
    arn = _arn(bucket)
    guards = [s for s in deny_statements(policy) if denies_every_s3_action(s) and _refuses_http(s)]
    on_bucket = any(covers_bucket(s, arn) for s in guards)
    on_objects = any(covers_every_object(s, arn) for s in guards)
    if on_bucket and on_objects:
        return ok("The bucket policy denies every S3 action over plain HTTP", evidence=guards)
    if guards:
        covered = ("only the bucket, not all its objects" if on_bucket else
                   "only the objects, not the bucket" if on_objects else "neither the bucket nor all objects")
        return fail(f"The HTTPS-only Deny covers {covered}", evidence=guards)
    return fail("The bucket policy does not deny requests over plain HTTP (no Deny on s3:* with "
                "aws:SecureTransport false)", evidence=policy)


@check(
    "s3_bucket_mfa_delete_enabled",
    title="S3 bucket has versioning with MFA Delete enabled",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "MFA Delete cannot be set in the console: as the root user, with the root MFA device, use "
            "the CLI or API (below).",
            "Enable versioning first if it is off; plan for the root user being needed to delete "
            "object versions or to suspend versioning afterwards.",
        ),
        cli="aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration "
            "Status=Enabled,MFADelete=Enabled --mfa 'arn:aws:iam::{account}:mfa/root-account-mfa-device "
            "123456'  # run as root",
        terraform='resource "aws_s3_bucket_versioning" "this" {\n'
                  "  bucket = aws_s3_bucket.this.id\n"
                  '  mfa    = "arn:aws:iam::111122223333:mfa/root-account-mfa-device 123456"\n'
                  "  versioning_configuration {\n"
                  '    status     = "Enabled"\n'
                  '    mfa_delete = "Enabled"\n'
                  "  }\n"
                  "}",
    ),
)
def s3_bucket_mfa_delete_enabled(bucket: Json) -> Outcome:
    """With MFA Delete, permanently deleting an object version or turning versioning off needs the
    root user's MFA code with the request, so stolen access keys, even an administrator's, cannot
    wipe the bucket's history, which is how S3 ransomware works (CIS 3.1.2). CIS lists it as
    manual; the versioning configuration decides it."""
    versioning = need(bucket, "Versioning")
    evidence = {key: versioning.get(key) for key in ("Status", "MFADelete")}
    if versioning.get("MFADelete") == "Enabled":
        return ok("MFA Delete is enabled", evidence=evidence)
    if versioning.get("Status") != "Enabled":
        return fail(f"Versioning is {str(versioning.get('Status') or 'never enabled').lower()} and MFA "
                    "Delete is off", evidence=evidence)
    return fail("Versioning is on, but MFA Delete is off", evidence=evidence)


@check(
    "s3_macie_data_discovery",
    title="Amazon Macie discovers sensitive data in every region that holds S3 buckets",
    severity=Severity.LOW,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=Remediation(
        console=(
            "Open Amazon Macie in each region that holds buckets > Get started > Enable Macie (in an "
            "Organization: enable it from the delegated Macie administrator for all members).",
            "Turn on automated sensitive data discovery, or create classification jobs that cover the "
            "buckets; route findings to Security Hub or EventBridge and triage them.",
        ),
        cli="aws macie2 enable-macie --region {region} && "
            "aws macie2 update-automated-discovery-configuration --status ENABLED --region {region}",
        terraform='resource "aws_macie2_account" "this" {}\n\n'
                  'resource "aws_macie2_classification_job" "buckets" {\n'
                  '  job_type = "SCHEDULED"\n'
                  '  name     = "all-buckets"\n'
                  "  schedule_frequency {\n"
                  "    weekly_schedule = \"MONDAY\"\n"
                  "  }\n"
                  "  s3_job_definition {\n"
                  "    bucket_definitions {\n"
                  "      account_id = data.aws_caller_identity.current.account_id\n"
                  "      buckets    = [aws_s3_bucket.data.id]\n"
                  "    }\n"
                  "  }\n"
                  "  depends_on = [aws_macie2_account.this]\n"
                  "}",
    ),
)
def s3_macie_data_discovery(account: Json, view: AccountView) -> Outcome | list[Outcome]:
    """Protection follows classification: a bucket nobody knows holds customer data, keys or
    health records gets no encryption key, no access review and no data events. Macie inventories
    the buckets and finds sensitive data in them (CIS 3.1.3).

    Decision: Macie must be enabled (status ENABLED, not PAUSED) in every region that holds a
    bucket: FAIL where it is not. Where it is, whether its jobs or automated discovery really
    cover the buckets and whether findings are handled is for the auditor: MANUAL with the
    regions. No bucket at all: PASS. AWS answers AccessDenied both when Macie is off and when the
    audit role may not call macie2:GetMacieSession, so "not enabled" names both causes.
    """
    buckets = view.collection("s3.buckets")
    if not buckets:
        return ok("No S3 buckets: nothing to discover", evidence={"buckets": 0})
    per_region = Counter(str(b.get("_region", "")) for b in buckets)
    status: dict[str, str] = {}
    gaps: dict[str, str] = {}
    for region in sorted(per_region):
        try:
            if not region:
                raise Missing("macie2.session", "macie2 was not collected in the region of a bucket "
                                                "(its location was not read)")
            session = need(view.collection("macie2.session", region), "MacieSession")
        except Missing as missing:
            gaps[region] = str(missing)
            continue
        status[region] = "not enabled" if session is None else str(session.get("status", "?"))
    evidence: Json = {"BucketsPerRegion": dict(sorted(per_region.items())), "MacieStatus": status}
    if off := {r: s for r, s in status.items() if s != "ENABLED"}:
        detail = ", ".join(f"{r}: {s}" for r, s in off.items())
        if gaps:  # the FAIL stands; the regions that could not be read are named, each UNKNOWN
            evidence["not collected"] = gaps
        summary = fail(f"Macie is not running where buckets are ({detail}); \"not enabled\" can also mean "
                       "the audit role may not call macie2:GetMacieSession", evidence=evidence)
        return [summary, *(
            fail(f"Macie is {state} in a region that holds S3 buckets",
                 evidence={"region": region, "MacieStatus": state, "Buckets": per_region[region]},
                 resource=f"arn:{view.partition}:macie2:{region}:{view.id}:session", region=region)
            for region, state in off.items()), *(
            Outcome(Status.UNKNOWN, reason, None, f"arn:{view.partition}:macie2:{region}:{view.id}:session",
                    region)
            for region, reason in gaps.items() if region)]
    if gaps:
        raise Missing("macie2.session", "; ".join(gaps.values()))
    return manual(f"Macie is enabled in {', '.join(status)}: check that automated sensitive data "
                  "discovery or classification jobs cover the buckets and that findings are triaged",
                  evidence=evidence)


# --- S3-3: configuration reviewed -----------------------------------------------------------------

REVIEWED_PARTS = ("Acl", "Policy", "PublicAccessBlock", "Encryption", "Versioning", "Logging",
                  "OwnershipControls")
"""The bucket configuration whose changes need a review (as collected; derived fields excluded)."""
PREVIOUS = "_previous"
NO_HISTORY = "no previous scan to compare with (the first scan recorded in the history store)"
NOT_COLLECTED = "(not collected)"


def _part_hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
                          .encode("utf-8")).hexdigest()[:16]


def configuration_fingerprints(bucket: Json) -> dict[str, str]:
    """One short SHA-256 per configuration part, over canonical JSON; raises Missing for a part
    that was not collected."""
    return {part: _part_hash(need(bucket, part)) for part in REVIEWED_PARTS}


@check(
    "s3_bucket_configuration_reviewed",
    title="S3 bucket configuration is assessed at every review interval, and each change is reviewed",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="s3.buckets",
    remediation=Remediation(
        console=(
            "Compare the bucket's configuration with the previous scan (awsaudit diff) and find the "
            "change in CloudTrail (PutBucketPolicy, PutBucketAcl, PutPublicAccessBlock ...).",
            "If the change was intended, record why; otherwise revert it. Scan at least once per review "
            "interval (bucket_review_days) so no change goes unseen for longer.",
        ),
        cli="aws cloudtrail lookup-events --max-results 50 "
            "--lookup-attributes AttributeKey=ResourceName,AttributeValue={bucket}",
        terraform="# Manage the bucket's policy, ACL, Block Public Access, encryption, versioning and\n"
                  "# logging in Terraform: a drift then shows in `terraform plan` before the next audit.",
    ),
)
def s3_bucket_configuration_reviewed(bucket: Json, settings: Settings, now: dt.datetime | None) -> Outcome:
    """A bucket's exposure changes with one API call (a policy, an ACL, Block Public Access turned
    off); a yearly review misses what changed in between. Comparing each scan with the last one
    shows every changed bucket, and scanning at least once per review interval bounds how long a
    change can go unseen (S3-3).

    Reads `_previous`, derived from the history store before evaluation: {"scanned_at": the
    previous scan's collection time, "configuration": the bucket as collected then}. Absent:
    UNKNOWN (first scan). Decision: the previous assessment older than `bucket_review_days`
    before this collection: FAIL; a reviewed part changed: MANUAL, with each change before and
    after, for a human to judge; unchanged within the interval: PASS.
    """
    previous = bucket.get(PREVIOUS)
    if not isinstance(previous, dict):
        return unknown(NO_HISTORY, evidence={"Name": bucket.get("Name")})
    current = {part: need(bucket, part) for part in REVIEWED_PARTS}
    before = previous.get("configuration") or {}
    since = str(previous.get("scanned_at", "the previous scan"))
    changes = {part: {"before": before.get(part, NOT_COLLECTED), "after": current[part]}
               for part in REVIEWED_PARTS
               if part not in before or _part_hash(before[part]) != _part_hash(current[part])}
    evidence: Json = {"Name": bucket.get("Name"), "PreviousScan": previous.get("scanned_at"),
                      "Changes": changes}
    last = instant(previous.get("scanned_at"))
    if now is None or last is None:
        return unknown(f"cannot measure the review interval (previous scan at {since}, this "
                       f"collection time {'unknown' if now is None else now.isoformat()})", evidence)
    limit = settings.bucket_review_days
    if now - last > dt.timedelta(days=limit):
        what = f"; {', '.join(changes)} changed since" if changes else ""
        return fail(f"Last assessed at {since}, more than the review interval of {limit} days before "
                    f"this scan{what}", evidence=evidence)
    if changes:
        return manual(f"{', '.join(changes)} changed since the scan of {since}: review the change "
                      "(evidence: before and after)", evidence=evidence)
    return ok(f"Configuration unchanged since the scan of {since}, within the review interval of "
              f"{limit} days", evidence=evidence)

