"""CloudTrail checks (LOG-1 to LOG-4, CIS 4.1-4.5, 4.8, 4.9): a multi-region trail logging all
management events, its encryption and validation, its bucket kept private and access-logged, its
delivery to CloudWatch Logs, and S3 object-level data events."""

from __future__ import annotations

import re

from awsaudit.checks._registry import ACCOUNT, Missing, check, need, typed, worst
from awsaudit.checks._view import AccountView
from awsaudit.checks.s3.buckets import s3_bucket_no_public_read
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, Status, fail, ok, unknown

READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})
READ_WRITE_TYPE = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
READ_ONLY_VALUE = {"true": READ, "false": WRITE}

S3_OBJECT = "AWS::S3::Object"
ALL_BUCKETS = re.compile(r"^arn:[a-z-]+:s3(:::)?$")
"""The DataResources value (and advanced resources.ARN prefix) meaning "every bucket": arn:aws:s3[:::]."""


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
    if (covered_by := _organization_trail(view)) is not None:
        return covered_by
    if gaps:
        raise Missing("cloudtrail.trails", "; ".join(gaps))
    if not seen:
        return fail("No CloudTrail trail exists in any region", evidence={"trails": []})
    return fail("No trail is multi-region, logging and recording read and write management events",
                evidence={"trails": seen})


def _organization_trail(view: AccountView) -> Outcome | None:
    """PASS for a member account when an organization trail, as its owner (the management account)
    reads it, is multi-region, logging and records read and write management events: by effect it
    records this account's events, whatever the member's own copy of it shows."""
    context = view.organization
    if context is None or context.management_id == view.id or context.account(view.id) is None:
        return None
    for located in context.organization_trails():
        try:
            covered, selectors = _management_events(located.item)
        except Missing:
            continue
        if covered >= BOTH:
            trail = located.item
            return ok(f"Organization trail {trail.get('Name')} of account {located.account} logs this "
                      "account's management events (read and write) in every region",
                      evidence={**_summary(located.region, trail), "TrailARN": trail.get("TrailARN"),
                                "owner": located.account, **selectors,
                                "note": "an organization trail records every member account's events"})
    return None


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
    key = need(trail, "KmsKeyId", str)
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
    enabled = need(trail, "LogFileValidationEnabled", bool)
    evidence = {"LogFileValidationEnabled": enabled}
    if enabled:
        return ok("Log file validation is enabled", evidence=evidence)
    return fail("Log file validation is disabled", evidence=evidence)


def delivery_problem(trail: Json) -> str | None:
    """Why the trail does not deliver to CloudWatch Logs, or None when it does.

    DescribeTrails leaves CloudWatchLogsLogGroupArn out when it is not configured, so for a
    collected trail an absent key means "not configured". A delivery error (a deleted log group, a
    role CloudTrail can no longer assume) means nothing arrives, whatever the configuration says.
    """
    if not typed(trail.get("CloudWatchLogsLogGroupArn"), "CloudWatchLogsLogGroupArn", str):
        return "no CloudWatch Logs log group is configured"
    error = need(trail, "Status", dict).get("LatestCloudWatchLogsDeliveryError")
    if error:
        return f"delivery to CloudWatch Logs fails ({error})"
    return None


# --- LOG-4


