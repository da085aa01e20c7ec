"""Logging checks: CloudTrail multi-region coverage, KMS encryption and log file validation."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.logging.cloudtrail import (
    cloudtrail_log_file_validation_enabled,
    cloudtrail_multi_region_trail_logging,
    cloudtrail_trail_kms_encrypted,
)
from awsaudit.model import Json, Status
from tests.checks.cases import Case

HOME, OTHER = "eu-west-1", "us-east-1"
ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]
MANAGEMENT_ADVANCED = [{"Name": "Management events",
                        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
S3_DATA_ONLY_ADVANCED = [{"Name": "S3 data", "FieldSelectors": [
    {"Field": "eventCategory", "Equals": ["Data"]},
    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
]}]


def trail(name: str = "org-trail", *, multi: bool = True, logging: bool = True, **extra: Any) -> Json:
    """A collected trail; selectors default to the explicit 'all management events' selector."""
    data: Json = {
        "Name": name, "HomeRegion": HOME, "IsMultiRegionTrail": multi, "IsOrganizationTrail": False,
        "TrailARN": f"arn:aws:cloudtrail:{HOME}:123456789012:trail/{name}",
        "Status": {"IsLogging": logging},
        "EventSelectors": ALL_MANAGEMENT, "AdvancedEventSelectors": [],
    }
    data.update(extra)
    return data


def without(data: Json, *keys: str, code: str = "AccessDenied") -> Json:
    """The trail as a denied follow-up call leaves it: keys absent, reasons in _errors."""
    left = {k: v for k, v in data.items() if k not in keys}
    left["_errors"] = dict.fromkeys(keys, code)
    return left


def account(*regions: tuple[str, Json | None]) -> Json:
    """An account document; a region given None had no cloudtrail data at all."""
    return {"regions": {r: ({} if d is None else {"cloudtrail": d}) for r, d in regions}}


def trails(*items: Json) -> Json:
    return {"trails": list(items)}


DENIED: Json = {"_errors": {"trails": "AccessDenied"}}
MULTI = cloudtrail_multi_region_trail_logging
KMS = cloudtrail_trail_kms_encrypted
VALIDATION = cloudtrail_log_file_validation_enabled

CASES = [
    # --- LOG-1 / CIS 4.1: one multi-region trail, logging, read+write management events
    Case(MULTI, Status.PASS, "explicit-all-management",
         account((HOME, trails(trail())), (OTHER, trails()))),
    Case(MULTI, Status.PASS, "no-selectors-default-all",
         account((HOME, trails(trail(EventSelectors=None, AdvancedEventSelectors=None))))),
    Case(MULTI, Status.PASS, "empty-selectors-default-all",
         account((HOME, trails(trail(EventSelectors=[], AdvancedEventSelectors=[]))))),
    Case(MULTI, Status.PASS, "advanced-management",
         account((HOME, trails(trail(EventSelectors=None, AdvancedEventSelectors=MANAGEMENT_ADVANCED))))),
    Case(MULTI, Status.PASS, "advanced-read-and-write-selectors",
         account((HOME, trails(trail(EventSelectors=None, AdvancedEventSelectors=[
             {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                 {"Field": "readOnly", "Equals": ["true"]}]},
             {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                 {"Field": "readOnly", "NotEquals": ["true"]}]},
         ]))))),
    Case(MULTI, Status.PASS, "read-only-plus-write-only-selectors",
         account((HOME, trails(trail(EventSelectors=[
             {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True},
             {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True},
         ]))))),
    Case(MULTI, Status.PASS, "kms-events-excluded-still-ok",
         account((HOME, trails(trail(EventSelectors=[
             {**ALL_MANAGEMENT[0], "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]))))),
    Case(MULTI, Status.PASS, "qualifying-trail-outweighs-other-gaps",
         account((HOME, trails(trail())), (OTHER, DENIED), ("eu-central-1", None))),
    Case(MULTI, Status.PASS, "single-region-status-gap-irrelevant",
         account((HOME, trails(without(trail("local", multi=False), "Status"), trail())))),
    Case(MULTI, Status.FAIL, "no-trail-anywhere", account((HOME, trails()), (OTHER, trails()))),
    Case(MULTI, Status.FAIL, "only-single-region-trails",
         account((HOME, trails(trail("local", multi=False))), (OTHER, trails(trail("us", multi=False))))),
    Case(MULTI, Status.FAIL, "multi-region-not-logging", account((HOME, trails(trail(logging=False))))),
    Case(MULTI, Status.FAIL, "write-only",
         account((HOME, trails(trail(EventSelectors=[
             {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]))))),
    Case(MULTI, Status.FAIL, "data-events-only",
         account((HOME, trails(trail(EventSelectors=[
             {"ReadWriteType": "All", "IncludeManagementEvents": False,
              "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]))))),
    Case(MULTI, Status.FAIL, "advanced-data-only",
         account((HOME, trails(trail(EventSelectors=None, AdvancedEventSelectors=S3_DATA_ONLY_ADVANCED))))),
    Case(MULTI, Status.FAIL, "advanced-read-only",
         account((HOME, trails(trail(EventSelectors=None, AdvancedEventSelectors=[
             {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                 {"Field": "readOnly", "Equals": ["true"]}]}]))))),
    Case(MULTI, Status.UNKNOWN, "region-trails-denied", account((HOME, trails()), (OTHER, DENIED))),
    Case(MULTI, Status.UNKNOWN, "collector-crashed",
         account((HOME, trails()), (OTHER, {"_errors": {"*": "CollectorError: KeyError"}}))),
    Case(MULTI, Status.UNKNOWN, "region-not-collected", account((HOME, trails()), (OTHER, None))),
    Case(MULTI, Status.UNKNOWN, "status-denied", account((HOME, trails(without(trail(), "Status"))))),
    Case(MULTI, Status.UNKNOWN, "selectors-denied",
         account((HOME, trails(without(trail(), "EventSelectors", "AdvancedEventSelectors"))))),
    Case(MULTI, Status.UNKNOWN, "no-region-scanned", {"regions": {}}),
    # --- LOG-3 / CIS 4.5
    Case(KMS, Status.PASS, "cmk", trail(KmsKeyId="arn:aws:kms:eu-west-1:123456789012:key/1234abcd")),
    Case(KMS, Status.FAIL, "no-key", trail(KmsKeyId=None)),
    Case(KMS, Status.UNKNOWN, "not-collected", without(trail(), "KmsKeyId")),
    # --- CIS 4.2
    Case(VALIDATION, Status.PASS, "enabled", trail(LogFileValidationEnabled=True)),
    Case(VALIDATION, Status.FAIL, "disabled", trail(LogFileValidationEnabled=False)),
    Case(VALIDATION, Status.UNKNOWN, "not-collected", without(trail(), "LogFileValidationEnabled")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_decisions_carry_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    if outcome.status is not Status.UNKNOWN:
        assert outcome.evidence


def test_unknown_names_the_regions_and_reasons() -> None:
    doc = account((HOME, trails(without(trail(), "Status"))), (OTHER, DENIED), ("eu-central-1", None))
    message = MULTI.evaluate(doc).message
    assert f"{HOME}: trail org-trail: Status not collected: AccessDenied" in message
    assert f"cloudtrail.trails in {OTHER}: AccessDenied" in message
    assert "cloudtrail.trails in eu-central-1: cloudtrail was not collected" in message


def test_fail_evidence_lists_the_trails_seen() -> None:
    doc = account((HOME, trails(trail(logging=False), trail("local", multi=False))),
                  (OTHER, trails(trail("writes", EventSelectors=[
                      {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]))))
    outcome = MULTI.evaluate(doc)
    assert outcome.status is Status.FAIL
    seen = {t["Name"]: t for t in outcome.evidence["trails"]}
    assert seen["org-trail"]["IsLogging"] is False
    assert seen["local"]["IsMultiRegionTrail"] is False
    assert seen["writes"]["ManagementEvents"] == ["write"]


def test_pass_names_the_trail_and_its_selectors() -> None:
    outcome = MULTI.evaluate(account((HOME, trails(trail("acme-org-trail")))))
    assert "acme-org-trail" in outcome.message
    assert outcome.evidence["EventSelectors"] == ALL_MANAGEMENT
    assert outcome.evidence["IsLogging"] is True
