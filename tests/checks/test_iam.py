"""IAM checks, table-driven: one row per (check, situation)."""

from __future__ import annotations

import pytest

from awsaudit.checks.iam.root_and_users import (
    iam_password_policy_min_length,
    iam_password_policy_reuse,
    iam_password_policy_strong,
    iam_root_mfa_enabled,
    iam_root_no_access_keys,
    iam_user_console_mfa,
    iam_user_no_attached_policies,
)
from awsaudit.model import Status
from awsaudit.settings import Settings
from tests.checks.cases import Case

ROOT_ARN = "arn:aws:iam::123456789012:root"
ROOT_ROW = {"user": "<root_account>", "arn": ROOT_ARN, "password_enabled": "not_supported",
            "mfa_active": "true", "access_key_1_active": "false", "access_key_2_active": "false"}
ROOT_KEY = {**ROOT_ROW, "access_key_2_active": "true"}
ROOT_NO_MFA = {**ROOT_ROW, "mfa_active": "false"}
SUMMARY = {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0, "Users": 4}
SUMMARY_BAD = {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1, "Users": 4}
NO_REPORT = {"RootCredentials": "AccessDenied"}
NO_ROOT_ROW = {"RootCredentials": "no <root_account> row in credential report"}

STRONG = {"MinimumPasswordLength": 16, "PasswordReusePrevention": 24, "RequireSymbols": True,
          "RequireNumbers": True, "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
          "AllowUsersToChangePassword": True, "ExpirePasswords": False}
WEAK = {"MinimumPasswordLength": 8, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "ExpirePasswords": False}
NO_SYMBOLS = {**STRONG, "RequireSymbols": False}
DENIED_POLICY = {"_arn": ROOT_ARN, "_errors": {"PasswordPolicy": "AccessDenied"}}


def account(**keys: object) -> dict[str, object]:
    return {"_arn": ROOT_ARN, **keys}


def user(credentials: dict[str, str] | None = None, **keys: object) -> dict[str, object]:
    data: dict[str, object] = {
        "UserName": "alice.martin", "_arn": "arn:aws:iam::123456789012:user/alice.martin",
        "AttachedManagedPolicies": [], "UserPolicyList": [], "GroupList": ["Admins"],
    }
    if credentials is not None:
        data["Credentials"] = {"user": "alice.martin", "arn": data["_arn"], **credentials}
    return {**data, **keys}


CONSOLE_MFA = {"password_enabled": "true", "mfa_active": "true",
               "password_last_used": "2025-01-01T00:00:00+00:00"}
CONSOLE_NO_MFA = {"password_enabled": "true", "mfa_active": "false", "password_last_used": "no_information"}
NO_CONSOLE = {"password_enabled": "false", "mfa_active": "false", "password_last_used": "N/A"}
DIRECT = [{"PolicyName": "acme-billing-readonly",
           "PolicyArn": "arn:aws:iam::123456789012:policy/acme-billing-readonly"}]