@check(
    "cloudtrail_trail_cloudwatch_logs_delivery",
    title="CloudTrail trail delivers its events to CloudWatch Logs",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="cloudtrail.trails",
    remediation=Remediation(
        console=(
            "Open CloudTrail > Trails > the trail > CloudWatch Logs > Edit.",
            "Enable CloudWatch Logs, choose (or create) a log group and let CloudTrail create the IAM role "
            "it needs to write there; save.",
            "Check the trail's status page: it shows the last successful delivery and any delivery error.",
        ),
        cli="aws cloudtrail update-trail --name {name} --cloud-watch-logs-log-group-arn {log_group_arn} "
            "--cloud-watch-logs-role-arn {role_arn}",
        terraform='resource "aws_cloudtrail" "main" {\n'
                  "  # ...\n"
                  '  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.cloudtrail.arn}:*"\n'
                  "  cloud_watch_logs_role_arn  = aws_iam_role.cloudtrail_to_cloudwatch.arn\n"
                  "}",
    ),
)
def cloudtrail_trail_cloudwatch_logs_delivery(trail: Json, view: AccountView) -> Outcome:
    """Log files in S3 are for investigation after the fact; only events streamed to CloudWatch Logs
    can drive metric filters and alarms that tell someone within minutes that the root user signed in
    or a trail was stopped. A configured log group whose delivery fails (deleted group, broken role)
    is as silent as none. An organization trail seen from a member account is judged as its owner
    reads it (the member's copy may lack the status)."""
    owner = view.organization.trail(str(trail.get("TrailARN"))) if view.organization is not None else None
    if owner is not None and owner.account != view.id:
        trail = owner.item
    problem = delivery_problem(trail)
    evidence = {k: trail.get(k) for k in ("CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn")}
    status = trail.get("Status")
    if isinstance(status, dict):
        # The last delivery time changes with every event: it would make the evidence differ on
        # every scan. The error (or its absence) is what decides.
        evidence["LatestCloudWatchLogsDeliveryError"] = status.get("LatestCloudWatchLogsDeliveryError")
    org = ""
    if owner is not None and owner.account != view.id:
        evidence["organization trail of"] = owner.account
        org = f" (organization trail of account {owner.account})"
    if problem is not None:
        return fail(f"Trail {trail.get('Name')}{org}: {problem}", evidence=evidence)
    return ok(f"Trail {trail.get('Name')}{org} delivers to CloudWatch Logs without delivery errors",
              evidence=evidence)


# --- LOG-2 / CIS 4.4: the trail bucket ------------------------------------------------------------

def _trail_bucket(trail: Json, account: Json) -> tuple[str, Json | None]:
    """The trail's bucket name and its document from this account's s3.buckets (None: not there)."""
    name = str(need(trail, "S3BucketName"))
    for bucket in AccountView.of(account).collection("s3.buckets"):
        if bucket.get("Name") == name:
            return name, bucket
    return name, None


def _elsewhere(trail: Json, name: str) -> Outcome:
    return unknown(f"Bucket {name} is not one of this account's buckets: another account (a central "
                   "log archive) owns it, or it was deleted; audit it in its owner account",
                   evidence={"Trail": trail.get("Name"), "S3BucketName": name})


@check(
    "cloudtrail_bucket_access_logging",
    title="The S3 bucket a CloudTrail trail delivers to has server access logging enabled",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="cloudtrail.trails",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the trail's bucket (CloudTrail > Trails > {name} > Storage "
            "location)",
            "Properties > Server access logging > Edit > Enable",
            "Choose a separate target bucket (not the trail bucket itself) owned by the security team; "
            "Save changes",
        ),
        cli="aws s3api put-bucket-logging --bucket TRAIL_BUCKET --bucket-logging-status "
            "'{\"LoggingEnabled\":{\"TargetBucket\":\"ACCESS_LOG_BUCKET\",\"TargetPrefix\":\"cloudtrail/\"}}'",
        terraform='resource "aws_s3_bucket_logging" "trail" {\n'
                  "  bucket        = aws_s3_bucket.trail.id\n"
                  "  target_bucket = aws_s3_bucket.access_logs.id\n"
                  '  target_prefix = "cloudtrail/"\n'
                  "}",
    ),
)
def cloudtrail_bucket_access_logging(trail: Json, account: Json) -> Outcome:
    """CloudTrail records API calls, but reads of the log files themselves are data events it
    usually does not log. Server access logging on the trail bucket records who read, copied or
    deleted the audit trail, which is the first thing an intruder covering tracks touches
    (LOG-2, CIS 4.4)."""
    name, bucket = _trail_bucket(trail, account)
    if bucket is None:
        return _elsewhere(trail, name)
    logging = need(bucket, "Logging")  # None: logging is off
    evidence = {"Trail": trail.get("Name"), "S3BucketName": name, "Logging": logging}
    if logging:
        return ok(f"Access to {name} is logged to {logging.get('TargetBucket')}", evidence=evidence)
    return fail(f"Server access logging is off on trail bucket {name}", evidence=evidence)


