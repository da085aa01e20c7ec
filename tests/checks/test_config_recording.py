"""AWS Config checks: per-region recording (strategies, status, delivery) and global IAM types."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.logging.config import config_global_resources_recorded, config_recorder_enabled
from awsaudit.model import Json, Status
from tests.checks.cases import Case

ALL = {"allSupported": True, "includeGlobalResourceTypes": False, "resourceTypes": []}
ALL_GLOBAL = {**ALL, "includeGlobalResourceTypes": True}
RUNNING = {"name": "default", "recording": True, "lastStatus": "SUCCESS"}
CHANNEL = {"name": "default", "s3BucketName": "acme-config"}
IAM = ["AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"]


def recorder(group: Json | None = None, status: Json | None = RUNNING, **extra: Any) -> Json:
    return {"name": "default", "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": ALL if group is None else group, "Status": status, **extra}


def region(*recorders: Json, channels: list[Json] | None = None) -> Json:
    return {"_arn": "arn:aws:config:eu-west-1:123456789012:region",
            "ConfigurationRecorders": list(recorders),
            "DeliveryChannels": [CHANNEL] if channels is None else channels}


def denied_status() -> Json:
    left = {k: v for k, v in recorder().items() if k != "Status"}
    return {**left, "_errors": {"Status": "AccessDeniedException"}}


def account(**regions: Json | None) -> Json:
    """regions: name -> config region document; None = config not collected there."""
    return {"regions": {name.replace("_", "-"): ({} if doc is None else {"config": {"region": doc}})
                        for name, doc in regions.items()}}


ENABLED, GLOBAL = config_recorder_enabled, config_global_resources_recorded
EXCLUDING_EC2 = {"allSupported": False, "includeGlobalResourceTypes": False,
                 "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Instance"]},
                 "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}

CASES = [
    Case(ENABLED, Status.PASS, "all-supported", region(recorder())),
    Case(ENABLED, Status.PASS, "all-supported-strategy", region(recorder(
        {"allSupported": True, "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}))),
    Case(ENABLED, Status.PASS, "service-linked-recorder-besides",
         region(recorder({"allSupported": False, "resourceTypes": ["AWS::EC2::Instance"]}, name="slr"),
                recorder())),
    Case(ENABLED, Status.FAIL, "no-recorder", region(channels=[])),
    Case(ENABLED, Status.FAIL, "selected-types", region(recorder(
        {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"],
         "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}}))),
    Case(ENABLED, Status.FAIL, "exclusions", region(recorder(EXCLUDING_EC2))),
    Case(ENABLED, Status.FAIL, "stopped", region(recorder(status={"name": "default", "recording": False}))),
    Case(ENABLED, Status.FAIL, "last-recording-failed", region(recorder(status={
        **RUNNING, "lastStatus": "FAILURE", "lastErrorCode": "AccessDenied"}))),
    Case(ENABLED, Status.FAIL, "no-status-reported", region(recorder(status=None))),
    Case(ENABLED, Status.FAIL, "no-delivery-channel", region(recorder(), channels=[])),
    Case(ENABLED, Status.UNKNOWN, "recorders-denied",
         {"DeliveryChannels": [], "_errors": {"ConfigurationRecorders": "AccessDeniedException"}}),
    Case(ENABLED, Status.UNKNOWN, "channels-denied",
         {"ConfigurationRecorders": [recorder()], "_errors": {"DeliveryChannels": "AccessDeniedException"}}),
    Case(ENABLED, Status.UNKNOWN, "status-denied", region(denied_status())),

    Case(GLOBAL, Status.PASS, "home-region-records-global", account(
        eu_west_1=region(recorder(ALL_GLOBAL)), us_east_1=region())),
    Case(GLOBAL, Status.PASS, "one-region-enough-despite-gap-elsewhere", account(
        eu_west_1=region(recorder(ALL_GLOBAL)), us_east_1=None)),
    Case(GLOBAL, Status.PASS, "iam-types-selected", account(eu_west_1=region(recorder(
        {"allSupported": False, "resourceTypes": IAM,
         "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}})))),
    Case(GLOBAL, Status.PASS, "exclusion-keeps-iam", account(eu_west_1=region(recorder(EXCLUDING_EC2)))),
    Case(GLOBAL, Status.FAIL, "no-recorder-anywhere", account(eu_west_1=region(), us_east_1=region())),
    Case(GLOBAL, Status.FAIL, "global-not-included", account(eu_west_1=region(recorder(ALL)))),
    Case(GLOBAL, Status.FAIL, "global-on-stopped-recorder", account(eu_west_1=region(recorder(
        ALL_GLOBAL, status={"name": "default", "recording": False})))),
    Case(GLOBAL, Status.FAIL, "global-only-in-a-region-that-cannot", account(
        eu_central_2=region(recorder(ALL_GLOBAL)), eu_west_1=region(recorder(ALL)))),
    Case(GLOBAL, Status.FAIL, "iam-excluded", account(eu_west_1=region(recorder({
        **EXCLUDING_EC2, "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::Role"]}})))),
    Case(GLOBAL, Status.UNKNOWN, "other-region-not-collected", account(
        eu_west_1=region(recorder(ALL)), us_east_1=None)),
    Case(GLOBAL, Status.UNKNOWN, "recorders-denied", account(
        eu_west_1={"_errors": {"ConfigurationRecorders": "AccessDeniedException"}})),
    Case(GLOBAL, Status.UNKNOWN, "no-region-scanned", {"regions": {}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_messages_say_what_is_wrong_and_where() -> None:
    stopped = ENABLED.evaluate(region(recorder(EXCLUDING_EC2, status={"recording": False})))
    assert "all resource types except 1 excluded and is stopped" in stopped.message
    assert stopped.evidence["ConfigurationRecorders"][0]["Status"] == {"recording": False}
    assert "s3://acme-config" in ENABLED.evaluate(region(recorder())).message
    cannot = GLOBAL.evaluate(account(eu_central_2=region(recorder(ALL_GLOBAL))))
    assert cannot.evidence["ConfigurationRecorders"][0]["note"].startswith("Config cannot record")
    denied = ENABLED.evaluate(region(denied_status()))
    assert "AccessDeniedException" in denied.message