INLINE = [{"PolicyName": "s3-debug", "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}]

CASES = [
    # iam_root_no_access_keys: credential report first, account summary as the fallback.
    Case(iam_root_no_access_keys, Status.PASS, "report-no-keys",
         account(RootCredentials=ROOT_ROW, Summary=SUMMARY)),
    Case(iam_root_no_access_keys, Status.FAIL, "report-key-2-active", account(RootCredentials=ROOT_KEY)),
    Case(iam_root_no_access_keys, Status.PASS, "summary-fallback-no-keys",
         account(Summary=SUMMARY, _errors=NO_ROOT_ROW)),
    Case(iam_root_no_access_keys, Status.FAIL, "summary-fallback-key",
         account(Summary=SUMMARY_BAD, _errors=NO_REPORT)),
    Case(iam_root_no_access_keys, Status.UNKNOWN, "report-and-summary-missing",
         account(_errors={**NO_REPORT, "Summary": "AccessDenied"})),
    Case(iam_root_no_access_keys, Status.UNKNOWN, "report-cell-unclear",
         account(RootCredentials={**ROOT_ROW, "access_key_1_active": "N/A"})),
    # iam_root_mfa_enabled: account summary first, credential report as the fallback.
    Case(iam_root_mfa_enabled, Status.PASS, "summary-mfa", account(Summary=SUMMARY, _errors=NO_ROOT_ROW)),
    Case(iam_root_mfa_enabled, Status.FAIL, "summary-no-mfa",
         account(Summary=SUMMARY_BAD, RootCredentials=ROOT_ROW)),
    Case(iam_root_mfa_enabled, Status.PASS, "report-fallback-mfa",
         account(RootCredentials=ROOT_ROW, _errors={"Summary": "AccessDenied"})),
    Case(iam_root_mfa_enabled, Status.FAIL, "report-fallback-no-mfa",
         account(RootCredentials=ROOT_NO_MFA, _errors={"Summary": "Throttling"})),
    Case(iam_root_mfa_enabled, Status.UNKNOWN, "both-missing",
         account(_errors={**NO_ROOT_ROW, "Summary": "AccessDenied"})),
    # iam_user_console_mfa
    Case(iam_user_console_mfa, Status.PASS, "console-with-mfa", user(CONSOLE_MFA)),
    Case(iam_user_console_mfa, Status.PASS, "no-console-password", user(NO_CONSOLE)),
    Case(iam_user_console_mfa, Status.FAIL, "console-without-mfa", user(CONSOLE_NO_MFA)),
    Case(iam_user_console_mfa, Status.UNKNOWN, "report-denied",
         user(None, _errors={"Credentials": "AccessDenied"})),
    Case(iam_user_console_mfa, Status.UNKNOWN, "no-row", user(None, _errors={"Credentials": "no row"})),
    Case(iam_user_console_mfa, Status.UNKNOWN, "cell-unclear", user({**CONSOLE_MFA, "mfa_active": "N/A"})),
    # iam_password_policy_strong
    Case(iam_password_policy_strong, Status.PASS, "strong", account(PasswordPolicy=STRONG)),
    Case(iam_password_policy_strong, Status.FAIL, "weak", account(PasswordPolicy=WEAK)),
    Case(iam_password_policy_strong, Status.FAIL, "no-symbols", account(PasswordPolicy=NO_SYMBOLS)),
    Case(iam_password_policy_strong, Status.FAIL, "no-policy", account(PasswordPolicy=None)),
    Case(iam_password_policy_strong, Status.UNKNOWN, "denied", DENIED_POLICY),
    # iam_password_policy_min_length
    Case(iam_password_policy_min_length, Status.PASS, "16", account(PasswordPolicy=STRONG)),
    Case(iam_password_policy_min_length, Status.PASS, "exactly-14",
         account(PasswordPolicy={**WEAK, "MinimumPasswordLength": 14})),
    Case(iam_password_policy_min_length, Status.FAIL, "8", account(PasswordPolicy=WEAK)),
    Case(iam_password_policy_min_length, Status.FAIL, "no-policy", account(PasswordPolicy=None)),
    Case(iam_password_policy_min_length, Status.UNKNOWN, "denied", DENIED_POLICY),
    # iam_password_policy_reuse
    Case(iam_password_policy_reuse, Status.PASS, "24", account(PasswordPolicy=STRONG)),
    Case(iam_password_policy_reuse, Status.FAIL, "not-set", account(PasswordPolicy=WEAK)),
    Case(iam_password_policy_reuse, Status.FAIL, "5",
         account(PasswordPolicy={**STRONG, "PasswordReusePrevention": 5})),
    Case(iam_password_policy_reuse, Status.FAIL, "no-policy", account(PasswordPolicy=None)),
    Case(iam_password_policy_reuse, Status.UNKNOWN, "denied", DENIED_POLICY),
    # iam_user_no_attached_policies
    Case(iam_user_no_attached_policies, Status.PASS, "groups-only", user(CONSOLE_MFA)),
    Case(iam_user_no_attached_policies, Status.FAIL, "managed-attached",
         user(AttachedManagedPolicies=DIRECT)),
    Case(iam_user_no_attached_policies, Status.FAIL, "inline", user(UserPolicyList=INLINE)),
    Case(iam_user_no_attached_policies, Status.UNKNOWN, "not-collected",
         {"UserName": "x",
          "_errors": {"AttachedManagedPolicies": "AccessDenied", "UserPolicyList": "AccessDenied"}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_outcome_carries_evidence_or_a_reason(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    assert outcome.message
    if case.expected is not Status.UNKNOWN:
        assert outcome.evidence is not None


def test_messages_name_what_decided() -> None:
    weak = iam_password_policy_strong.evaluate(account(PasswordPolicy=WEAK))
    assert "minimum length 8 < 14" in weak.message and "RequireSymbols is off" in weak.message
    fallback = iam_root_no_access_keys.evaluate(account(Summary=SUMMARY_BAD, _errors=NO_REPORT))
    assert "account summary" in fallback.message and "AccessDenied" in fallback.message
    both = iam_root_no_access_keys.evaluate(account(_errors={**NO_REPORT, "Summary": "Throttling"}))
    assert "AccessDenied" in both.message and "Throttling" in both.message
    both_ways = user(AttachedManagedPolicies=DIRECT, UserPolicyList=INLINE)
    direct = iam_user_no_attached_policies.evaluate(both_ways)
    assert "acme-billing-readonly" in direct.message and "s3-debug (inline)" in direct.message
    assert direct.evidence == {"AttachedManagedPolicies": [DIRECT[0]["PolicyArn"]],
                               "UserPolicyList": ["s3-debug"]}


def test_password_thresholds_come_from_settings() -> None:
    fourteen = account(PasswordPolicy={**STRONG, "MinimumPasswordLength": 14, "PasswordReusePrevention": 12})
    assert iam_password_policy_min_length.evaluate(fourteen).status is Status.PASS
    assert iam_password_policy_reuse.evaluate(fourteen).status is Status.FAIL
    assert iam_password_policy_strong.evaluate(fourteen).status is Status.FAIL
    custom = Settings(password_min_length=16, password_reuse_prevention=12)
    longer = iam_password_policy_min_length.evaluate(fourteen, None, custom)
    assert longer.status is Status.FAIL and longer.message == "Minimum password length is 14 (< 16)"
    assert iam_password_policy_reuse.evaluate(fourteen, None, custom).status is Status.PASS
    strong = iam_password_policy_strong.evaluate(fourteen, None, custom)
    assert strong.status is Status.FAIL
    assert strong.message == "Password policy is weak: minimum length 14 < 16"
    relaxed = Settings(password_min_length=8, password_reuse_prevention=0)
    assert iam_password_policy_strong.evaluate(account(PasswordPolicy={**STRONG, "MinimumPasswordLength": 8}),
                                               None, relaxed).status is Status.PASS
