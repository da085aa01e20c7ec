"""IAM credential hygiene checks, table-driven: root use and MFA type, key age and count, unused
credentials, server certificates. Ages are measured to the snapshot's `_collected_at`."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.iam.credentials import (
    iam_root_hardware_mfa,
    iam_root_not_used_recently,
    iam_server_certificate_not_expired,
    iam_user_access_keys_rotated,
    iam_user_single_active_key,
    iam_user_unused_credentials_disabled,
)
from awsaudit.model import Status
from awsaudit.settings import Settings
from tests.checks.cases import Case

ROOT_ARN = "arn:aws:iam::123456789012:root"
NOW = "2025-06-30T12:00:00+00:00"
DAYS_AGO = {days: f"{date}T12:00:00+00:00" for days, date in {
    2: "2025-06-28", 10: "2025-06-20", 60: "2025-05-01", 89: "2025-04-02", 91: "2025-03-31",
    100: "2025-03-22", 200: "2024-12-12", 400: "2024-05-26"}.items()}

ROOT_ROW = {"user": "<root_account>", "arn": ROOT_ARN, "password_enabled": "not_supported",
            "mfa_active": "true", "password_last_used": "no_information",
            "access_key_1_active": "false", "access_key_1_last_used_date": "N/A",
            "access_key_2_active": "false", "access_key_2_last_used_date": "N/A"}
VIRTUAL = {"SerialNumber": "arn:aws:iam::123456789012:mfa/root-account-mfa-device",
           "User": {"Arn": ROOT_ARN, "UserId": "123456789012"}}
SUMMARY_MFA = {"AccountMFAEnabled": 1}
SUMMARY_NO_MFA = {"AccountMFAEnabled": 0}


def root(**keys: Any) -> dict[str, Any]:
    return {"_arn": ROOT_ARN, "_collected_at": NOW, **keys}


def account_doc(**iam_account: Any) -> dict[str, Any]:
    """The account document, as checks over another collection reach the snapshot time through it."""
    return {"global": {"iam": {"account": {"_arn": ROOT_ARN, "_collected_at": NOW, **iam_account}}}}


ACCOUNT = account_doc()
NO_TIME = {"global": {"iam": {"account": {"_arn": ROOT_ARN, "_errors": {"_collected_at": "CollectorError"}}}}}

# A credential report row: a console user who signs in, no keys.
BASE = {"user": "alice.martin", "arn": "arn:aws:iam::123456789012:user/alice.martin",
        "user_creation_time": DAYS_AGO[400], "password_enabled": "true", "password_last_used": DAYS_AGO[2],
        "password_last_changed": DAYS_AGO[400], "mfa_active": "true",
        **{f"access_key_{n}_{column}": value for n in (1, 2)
           for column, value in (("active", "false"), ("last_rotated", "N/A"), ("last_used_date", "N/A"))}}
NO_PASSWORD = {"password_enabled": "false", "password_last_used": "N/A", "password_last_changed": "N/A"}


def key(n: int, rotated: str, used: str = "N/A", active: str = "true") -> dict[str, str]:
    return {f"access_key_{n}_active": active, f"access_key_{n}_last_rotated": rotated,
            f"access_key_{n}_last_used_date": used}


def user(**cells: str) -> dict[str, Any]:
    return {"UserName": "alice.martin", "_arn": BASE["arn"], "Credentials": {**BASE, **cells}}


NO_REPORT = {"UserName": "alice.martin", "_errors": {"Credentials": "AccessDenied"}}

CERT = {"ServerCertificateName": "acme-api", "_arn": "arn:aws:iam::123456789012:server-certificate/acme-api"}

CASES = [
    # iam_root_hardware_mfa (CIS 2.6)
    Case(iam_root_hardware_mfa, Status.PASS, "mfa-not-virtual",
         root(Summary=SUMMARY_MFA, RootVirtualMFADevices=[])),
    Case(iam_root_hardware_mfa, Status.PASS, "report-fallback",
         root(RootCredentials=ROOT_ROW, RootVirtualMFADevices=[], _errors={"Summary": "AccessDenied"})),
    Case(iam_root_hardware_mfa, Status.FAIL, "virtual-device",
         root(Summary=SUMMARY_MFA, RootVirtualMFADevices=[VIRTUAL])),
    Case(iam_root_hardware_mfa, Status.FAIL, "virtual-device-summary-denied",
         root(RootVirtualMFADevices=[VIRTUAL], _errors={"Summary": "AccessDenied", "RootCredentials": "x"})),
    Case(iam_root_hardware_mfa, Status.FAIL, "no-mfa",
         root(Summary=SUMMARY_NO_MFA, RootVirtualMFADevices=[])),
    Case(iam_root_hardware_mfa, Status.FAIL, "no-mfa-devices-denied",
         root(Summary=SUMMARY_NO_MFA, _errors={"RootVirtualMFADevices": "AccessDenied"})),
    Case(iam_root_hardware_mfa, Status.UNKNOWN, "devices-denied",
         root(Summary=SUMMARY_MFA, _errors={"RootVirtualMFADevices": "AccessDenied"})),
    Case(iam_root_hardware_mfa, Status.UNKNOWN, "mfa-state-missing",
         root(RootVirtualMFADevices=[],
              _errors={"Summary": "AccessDenied", "RootCredentials": "AccessDenied"})),
    Case(iam_root_hardware_mfa, Status.UNKNOWN, "report-cell-unclear",
         root(RootCredentials={**ROOT_ROW, "mfa_active": "N/A"}, RootVirtualMFADevices=[],
              _errors={"Summary": "AccessDenied"})),
    # iam_root_not_used_recently (IAM-3, CIS 2.7)
    Case(iam_root_not_used_recently, Status.PASS, "never-used", root(RootCredentials=ROOT_ROW)),
    Case(iam_root_not_used_recently, Status.PASS, "signed-in-200-days-ago",
         root(RootCredentials={**ROOT_ROW, "password_last_used": DAYS_AGO[200]})),
    Case(iam_root_not_used_recently, Status.FAIL, "signed-in-2-days-ago",
         root(RootCredentials={**ROOT_ROW, "password_last_used": DAYS_AGO[2]})),
    Case(iam_root_not_used_recently, Status.FAIL, "key-used-60-days-ago",
         root(RootCredentials={**ROOT_ROW, "password_last_used": DAYS_AGO[400],
                               "access_key_2_last_used_date": DAYS_AGO[60]})),
    Case(iam_root_not_used_recently, Status.UNKNOWN, "no-root-row",
         root(_errors={"RootCredentials": "no <root_account> row in credential report"})),
    Case(iam_root_not_used_recently, Status.UNKNOWN, "no-snapshot-time",
         {"_arn": ROOT_ARN, "RootCredentials": ROOT_ROW}),
    Case(iam_root_not_used_recently, Status.UNKNOWN, "unclear-date",
         root(RootCredentials={**ROOT_ROW, "password_last_used": "yesterday"})),
    # iam_user_access_keys_rotated (IAM-6, CIS 2.12)
    Case(iam_user_access_keys_rotated, Status.PASS, "no-keys", user(), ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.PASS, "key-89-days", user(**key(1, DAYS_AGO[89])), ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.PASS, "old-key-inactive",
         user(**key(1, DAYS_AGO[400], active="false"), **key(2, DAYS_AGO[10])), ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.FAIL, "key-91-days", user(**key(1, DAYS_AGO[91])), ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.FAIL, "second-key-old",
         user(**key(1, DAYS_AGO[10]), **key(2, DAYS_AGO[400])), ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.UNKNOWN, "report-denied", NO_REPORT, ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.UNKNOWN, "no-snapshot-time",
         user(**key(1, DAYS_AGO[10])), NO_TIME),
    Case(iam_user_access_keys_rotated, Status.UNKNOWN, "active-unclear",
         user(access_key_1_active="maybe"), ACCOUNT),
    Case(iam_user_access_keys_rotated, Status.UNKNOWN, "active-without-date", user(**key(1, "N/A")), ACCOUNT),
    # iam_user_single_active_key (IAM-6)
    Case(iam_user_single_active_key, Status.PASS, "no-keys", user()),
    Case(iam_user_single_active_key, Status.PASS, "one-active-one-inactive",
         user(**key(1, DAYS_AGO[10]), **key(2, DAYS_AGO[2], active="false"))),
    Case(iam_user_single_active_key, Status.FAIL, "two-active",
         user(**key(1, DAYS_AGO[100]), **key(2, DAYS_AGO[2]))),
    Case(iam_user_single_active_key, Status.UNKNOWN, "report-denied", NO_REPORT),
    Case(iam_user_single_active_key, Status.UNKNOWN, "cell-unclear", user(access_key_2_active="N/A")),
    # iam_user_unused_credentials_disabled (IAM-6, CIS 2.11)
    Case(iam_user_unused_credentials_disabled, Status.PASS, "password-used-2-days-ago", user(), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.PASS, "nothing-to-use", user(**NO_PASSWORD), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.PASS, "new-password-never-used",
         user(password_last_used="no_information", password_last_changed=DAYS_AGO[10]), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.PASS, "key-used-yesterday",
         user(**NO_PASSWORD, **key(1, DAYS_AGO[400], DAYS_AGO[2])), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.FAIL, "password-unused-60-days",
         user(password_last_used=DAYS_AGO[60]), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.FAIL, "password-never-used-old",
         user(password_last_used="no_information"), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.FAIL, "key-never-used-old",
         user(**key(1, DAYS_AGO[100])), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.FAIL, "key-unused-60-days",
         user(**key(2, DAYS_AGO[200], DAYS_AGO[60])), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.UNKNOWN, "report-denied", NO_REPORT, ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.UNKNOWN, "no-snapshot-time", user(), NO_TIME),
    Case(iam_user_unused_credentials_disabled, Status.UNKNOWN, "password-state-unclear",
         user(password_enabled="N/A"), ACCOUNT),
    Case(iam_user_unused_credentials_disabled, Status.UNKNOWN, "never-used-no-dates",
         user(password_last_used="no_information", password_last_changed="N/A", user_creation_time="N/A"),
         ACCOUNT),
    # iam_server_certificate_not_expired (CIS 2.17)
    Case(iam_server_certificate_not_expired, Status.PASS, "valid",
         {**CERT, "Expiration": "2026-01-01T00:00:00+00:00"}, ACCOUNT),
    Case(iam_server_certificate_not_expired, Status.FAIL, "expired",
         {**CERT, "Expiration": "2025-01-01T00:00:00+00:00"}, ACCOUNT),
    Case(iam_server_certificate_not_expired, Status.FAIL, "expired-zulu",
         {**CERT, "Expiration": "2012-05-08T01:02:03.004Z"}, ACCOUNT),
    Case(iam_server_certificate_not_expired, Status.UNKNOWN, "no-expiration",
         {**CERT, "_errors": {"Expiration": "not collected"}}, ACCOUNT),
    Case(iam_server_certificate_not_expired, Status.UNKNOWN, "no-snapshot-time",
         {**CERT, "Expiration": "2026-01-01T00:00:00+00:00"}, NO_TIME),
    Case(iam_server_certificate_not_expired, Status.UNKNOWN, "iam-not-collected",
         {**CERT, "Expiration": "2026-01-01T00:00:00+00:00"}, {"global": {}}),
    Case(iam_server_certificate_not_expired, Status.UNKNOWN, "unclear",
         {**CERT, "Expiration": "soon"}, ACCOUNT),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_outcomes_carry_a_message_and_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    assert outcome.message
    if case.expected is not Status.UNKNOWN:
        assert outcome.evidence is not None


def test_thresholds_come_from_settings() -> None:
    strict = Settings(access_key_max_age_days=30, unused_credentials_days=7, root_usage_days=1)
    lax = Settings(access_key_max_age_days=500, unused_credentials_days=500, root_usage_days=0)
    old_key = user(**key(1, DAYS_AGO[60], DAYS_AGO[10]))
    assert iam_user_access_keys_rotated.evaluate(old_key, ACCOUNT).status is Status.PASS
    assert iam_user_access_keys_rotated.evaluate(old_key, ACCOUNT, strict).status is Status.FAIL
    assert iam_user_unused_credentials_disabled.evaluate(old_key, ACCOUNT).status is Status.PASS
    assert iam_user_unused_credentials_disabled.evaluate(old_key, ACCOUNT, strict).status is Status.FAIL
    stale = user(password_last_used=DAYS_AGO[400], **key(1, DAYS_AGO[400]))
    assert iam_user_access_keys_rotated.evaluate(stale, ACCOUNT, lax).status is Status.PASS
    assert iam_user_unused_credentials_disabled.evaluate(stale, ACCOUNT, lax).status is Status.PASS
    used = root(RootCredentials={**ROOT_ROW, "password_last_used": DAYS_AGO[2]})
    assert iam_root_not_used_recently.evaluate(used, None, strict).status is Status.PASS
    assert iam_root_not_used_recently.evaluate(used, None, lax).status is Status.PASS
    assert iam_root_not_used_recently.evaluate(used).status is Status.FAIL


def test_messages_name_what_decided() -> None:
    rotated = iam_user_access_keys_rotated.evaluate(user(**key(1, DAYS_AGO[10]), **key(2, DAYS_AGO[400])),
                                                    ACCOUNT)
    assert rotated.message == f"Active access key older than 90 days: key 2 created {DAYS_AGO[400][:10]}"
    assert rotated.evidence["threshold_days"] == 90
    unused = iam_user_unused_credentials_disabled.evaluate(
        user(password_last_used="no_information", **key(1, DAYS_AGO[200], DAYS_AGO[60])), ACCOUNT)
    assert f"password never used, set {DAYS_AGO[400][:10]}" in unused.message
    assert f"access key 1 last used {DAYS_AGO[60][:10]}" in unused.message
    used = iam_root_not_used_recently.evaluate(root(RootCredentials={
        **ROOT_ROW, "password_last_used": DAYS_AGO[200], "access_key_1_last_used_date": DAYS_AGO[10]}))
    assert used.message == "Root user used an access key within the last 90 days (on 2025-06-20)"
    virtual = iam_root_hardware_mfa.evaluate(root(Summary=SUMMARY_MFA, RootVirtualMFADevices=[VIRTUAL]))
    assert "root-account-mfa-device" in virtual.message
    expired = iam_server_certificate_not_expired.evaluate(
        {**CERT, "Expiration": "2025-06-20T12:00:00+00:00"}, ACCOUNT)
    assert expired.message == "Certificate expired on 2025-06-20"
    assert iam_user_single_active_key.evaluate(user(**key(1, DAYS_AGO[10]))).message == (
        "User has 1 active access key")
    assert iam_user_single_active_key.evaluate(user()).message == "User has no active access keys"


def test_a_date_after_the_snapshot_counts_as_no_age() -> None:
    """Clock skew between AWS and the collector must not produce negative ages or a crash."""
    future = user(**key(1, "2025-07-01T00:00:00+00:00", "2025-07-01T00:00:00+00:00"))
    assert iam_user_access_keys_rotated.evaluate(future, ACCOUNT).status is Status.PASS
    assert "within 90 days (key 1 created 2025-07-01)" in iam_user_access_keys_rotated.evaluate(
        future, ACCOUNT).message


def test_now_from_the_engine_wins_over_the_collectors_time() -> None:
    """The engine passes the snapshot's collected_at; IAM's `_collected_at` is only the fallback."""
    import datetime as dt  # noqa: PLC0415

    fresh = user(**key(1, DAYS_AGO[10]))
    assert iam_user_access_keys_rotated.evaluate(fresh, ACCOUNT).status is Status.PASS
    year_later = dt.datetime.fromisoformat(NOW) + dt.timedelta(days=365)
    assert iam_user_access_keys_rotated.evaluate(fresh, ACCOUNT, None, year_later).status is Status.FAIL
    assert iam_user_access_keys_rotated.evaluate(fresh, NO_TIME, None, year_later).status is Status.FAIL
    assert iam_user_access_keys_rotated.evaluate(fresh, NO_TIME).status is Status.UNKNOWN