@check(
    "cloudtrail_bucket_not_public",
    title="The S3 bucket a CloudTrail trail delivers to is not publicly readable",
    severity=Severity.CRITICAL,
    objective=Objective.CONFIDENTIALITY,
    over="cloudtrail.trails",
    remediation=Remediation(
        console=(
            "Open the S3 console and select the trail's bucket",
            "Permissions > Block public access (bucket settings) > Edit: turn on all four; Save",
            "Remove ACL grants to Everyone / Authenticated users and policy statements that allow "
            "Principal \"*\" (keep the cloudtrail.amazonaws.com statements)",
        ),
        cli="aws s3api put-public-access-block --bucket TRAIL_BUCKET --public-access-block-configuration "
            "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        terraform='resource "aws_s3_bucket_public_access_block" "trail" {\n'
                  "  bucket                  = aws_s3_bucket.trail.id\n"
                  "  block_public_acls       = true\n"
                  "  ignore_public_acls      = true\n"
                  "  block_public_policy     = true\n"
                  "  restrict_public_buckets = true\n"
                  "}",
    ),
)
def cloudtrail_bucket_not_public(trail: Json, account: Json) -> Outcome:
    """The trail's logs describe the whole account: every principal, resource and source address,
    often the request parameters too. Readable by anyone, they are a reconnaissance map for an
    attacker and a disclosure in themselves (LOG-2). Judged exactly like s3_bucket_no_public_read:
    ACL grants and policy statements for everyone, unless Block Public Access neutralises them."""
    name, bucket = _trail_bucket(trail, account)
    if bucket is None:
        return _elsewhere(trail, name)
    result = s3_bucket_no_public_read.func(bucket)  # raises Missing like any need()
    verdict = result if isinstance(result, Outcome) else worst(result)
    evidence = {"Trail": trail.get("Name"), "S3BucketName": name, "Public": verdict.evidence}
    if verdict.status is Status.PASS:
        return ok(f"Trail bucket {name}: {verdict.message}", evidence=evidence)
    return fail(f"Trail bucket {name} is public: {verdict.message}", evidence=evidence)


# --- CIS 4.8 / 4.9: S3 object-level events --------------------------------------------------------

def _basic_s3_objects(selectors: list[Json]) -> frozenset[str]:
    """Read/write S3 object events for every bucket that basic event selectors log."""
    covered: set[str] = set()
    for selector in selectors:
        for resource in selector.get("DataResources") or []:
            if resource.get("Type") == S3_OBJECT and any(
                    ALL_BUCKETS.match(str(v)) for v in resource.get("Values") or []):
                covered |= READ_WRITE_TYPE.get(selector.get("ReadWriteType", "All"), frozenset())
    return frozenset(covered)


def _advanced_s3_objects(selector: Json) -> frozenset[str]:
    """Read/write S3 object events for every bucket that one advanced selector logs.

    Field conditions are ANDed: eventCategory Data and resources.type AWS::S3::Object select S3
    object events; readOnly narrows to reads or writes; a resources.ARN condition counts only if
    it starts with the all-buckets prefix. Any other field (eventName, a bucket ARN, a principal)
    narrows the selector to part of the events, so it does not count as "all buckets".
    """
    fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
    if "Data" not in (fields.pop("eventCategory", None) or {}).get("Equals", []):
        return frozenset()
    if S3_OBJECT not in (fields.pop("resources.type", None) or {}).get("Equals", []):
        return frozenset()
    arn = fields.pop("resources.ARN", None)
    if arn is not None and (set(arn) - {"Field", "StartsWith"}
                            or not any(ALL_BUCKETS.match(str(v).rstrip("/")) for v in arn["StartsWith"])):
        return frozenset()
    read_only = fields.pop("readOnly", None)
    if fields:
        return frozenset()
    return read_write_types(read_only)


