"""S3 hardening checks: HTTPS only, MFA Delete, Macie, configuration reviewed between scans."""

from __future__ import annotations

import datetime as dt

import pytest

from awsaudit.checks._view import AccountView
from awsaudit.checks.s3.hardening import (
    NO_HISTORY,
    configuration_fingerprints,
    s3_bucket_configuration_reviewed,
    s3_bucket_denies_http,
    s3_bucket_mfa_delete_enabled,
    s3_macie_data_discovery,
)
from awsaudit.model import Json, Status
from awsaudit.settings import Settings
from tests.checks.cases import Case

ARN = "arn:aws:s3:::acme-data"
INSECURE = {"Bool": {"aws:SecureTransport": "false"}}


def deny(condition: object = INSECURE, action: object = "s3:*", resource: object = (ARN, f"{ARN}/*"),
         principal: object = "*", **extra: object) -> Json:
    stmt: Json = {"Effect": "Deny", "Principal": principal, "Action": action,
                  "Resource": list(resource) if isinstance(resource, tuple) else resource, **extra}
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


ALLOW_APP = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
             "Action": "s3:GetObject", "Resource": f"{ARN}/*"}


def policy(*statements: Json) -> Json:
    return {"Name": "acme-data", "_arn": ARN,
            "Policy": {"Version": "2012-10-17", "Statement": list(statements)}}


def versioning(**fields: str) -> Json:
    return {"Name": "acme-data", "Versioning": fields}


def account(buckets: object, **regions: object) -> Json:
    s3: Json = {"buckets": buckets} if buckets is not None else {"_errors": {"buckets": "AccessDenied"}}
    return {"global": {"s3": s3}, "regions": {r: {"macie2": {"session": {"MacieSession": session}}}
                                              for r, session in regions.items()}}


def located(*regions: str) -> list[Json]:
    return [{"Name": f"b{i}", "_region": r} for i, r in enumerate(regions)]


ENABLED, PAUSED = {"status": "ENABLED"}, {"status": "PAUSED"}

