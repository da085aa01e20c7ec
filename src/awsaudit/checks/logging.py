"""Logging checks: CloudTrail coverage of every region, and protection of the trail's log files."""

from __future__ import annotations

from awsaudit.checks._registry import ACCOUNT, Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok

READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})
READ_WRITE_TYPE = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
READ_ONLY_VALUE = {"true": READ, "false": WRITE}


def _management_events(trail: Json) -> tuple[frozenset[str], Json]:
    """Which management events (read, write) the trail's selectors log, and the selectors as evidence.

    With no selector at all a trail logs every management event, read and write
    (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html).
    Sources excluded from management events (KMS, RDS Data API) are tolerated: AWS offers
    exactly those exclusions to cut volume, and CIS 4.1 does not count them against the trail.
    """
    basic = need(trail, "EventSelectors") or []
    advanced = need(trail, "AdvancedEventSelectors") or []
    if not basic and not advanced:
        return BOTH, {"EventSelectors": "none: AWS logs all management events by default"}
    covered: set[str] = set()
    for selector in basic:
        if selector.get("IncludeManagementEvents", True):
            covered |= READ_WRITE_TYPE.get(selector.get("ReadWriteType", "All"), frozenset())
    for selector in advanced:
        covered |= _advanced_management_events(selector.get("FieldSelectors", []))
    evidence = {"EventSelectors": basic} if basic else {"AdvancedEventSelectors": advanced}
    return frozenset(covered), evidence


def _advanced_management_events(fields: list[Json]) -> frozenset[str]:
    """Advanced selectors AND their field conditions: eventCategory picks management, readOnly narrows."""
    by_field = {f.get("Field"): f for f in fields}
    category = by_field.get("eventCategory", {})
    if "Management" not in category.get("Equals", []):
        return frozenset()
    return read_write_types(by_field.get("readOnly"))


def read_write_types(read_only: Json | None) -> frozenset[str]:
    """What an advanced selector's readOnly field condition keeps: reads, writes or both."""
    if read_only is None:
        return BOTH
    if "Equals" in read_only:
        return frozenset(READ_ONLY_VALUE[v] for v in read_only["Equals"] if v in READ_ONLY_VALUE)
    if "NotEquals" in read_only:
        return BOTH - {READ_ONLY_VALUE[v] for v in read_only["NotEquals"] if v in READ_ONLY_VALUE}
    return frozenset()


def _summary(region: str, trail: Json) -> Json:
    """What the auditor needs to see about a trail that did not qualify (evidence only)."""
    status = trail.get("Status")
    return {
        "Name": trail.get("Name"),
        "HomeRegion": trail.get("HomeRegion", region),
        "IsMultiRegionTrail": trail.get("IsMultiRegionTrail"),
        "IsOrganizationTrail": trail.get("IsOrganizationTrail"),
        "IsLogging": status.get("IsLogging") if isinstance(status, dict) else "not collected",
    }