def _s3_object_events(view: AccountView, kind: str) -> Outcome:
    """PASS as soon as one multi-region, logging trail logs `kind` S3 object events for all buckets."""
    seen: list[Json] = []
    trails, gaps = view.items("cloudtrail.trails")
    for region, trail in trails:
        summary: Json = {"Name": trail.get("Name"), "HomeRegion": trail.get("HomeRegion", region),
                         "IsMultiRegionTrail": trail.get("IsMultiRegionTrail")}
        seen.append(summary)
        if not trail.get("IsMultiRegionTrail"):
            continue
        try:
            summary["IsLogging"] = need(trail, "Status").get("IsLogging")
            basic = need(trail, "EventSelectors") or []
            advanced = need(trail, "AdvancedEventSelectors") or []
        except Missing as missing:
            gaps.append(f"{region}: trail {trail.get('Name')}: {missing}")
            continue
        covered = _basic_s3_objects(basic).union(*(_advanced_s3_objects(s) for s in advanced))
        summary["S3ObjectEvents"] = sorted(covered) or "none"
        if summary["IsLogging"] and kind in covered:
            selectors = {"EventSelectors": basic} if basic else {"AdvancedEventSelectors": advanced}
            return ok(f"Trail {trail.get('Name')} logs S3 object-level {kind} events for all buckets "
                      "in every region", evidence={**summary, **selectors})
    if gaps:
        raise Missing("cloudtrail.trails", "; ".join(gaps))
    return fail(f"No multi-region, logging trail records S3 object-level {kind} events for all buckets",
                evidence={"trails": seen})


def _field(name: str, value: str) -> str:
    return f'    field_selector {{\n      field  = "{name}"\n      equals = ["{value}"]\n    }}\n'


def _data_events_remediation(read_write: str, read_only: str) -> Remediation:
    selector = (f'{{"Name":"S3 object {read_write}","FieldSelectors":['
                '{"Field":"eventCategory","Equals":["Data"]},'
                '{"Field":"resources.type","Equals":["AWS::S3::Object"]},'
                f'{{"Field":"readOnly","Equals":["{read_only}"]}}]}}')
    management = ('{"Name":"Management events","FieldSelectors":'
                  '[{"Field":"eventCategory","Equals":["Management"]}]}')
    return Remediation(
        console=(
            "CloudTrail > Trails > select the multi-region trail > Data events > Edit",
            "Add data event type S3; log selector template: "
            + ("Log readOnly events" if read_only == "true" else "Log writeOnly events")
            + " (or Log all events), for all current and future buckets",
            "Save changes (data events are billed per event: consider the volume of busy buckets)",
        ),
        # put-event-selectors replaces the trail's selectors: keep its existing ones in the list.
        cli=f"aws cloudtrail put-event-selectors --trail-name TRAIL --advanced-event-selectors "
            f"'[{management},{selector}]'",
        terraform='resource "aws_cloudtrail" "main" {\n'
                  "  # ...\n"
                  "  advanced_event_selector {\n"
                  f'    name = "S3 object {read_write}"\n'
                  + _field("eventCategory", "Data") + _field("resources.type", "AWS::S3::Object")
                  + _field("readOnly", read_only)
                  + "  }\n"
                  "}",
    )


@check(
    "cloudtrail_s3_object_write_events_logged",
    title="A multi-region trail logs S3 object-level write events for all buckets",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=_data_events_remediation("writes", "false"),
)
def cloudtrail_s3_object_write_events_logged(account: Json, view: AccountView) -> Outcome:
    """Management events do not include PutObject, DeleteObject or CopyObject: without data
    events, who overwrote, deleted or planted an object (ransomware, a tampered artifact) is
    invisible afterwards (CIS 4.8). Basic selectors (DataResources AWS::S3::Object on arn:aws:s3)
    and advanced selectors (resources.type AWS::S3::Object, readOnly false or absent) both count."""
    return _s3_object_events(view, WRITE)


@check(
    "cloudtrail_s3_object_read_events_logged",
    title="A multi-region trail logs S3 object-level read events for all buckets",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=_data_events_remediation("reads", "true"),
)
def cloudtrail_s3_object_read_events_logged(account: Json, view: AccountView) -> Outcome:
    """Data theft from S3 is a series of GetObject calls, which management events do not record:
    without read data events a leak cannot be confirmed, scoped to objects or attributed to a
    principal (CIS 4.9). Basic and advanced selectors both count, as for writes."""
    return _s3_object_events(view, READ)
