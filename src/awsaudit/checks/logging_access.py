"""Logging checks for access records: VPC flow logs, S3 object-level events in CloudTrail, the trail
bucket's own protection and access log, and access logs of web front-ends."""

from __future__ import annotations

import re

from awsaudit.checks._registry import ACCOUNT, Missing, check, need, worst
from awsaudit.checks._view import AccountView
from awsaudit.checks.logging import READ, READ_WRITE_TYPE, WRITE, read_write_types
from awsaudit.checks.network_vpc import regional
from awsaudit.checks.s3 import s3_bucket_no_public_read
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, Status, fail, manual, ok, unknown

AREA = "logging"

S3_OBJECT = "AWS::S3::Object"
ALL_BUCKETS = re.compile(r"^arn:[a-z-]+:s3(:::)?$")
"""The DataResources value (and advanced resources.ARN prefix) meaning "every bucket": arn:aws:s3[:::]."""


# --- LOG-6 / CIS 4.7: VPC flow logs ---------------------------------------------------------------

def _interface_count(vpc: Json, account: Json) -> int | None:
    """Network interfaces in the VPC (None when unknown): context for the message, never the verdict."""
    try:
        interfaces = regional(vpc, account, "ec2", "network_interfaces")
    except Missing:
        return None
    return sum(1 for i in interfaces if i.get("VpcId") == vpc.get("VpcId"))


@check(
    "vpc_flow_logs_enabled",
    title="VPC flow logs are enabled for the VPC",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="ec2.vpcs",
    remediation=Remediation(
        console=(
            "VPC console > Your VPCs > select {VpcId} > Flow logs > Create flow log",
            "Filter: All (at least Reject); destination: a CloudWatch Logs group (with an IAM role that "
            "vpc-flow-logs.amazonaws.com can assume) or an S3 bucket",
            "Create; check after a few minutes that the flow log's status is Active and delivery succeeds",
        ),
        cli="aws ec2 create-flow-logs --resource-type VPC --resource-ids {VpcId} --traffic-type ALL "
            "--log-destination-type s3 --log-destination arn:aws:s3:::FLOW_LOG_BUCKET/",
        terraform='resource "aws_flow_log" "vpc" {\n'
                  "  vpc_id               = aws_vpc.main.id\n"
                  '  traffic_type         = "ALL"\n'
                  '  log_destination_type = "s3"\n'
                  "  log_destination      = aws_s3_bucket.flow_logs.arn\n"
                  "}",
    ),
)
def vpc_flow_logs_enabled(vpc: Json, account: Json) -> Outcome:
    """Flow logs are the only record of which addresses talked to which, on which ports: without
    them an intrusion, a port scan or data leaving through an unexpected path cannot be traced or
    scoped afterwards (LOG-6, CIS 4.7).

    A flow log on the VPC itself counts (subnet or interface flow logs cover only part of it);
    it must be active and not failing delivery. Any traffic type (ALL, REJECT, ACCEPT) passes and
    is shown. Every VPC is judged, also an unused one: the message says whether it holds network
    interfaces (deleting an unused default VPC is also a fix).
    """
    vpc_id = vpc.get("VpcId")
    logs = [f for f in regional(vpc, account, "ec2", "flow_logs") if f.get("ResourceId") == vpc_id]
    evidence = {"VpcId": vpc_id, "IsDefault": vpc.get("IsDefault"), "FlowLogs": [
        {key: f.get(key) for key in ("FlowLogId", "FlowLogStatus", "TrafficType", "LogDestinationType",
                                     "LogDestination", "LogGroupName", "DeliverLogsStatus")} for f in logs]}
    active = [f for f in logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
    delivering = [f for f in active if f.get("DeliverLogsStatus") != "FAILED"]
    if delivering:
        first = delivering[0]
        return ok(f"Flow log {first.get('FlowLogId')} records {first.get('TrafficType')} traffic",
                  evidence=evidence)
    if active:
        return fail(f"Flow log {active[0].get('FlowLogId')} fails to deliver: "
                    f"{active[0].get('DeliverLogsErrorMessage', 'no reason given')}", evidence=evidence)
    count = _interface_count(vpc, account)
    use = ("" if count is None else
           f" ({count} network interface(s) in it)" if count else " (no network interface: unused)")
    return fail(f"No active flow log on the VPC{use}", evidence={**evidence, "NetworkInterfaces": count})


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


# --- CIS 4.10: web front-ends ---------------------------------------------------------------------

def _load_balancers(view: AccountView) -> dict[str, list[str]]:
    """Load balancers seen through their network interfaces ("ELB app/NAME/ID"), per region."""
    found: dict[str, list[str]] = {}
    for region, interface in view.all("ec2.network_interfaces"):
        description = str(interface.get("Description", ""))
        if description.startswith("ELB "):
            found.setdefault(region, []).append(description.removeprefix("ELB "))
    return {region: sorted(set(names)) for region, names in found.items()}


@check(
    "logs_web_frontend_access_logging",
    title="Web front-ends (CloudFront, load balancers, API Gateway) have access logging enabled",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=Remediation(
        console=(
            "EC2 > Load Balancers > select each > Attributes > Edit: Access logs on, to an S3 bucket",
            "CloudFront > Distributions > each > Logging: standard logging on (or real-time logs)",
            "API Gateway > APIs > each stage > Logs and tracing: access logging on, to a log group",
        ),
        cli="aws elbv2 modify-load-balancer-attributes --load-balancer-arn LB_ARN --attributes "
            "Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=ACCESS_LOG_BUCKET",
        terraform='resource "aws_lb" "web" {\n'
                  "  # ...\n"
                  "  access_logs {\n"
                  "    bucket  = aws_s3_bucket.access_logs.id\n"
                  "    enabled = true\n"
                  "  }\n"
                  "}",
    ),
)
def logs_web_frontend_access_logging(account: Json, view: AccountView) -> Outcome:
    """Access logs of the internet-facing entry points record every request with client address,
    path, status and user agent: the evidence for web attacks, credential stuffing and abuse that
    CloudTrail never sees (CIS 4.10). Their settings (load balancer attributes, CloudFront and API
    Gateway configuration) are not collected yet, so this is for the auditor to review; the load
    balancers seen in the VPCs (through their network interfaces) are listed as a starting point."""
    balancers = _load_balancers(view)
    seen = "; ".join(f"{region}: {', '.join(names)}" for region, names in balancers.items())
    return manual("Review access logging on every load balancer"
                  + (f" ({seen})" if seen else " (none seen in the VPCs)")
                  + ", CloudFront distribution and API Gateway stage (not collected by this scan)",
                  evidence={"LoadBalancers": balancers})
