"""Logging checks for access records: flow logs, trail bucket, S3 data events, web front-ends."""

from __future__ import annotations

import pytest

from awsaudit.checks.logging.access_logs import logs_web_frontend_access_logging, vpc_flow_logs_enabled
from awsaudit.checks.logging.cloudtrail import (
    cloudtrail_bucket_access_logging,
    cloudtrail_bucket_not_public,
    cloudtrail_s3_object_read_events_logged,
    cloudtrail_s3_object_write_events_logged,
)
from awsaudit.model import Json, Status
from tests.checks.cases import Case

EU, US = "eu-west-1", "us-east-1"
ACCOUNT_ID = "123456789012"
VPC = "vpc-0prod"
FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
BLOCKED, OPEN = dict.fromkeys(FIELDS, True), dict.fromkeys(FIELDS, False)
ALL_USERS = {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
             "Permission": "READ"}
LOGGING = {"TargetBucket": "acme-s3-access-logs", "TargetPrefix": "cloudtrail/"}


def vpc() -> Json:
    return {"_arn": f"arn:aws:ec2:{EU}:{ACCOUNT_ID}:vpc/{VPC}", "VpcId": VPC, "IsDefault": False}


def flow_log(status: str = "ACTIVE", resource: str = VPC, **extra: str) -> Json:
    return {"FlowLogId": "fl-1", "ResourceId": resource, "FlowLogStatus": status, "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs", "DeliverLogsStatus": "SUCCESS", **extra}


def ec2(**collections: object) -> Json:
    return {"regions": {EU: {"ec2": collections}}}


def trail(name: str = "acme-org-trail", bucket: str = "acme-trail-logs") -> Json:
    return {"Name": name, "S3BucketName": bucket,
            "_arn": f"arn:aws:cloudtrail:{EU}:{ACCOUNT_ID}:trail/{name}"}


def trail_bucket(**fields: object) -> Json:
    return {"Name": "acme-trail-logs", "_arn": "arn:aws:s3:::acme-trail-logs", "_region": EU,
            "EffectivePublicAccessBlock": BLOCKED, "Acl": {"Grants": []}, "Policy": None, "Logging": None,
            **fields}


def s3(*buckets: Json) -> Json:
    return {"global": {"s3": {"buckets": list(buckets)}}}


def trails(*found: Json, region: str = EU, **regions: object) -> Json:
    return {"regions": {region: {"cloudtrail": {"trails": list(found)}}, **regions}}


def data_trail(basic: object = None, advanced: object = None, multi: bool = True,
               logging: bool = True) -> Json:
    return {"Name": "acme-org-trail", "HomeRegion": EU, "IsMultiRegionTrail": multi,
            "Status": {"IsLogging": logging}, "EventSelectors": basic, "AdvancedEventSelectors": advanced}


def basic(read_write: str = "All", values: tuple[str, ...] = ("arn:aws:s3",),
          kind: str = "AWS::S3::Object") -> list[Json]:
    return [{"ReadWriteType": read_write, "IncludeManagementEvents": True,
             "DataResources": [{"Type": kind, "Values": list(values)}]}]


def advanced(*extra: Json, category: str = "Data", kind: str = "AWS::S3::Object") -> list[Json]:
    return [{"Name": "Management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {"Name": "S3", "FieldSelectors": [{"Field": "eventCategory", "Equals": [category]},
                                              {"Field": "resources.type", "Equals": [kind]}, *extra]}]


def read_only(value: str, operator: str = "Equals") -> Json:
    return {"Field": "readOnly", operator: [value]}


def interfaces(*descriptions: str) -> Json:
    return {"regions": {EU: {"ec2": {"network_interfaces": [{"Description": d} for d in descriptions]}},
                        US: {"ec2": {"network_interfaces": []}}}}


WRITE, READ = cloudtrail_s3_object_write_events_logged, cloudtrail_s3_object_read_events_logged
NO_GAPS: dict[str, object] = {US: {"cloudtrail": {"trails": []}}}