@check(
    "cloudtrail_multi_region_trail_logging",
    title="A multi-region CloudTrail trail is logging all management events",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=Remediation(
        console=(
            "Open CloudTrail > Trails and choose Create trail (or edit an existing trail).",
            "Enable the trail for all regions (and for the organization, from the management account).",
            "Under Management events choose Read and Write.",
            "Save, and make sure the trail's logging status is On.",
        ),
        cli="aws cloudtrail create-trail --name org-trail --s3-bucket-name {bucket} "
            "--is-multi-region-trail --enable-log-file-validation && "
            "aws cloudtrail start-logging --name org-trail",
        terraform='resource "aws_cloudtrail" "main" {\n'
                  '  name                          = "org-trail"\n'
                  "  s3_bucket_name                = aws_s3_bucket.trail.id\n"
                  "  is_multi_region_trail         = true\n"
                  "  include_global_service_events = true\n"
                  "  enable_logging                = true\n"
                  "}",
    ),
)
def cloudtrail_multi_region_trail_logging(account: Json, view: AccountView) -> Outcome:
    """Without a trail that records management events in every region, API activity in a region
    nobody watches (where an attacker would start crypto-mining or stage data) leaves no record,
    and an incident can be neither detected nor investigated. Read events matter as much as writes:
    reconnaissance (List*, Describe*, GetSecretValue) is often the first sign of compromise."""
    seen: list[Json] = []
    trails, gaps = view.items("cloudtrail.trails")
    for region, trail in trails:
        seen.append(_summary(region, trail))
        if not trail.get("IsMultiRegionTrail"):
            continue
        try:
            status = need(trail, "Status")
            if not status.get("IsLogging"):
                continue
            covered, selectors = _management_events(trail)
        except Missing as missing:
            gaps.append(f"{region}: trail {trail.get('Name')}: {missing}")
            continue
        if covered >= BOTH:
            return ok(f"Trail {trail.get('Name')} logs management events (read and write) "
                      "in every region",
                      evidence={**_summary(region, trail), **selectors})
        seen[-1]["ManagementEvents"] = sorted(covered) or "none"
    if gaps:
        raise Missing("cloudtrail.trails", "; ".join(gaps))
    if not seen:
        return fail("No CloudTrail trail exists in any region", evidence={"trails": []})
    return fail("No trail is multi-region, logging and recording read and write management events",
                evidence={"trails": seen})


@check(
    "cloudtrail_trail_kms_encrypted",
    title="CloudTrail trail logs are encrypted with a KMS customer-managed key",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="cloudtrail.trails",
    remediation=Remediation(
        console=(
            "Create (or choose) a customer-managed KMS key whose key policy lets "
            "cloudtrail.amazonaws.com encrypt and the auditors decrypt.",
            "Open CloudTrail > Trails > the trail > General details > Edit.",
            "Enable Log file SSE-KMS encryption and select the key; save.",
        ),
        cli="aws cloudtrail update-trail --name {name} --kms-key-id alias/cloudtrail",
        terraform='resource "aws_cloudtrail" "main" {\n'
                  "  # ...\n"
                  "  kms_key_id = aws_kms_key.cloudtrail.arn\n"
                  "}",
    ),
)
def cloudtrail_trail_kms_encrypted(trail: Json) -> Outcome:
    """Trail logs hold the account's whole API history (who did what, from where). With SSE-KMS,
    reading them takes kms:Decrypt on a key whose policy the security team controls, so read
    access to the bucket alone no longer exposes them, and every decryption is itself logged."""
    key = need(trail, "KmsKeyId")
    if key:
        return ok("Log files are encrypted with a KMS key", evidence={"KmsKeyId": key})
    return fail("Log files are not encrypted with a KMS key (only S3-managed encryption)",
                evidence={"KmsKeyId": key})


@check(
    "cloudtrail_log_file_validation_enabled",
    title="CloudTrail trail has log file integrity validation enabled",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="cloudtrail.trails",
    remediation=Remediation(
        console=(
            "Open CloudTrail > Trails > the trail > General details > Edit.",
            "Under Additional settings enable Log file validation; save.",
        ),
        cli="aws cloudtrail update-trail --name {name} --enable-log-file-validation",
        terraform='resource "aws_cloudtrail" "main" {\n'
                  "  # ...\n"
                  "  enable_log_file_validation = true\n"
                  "}",
    ),
)
def cloudtrail_log_file_validation_enabled(trail: Json) -> Outcome:
    """An intruder who can write to the trail bucket can delete or edit the log files that record
    their actions. With validation on, CloudTrail delivers signed hourly digests, so any deleted or
    altered log file is detectable (`aws cloudtrail validate-logs`) and the logs hold up as evidence."""
    enabled = need(trail, "LogFileValidationEnabled")
    evidence = {"LogFileValidationEnabled": enabled}
    if enabled:
        return ok("Log file validation is enabled", evidence=evidence)
    return fail("Log file validation is disabled", evidence=evidence)