CONFIG: Json = {"Name": "acme-data", "Acl": {"Grants": []}, "Policy": None, "PublicAccessBlock": None,
                "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "Versioning": {"Status": "Enabled"}, "Logging": None, "OwnershipControls": None}
PRINTS = configuration_fingerprints(CONFIG)
CHANGED = {**CONFIG, "Policy": {"Statement": [ALLOW_APP]}}


NOW = dt.datetime(2026, 5, 20, 8, 0, tzinfo=dt.UTC)
LONG_AGO = "2026-01-01T08:00:00+00:00"  # 139 days before NOW: beyond the 90-day review interval


def previous(config: Json, scanned_at: str = "2026-05-01T08:00:00+00:00") -> Json:
    return {"scanned_at": scanned_at, "configuration": config}


HTTP, MFA = s3_bucket_denies_http, s3_bucket_mfa_delete_enabled
MACIE, REVIEWED = s3_macie_data_discovery, s3_bucket_configuration_reviewed
EU, US = "eu-west-1", "us-east-1"
NOT_PRINCIPAL = {k: v for k, v in deny().items() if k != "Principal"} | {"NotPrincipal": {"AWS": "arn:x"}}

CASES = [
    # CIS 3.1.1: HTTPS only
    Case(HTTP, Status.PASS, "cis-statement", policy(ALLOW_APP, deny())),
    Case(HTTP, Status.PASS, "two-statements-bool-value",
         policy(deny({"Bool": {"aws:SecureTransport": False}}, resource=ARN),
                deny({"Bool": {"aws:SecureTransport": False}}, resource=f"{ARN}/*"))),
    Case(HTTP, Status.PASS, "aws-star-bool-if-exists-wildcards",
         policy(deny({"BoolIfExists": {"aws:securetransport": ["false"]}}, action="*",
                     resource="arn:aws:s3:::acme-*", principal={"AWS": ["*"]}))),
    Case(HTTP, Status.FAIL, "no-policy", {"Name": "acme-data", "_arn": ARN, "Policy": None}),
    Case(HTTP, Status.FAIL, "no-deny", policy(ALLOW_APP)),
    Case(HTTP, Status.FAIL, "objects-only", policy(deny(resource=f"{ARN}/*"))),
    Case(HTTP, Status.FAIL, "one-prefix-only", policy(deny(resource=(ARN, f"{ARN}/public/*")))),
    Case(HTTP, Status.FAIL, "get-object-only", policy(deny(action="s3:GetObject"))),
    Case(HTTP, Status.FAIL, "tls-version-only", policy(deny({"NumericLessThan": {"s3:TlsVersion": "1.2"}}))),
    Case(HTTP, Status.FAIL, "narrowed-by-ip",
         policy(deny({**INSECURE, "IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}))),
    Case(HTTP, Status.FAIL, "allow-with-secure-transport-true",
         policy({**deny({"Bool": {"aws:SecureTransport": "true"}}), "Effect": "Allow"})),
    Case(HTTP, Status.FAIL, "not-principal", policy(NOT_PRINCIPAL)),
    Case(HTTP, Status.UNKNOWN, "policy-denied", {"Name": "b", "_errors": {"Policy": "AccessDenied"}}),
    # CIS 3.1.2: MFA Delete
    Case(MFA, Status.PASS, "enabled", versioning(Status="Enabled", MFADelete="Enabled")),
    Case(MFA, Status.FAIL, "versioning-only", versioning(Status="Enabled", MFADelete="Disabled")),
    Case(MFA, Status.FAIL, "never-versioned", versioning()),
    Case(MFA, Status.FAIL, "suspended", versioning(Status="Suspended")),
    Case(MFA, Status.UNKNOWN, "denied", {"_errors": {"Versioning": "AccessDenied"}}),
    # CIS 3.1.3: Macie
    Case(MACIE, Status.PASS, "no-buckets", account([], **{EU: None})),
    Case(MACIE, Status.MANUAL, "enabled-where-buckets-are",
         account(located(EU, EU, US), **{EU: ENABLED, US: ENABLED, "eu-central-1": None})),
    Case(MACIE, Status.FAIL, "off-in-one-bucket-region", account(located(EU, US), **{EU: ENABLED, US: None})),
    Case(MACIE, Status.FAIL, "paused", account(located(EU), **{EU: PAUSED})),
    Case(MACIE, Status.FAIL, "off-despite-a-gap", account(located(EU, "ap-south-1"), **{EU: None})),
    Case(MACIE, Status.UNKNOWN, "bucket-region-not-scanned",
         account(located(EU, "ap-south-1"), **{EU: ENABLED})),
    Case(MACIE, Status.UNKNOWN, "buckets-denied", account(None)),
    Case(MACIE, Status.UNKNOWN, "session-throttled",
         {"global": {"s3": {"buckets": located(EU)}},
          "regions": {EU: {"macie2": {"session": {"_errors": {"MacieSession": "ThrottlingException"}}}}}}),
    Case(MACIE, Status.UNKNOWN, "s3-not-collected", {"regions": {}}),
    # S3-3: configuration reviewed
    Case(REVIEWED, Status.PASS, "unchanged", {**CONFIG, "_previous": previous(CONFIG)}, now=NOW),
    Case(REVIEWED, Status.PASS, "reordered-keys-unchanged",
         {**CONFIG, "_previous": previous({k: CONFIG[k] for k in reversed(list(CONFIG))})}, now=NOW),
    Case(REVIEWED, Status.MANUAL, "policy-changed", {**CHANGED, "_previous": previous(CONFIG)}, now=NOW),
    Case(REVIEWED, Status.MANUAL, "part-unreadable-last-time",
         {**CONFIG, "_previous": previous({k: v for k, v in CONFIG.items() if k != "Acl"})}, now=NOW),
    Case(REVIEWED, Status.FAIL, "not-assessed-within-interval",
         {**CONFIG, "_previous": previous(CONFIG, LONG_AGO)}, now=NOW),
    Case(REVIEWED, Status.FAIL, "changed-and-interval-exceeded",
         {**CHANGED, "_previous": previous(CONFIG, LONG_AGO)}, now=NOW),
    Case(REVIEWED, Status.UNKNOWN, "no-history", CONFIG, now=NOW),
    Case(REVIEWED, Status.UNKNOWN, "no-collection-time", {**CONFIG, "_previous": previous(CONFIG)}),
    Case(REVIEWED, Status.UNKNOWN, "part-not-collected",
         {**{k: v for k, v in CONFIG.items() if k != "Acl"}, "_errors": {"Acl": "AccessDenied"},
          "_previous": previous(CONFIG)}, now=NOW),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_result_has_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account, now=case.now)
    assert outcome.status is Status.UNKNOWN or outcome.evidence


def test_messages() -> None:
    outcome = s3_bucket_denies_http.evaluate(policy(deny(resource=f"{ARN}/*")))
    assert outcome.message == "The HTTPS-only Deny covers only the objects, not the bucket"
    outcome = s3_macie_data_discovery.evaluate(account(located("eu-west-1", "us-east-1"),
                                                       **{"eu-west-1": ENABLED, "us-east-1": None}))
    assert outcome.message.startswith("Macie is not running where buckets are (us-east-1: not enabled)")
    assert outcome.evidence["BucketsPerRegion"] == {"eu-west-1": 1, "us-east-1": 1}
    outcome = s3_bucket_configuration_reviewed.evaluate(CONFIG)
    assert outcome.message == NO_HISTORY
    outcome = s3_bucket_configuration_reviewed.evaluate({**CHANGED, "_previous": previous(CONFIG)}, now=NOW)
    assert outcome.message == ("Policy changed since the scan of 2026-05-01T08:00:00+00:00: review the "
                               "change (evidence: before and after)")
    assert outcome.evidence["Changes"] == {"Policy": {"before": None, "after": CHANGED["Policy"]}}
    outcome = s3_bucket_configuration_reviewed.evaluate({**CONFIG, "_previous": previous(CONFIG, LONG_AGO)},
                                                        now=NOW)
    assert outcome.message == (f"Last assessed at {LONG_AGO}, more than the review interval of 90 days "
                               "before this scan")


def test_review_interval_is_a_tunable() -> None:
    bucket = {**CONFIG, "_previous": previous(CONFIG, LONG_AGO)}
    assert s3_bucket_configuration_reviewed.evaluate(bucket, now=NOW).status is Status.FAIL
    longer = Settings(bucket_review_days=200)
    assert s3_bucket_configuration_reviewed.evaluate(bucket, settings=longer, now=NOW).status is Status.PASS


def test_fingerprints_are_stable_and_per_part() -> None:
    reordered = {**CONFIG, "Versioning": {"MFADelete": "Disabled", "Status": "Enabled"}}
    assert configuration_fingerprints(reordered)["Versioning"] == configuration_fingerprints(
        {**CONFIG, "Versioning": {"Status": "Enabled", "MFADelete": "Disabled"}})["Versioning"]
    reordered = {key: CONFIG[key] for key in reversed(list(CONFIG))}
    assert configuration_fingerprints(reordered) == PRINTS
    changed = configuration_fingerprints(CHANGED)
    assert [part for part in PRINTS if PRINTS[part] != changed[part]] == ["Policy"]
    assert "_previous" not in PRINTS and "EffectivePublicAccessBlock" not in PRINTS


def test_macie_fail_names_each_region_it_could_not_read() -> None:
    """A FAIL elsewhere must not swallow a region whose Macie state is unknown: it is its own UNKNOWN."""
    doc = account(located(EU, "ap-south-1"), **{EU: None})
    outcomes = s3_macie_data_discovery.run(doc, AccountView.of(doc))
    assert [o.status for o in outcomes] == [Status.FAIL, Status.FAIL, Status.UNKNOWN]
    assert outcomes[2].region == "ap-south-1" and "macie2" in outcomes[2].message
    assert "ap-south-1" in outcomes[0].evidence["not collected"]