CASES = [
    # LOG-6 / CIS 4.7: flow logs
    Case(vpc_flow_logs_enabled, Status.PASS, "active", vpc(), ec2(flow_logs=[flow_log()])),
    Case(vpc_flow_logs_enabled, Status.PASS, "one-of-two-active", vpc(),
         ec2(flow_logs=[flow_log("INACTIVE"), {**flow_log(), "FlowLogId": "fl-2", "TrafficType": "REJECT"}])),
    Case(vpc_flow_logs_enabled, Status.FAIL, "none", vpc(),
         ec2(flow_logs=[], network_interfaces=[{"VpcId": VPC}])),
    Case(vpc_flow_logs_enabled, Status.FAIL, "other-vpc-and-subnet", vpc(),
         ec2(flow_logs=[flow_log(resource="vpc-0other"), flow_log(resource="subnet-0a")])),
    Case(vpc_flow_logs_enabled, Status.FAIL, "delivery-failing", vpc(),
         ec2(flow_logs=[flow_log(DeliverLogsStatus="FAILED", DeliverLogsErrorMessage="Access error")])),
    Case(vpc_flow_logs_enabled, Status.UNKNOWN, "flow-logs-denied", vpc(),
         ec2(_errors={"flow_logs": "AccessDenied"})),
    Case(vpc_flow_logs_enabled, Status.UNKNOWN, "region-not-collected", vpc(), {"regions": {}}),
    # LOG-2 / CIS 4.4: trail bucket access logging
    Case(cloudtrail_bucket_access_logging, Status.PASS, "logged", trail(), s3(trail_bucket(Logging=LOGGING))),
    Case(cloudtrail_bucket_access_logging, Status.FAIL, "not-logged", trail(), s3(trail_bucket())),
    Case(cloudtrail_bucket_access_logging, Status.UNKNOWN, "bucket-elsewhere",
         trail(bucket="org-log-archive"), s3(trail_bucket())),
    Case(cloudtrail_bucket_access_logging, Status.UNKNOWN, "logging-denied", trail(),
         s3({**{k: v for k, v in trail_bucket().items() if k != "Logging"},
             "_errors": {"Logging": "AccessDenied"}})),
    Case(cloudtrail_bucket_access_logging, Status.UNKNOWN, "buckets-denied", trail(),
         {"global": {"s3": {"_errors": {"buckets": "AccessDenied"}}}}),
    Case(cloudtrail_bucket_access_logging, Status.UNKNOWN, "s3-not-collected", trail(), {"global": {}}),
    # LOG-2: trail bucket not public
    Case(cloudtrail_bucket_not_public, Status.PASS, "blocked", trail(), s3(trail_bucket())),
    Case(cloudtrail_bucket_not_public, Status.PASS, "open-block-but-private", trail(),
         s3(trail_bucket(EffectivePublicAccessBlock=OPEN))),
    Case(cloudtrail_bucket_not_public, Status.FAIL, "public-acl", trail(),
         s3(trail_bucket(EffectivePublicAccessBlock=OPEN, Acl={"Grants": [ALL_USERS]}))),
    Case(cloudtrail_bucket_not_public, Status.FAIL, "public-policy", trail(),
         s3(trail_bucket(EffectivePublicAccessBlock=OPEN, Policy={"Statement": [
             {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}))),
    Case(cloudtrail_bucket_not_public, Status.UNKNOWN, "bucket-elsewhere", trail(bucket="org-log-archive"),
         s3(trail_bucket())),
    Case(cloudtrail_bucket_not_public, Status.UNKNOWN, "acl-denied", trail(),
         s3({**{k: v for k, v in trail_bucket(EffectivePublicAccessBlock=OPEN).items() if k != "Acl"},
             "_errors": {"Acl": "AccessDenied"}})),
    # CIS 4.8: S3 object writes
    Case(WRITE, Status.PASS, "basic-all", trails(data_trail(basic()), **NO_GAPS)),
    Case(WRITE, Status.PASS, "basic-write-only-arn-with-colons",
         trails(data_trail(basic("WriteOnly", ("arn:aws:s3:::",))), **NO_GAPS)),
    Case(WRITE, Status.PASS, "advanced-no-read-only", trails(data_trail(advanced=advanced()), **NO_GAPS)),
    Case(WRITE, Status.PASS, "advanced-read-only-false",
         trails(data_trail(advanced=advanced(read_only("false"))), **NO_GAPS)),
    Case(WRITE, Status.PASS, "advanced-arn-prefix-all-buckets",
         trails(data_trail(advanced=advanced({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::"]})),
                **NO_GAPS)),
    Case(WRITE, Status.PASS, "found-despite-gap",
         trails(data_trail(basic()), **{US: {"cloudtrail": {"_errors": {"trails": "AccessDenied"}}}})),
    Case(WRITE, Status.FAIL, "basic-read-only", trails(data_trail(basic("ReadOnly")), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "basic-one-bucket",
         trails(data_trail(basic(values=("arn:aws:s3:::acme-data/",))), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "basic-lambda",
         trails(data_trail(basic(kind="AWS::Lambda::Function")), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "advanced-one-bucket",
         trails(data_trail(advanced=advanced(
             {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::acme-data/"]})), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "advanced-event-name",
         trails(data_trail(advanced=advanced({"Field": "eventName", "Equals": ["PutObject"]})), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "advanced-read-only-true",
         trails(data_trail(advanced=advanced(read_only("true"))), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "single-region-trail", trails(data_trail(basic(), multi=False), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "not-logging", trails(data_trail(basic(), logging=False), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "management-only", trails(data_trail(), **NO_GAPS)),
    Case(WRITE, Status.FAIL, "no-trails", trails(**NO_GAPS)),
    Case(WRITE, Status.UNKNOWN, "region-denied",
         trails(data_trail(), **{US: {"cloudtrail": {"_errors": {"trails": "AccessDenied"}}}})),
    Case(WRITE, Status.UNKNOWN, "selectors-denied",
         trails({**{k: v for k, v in data_trail().items() if k != "EventSelectors"},
                 "_errors": {"EventSelectors": "AccessDenied"}}, **NO_GAPS)),
    Case(WRITE, Status.UNKNOWN, "nothing-scanned", {"regions": {}}),
    # CIS 4.9: S3 object reads
    Case(READ, Status.PASS, "basic-read-only", trails(data_trail(basic("ReadOnly")), **NO_GAPS)),
    Case(READ, Status.PASS, "advanced-read-only-true",
         trails(data_trail(advanced=advanced(read_only("true"))), **NO_GAPS)),
    Case(READ, Status.PASS, "advanced-not-equals-false",
         trails(data_trail(advanced=advanced(read_only("false", "NotEquals"))), **NO_GAPS)),
    Case(READ, Status.FAIL, "basic-write-only", trails(data_trail(basic("WriteOnly")), **NO_GAPS)),
    Case(READ, Status.FAIL, "advanced-management",
         trails(data_trail(advanced=advanced(category="Management")), **NO_GAPS)),
    Case(READ, Status.UNKNOWN, "status-denied",
         trails({**{k: v for k, v in data_trail(basic()).items() if k != "Status"},
                 "_errors": {"Status": "AccessDenied"}}, **NO_GAPS)),
    # CIS 4.10: web front-ends
    Case(logs_web_frontend_access_logging, Status.MANUAL, "load-balancers-seen",
         interfaces("ELB app/acme-web/50dc6c495c0c9188", "Primary network interface")),
    Case(logs_web_frontend_access_logging, Status.MANUAL, "none-seen", interfaces()),
    Case(logs_web_frontend_access_logging, Status.UNKNOWN, "interfaces-denied",
         {"regions": {EU: {"ec2": {"_errors": {"network_interfaces": "AccessDenied"}}}}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_result_has_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    assert outcome.status is Status.UNKNOWN or outcome.evidence


def test_messages() -> None:
    outcome = vpc_flow_logs_enabled.evaluate(vpc(), ec2(flow_logs=[], network_interfaces=[{"VpcId": VPC}]))
    assert outcome.message == "No active flow log on the VPC (1 network interface(s) in it)"
    outcome = vpc_flow_logs_enabled.evaluate(vpc(), ec2(flow_logs=[], network_interfaces=[]))
    assert outcome.message == "No active flow log on the VPC (no network interface: unused)"
    outcome = cloudtrail_bucket_access_logging.evaluate(trail(bucket="org-log-archive"), s3(trail_bucket()))
    assert "org-log-archive is not one of this account's buckets" in outcome.message
    outcome = cloudtrail_bucket_not_public.evaluate(
        trail(), s3(trail_bucket(EffectivePublicAccessBlock=OPEN, Acl={"Grants": [ALL_USERS]})))
    assert outcome.message == "Trail bucket acme-trail-logs is public: ACL grants READ to AllUsers"
    outcome = WRITE.evaluate(trails(data_trail(basic("ReadOnly")), **NO_GAPS))
    assert outcome.evidence == {"trails": [{"Name": "acme-org-trail", "HomeRegion": EU,
                                            "IsMultiRegionTrail": True, "IsLogging": True,
                                            "S3ObjectEvents": ["read"]}]}
    outcome = logs_web_frontend_access_logging.evaluate(
        interfaces("ELB app/acme-web/50dc", "ELB net/acme-nlb/1"))
    assert "eu-west-1: app/acme-web/50dc, net/acme-nlb/1" in outcome.message
