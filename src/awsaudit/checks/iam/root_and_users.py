"""IAM checks: the root user, console MFA, the account password policy and how users get permissions."""

from __future__ import annotations

from awsaudit.checks._registry import Missing, check, need
from awsaudit.checks.iam._credential_report import collected as _collected
from awsaudit.checks.iam._credential_report import flag as _flag
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok, unknown
from awsaudit.settings import Settings

# Thresholds (minimum length, remembered passwords) come from Settings: password_min_length and
# password_reuse_prevention (IAM-5, CIS 2.8 and 2.9; 14 and 24 by default, 24 is the IAM maximum).
COMPLEXITY = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireNumbers", "RequireSymbols")

NO_POLICY: Json = {"PasswordPolicy": None}

ROOT_CONSOLE = "Sign in to the AWS Management Console as the root user (email address and password)"
PASSWORD_POLICY_CLI = (
    "aws iam update-account-password-policy --minimum-password-length 14 --password-reuse-prevention 24 "
    "--require-uppercase-characters --require-lowercase-characters --require-numbers --require-symbols"
)
PASSWORD_POLICY_CONSOLE = (
    "Open the IAM console, Account settings, Password policy, Edit",
    "Choose Custom: minimum length 14, require uppercase, lowercase, numbers and non-alphanumeric "
    "characters, prevent password reuse: 24",
    "Save changes",
)
PASSWORD_POLICY_TERRAFORM = """resource "aws_iam_account_password_policy" "this" {
  minimum_password_length      = 14
  password_reuse_prevention    = 24
  require_uppercase_characters = true
  require_lowercase_characters = true
  require_numbers              = true
  require_symbols              = true
}"""


@check(
    "iam_root_no_access_keys",
    title="Root user has no access keys",
    severity=Severity.CRITICAL,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(
        console=(ROOT_CONSOLE, "Open the account menu, Security credentials",
                 "Under Access keys, deactivate each key, then delete it"),
        cli="aws iam delete-access-key --access-key-id <ROOT_ACCESS_KEY_ID>  # as the root user",
    ),
)
def iam_root_no_access_keys(account: Json) -> Outcome:
    """A root access key is a long-lived secret with unrestricted power over the account that no
    IAM policy or permissions boundary can limit; leaked, it hands the account away."""
    found, root = _collected(account, "RootCredentials")
    if found:
        keys = {c: root.get(c) for c in ("access_key_1_active", "access_key_2_active")}
        flags = [_flag(root, c) for c in keys]
        if any(flags):
            return fail("Root user has an active access key", evidence=keys)
        if None in flags:
            return unknown("Credential report has no clear access key state for root", evidence=keys)
        return ok("Root user has no active access key", evidence=keys)
    # The account summary counts root access keys too: a fallback when the report is unreadable.
    found, summary = _collected(account, "Summary")
    if not found:
        raise Missing("RootCredentials and Summary", f"credential report: {root}; summary: {summary}")
    present = need(summary, "AccountAccessKeysPresent")
    evidence = {"AccountAccessKeysPresent": present}
    if present:
        return fail(f"Root user has an access key (account summary; credential report: {root})",
                    evidence=evidence)
    return ok(f"Root user has no access key (account summary; credential report: {root})", evidence=evidence)


@check(
    "iam_root_mfa_enabled",
    title="Root user has MFA enabled",
    severity=Severity.CRITICAL,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(
        console=(ROOT_CONSOLE, "Open the account menu, Security credentials",
                 "Under Multi-factor authentication (MFA), choose Assign MFA device",
                 "Prefer a hardware security key or passkey; follow the steps and confirm"),
    ),
)
def iam_root_mfa_enabled(account: Json) -> Outcome:
    """The root user can do anything, including closing the account; a password alone (phished,
    reused or reset through a compromised mailbox) should never be enough to sign in as it."""
    found, summary = _collected(account, "Summary")
    if found and "AccountMFAEnabled" in summary:
        evidence = {"AccountMFAEnabled": summary["AccountMFAEnabled"]}
        if summary["AccountMFAEnabled"]:
            return ok("Root user has MFA enabled", evidence=evidence)
        return fail("Root user has no MFA device", evidence=evidence)
    found_root, root = _collected(account, "RootCredentials")
    if not found_root:
        summary_reason = summary if not found else "no AccountMFAEnabled"
        raise Missing("Summary and RootCredentials", f"summary: {summary_reason}; credential report: {root}")
    evidence = {"mfa_active": root.get("mfa_active")}
    active = _flag(root, "mfa_active")
    if active is None:
        return unknown("Credential report has no clear MFA state for root", evidence=evidence)
    if active:
        return ok("Root user has MFA enabled (credential report)", evidence=evidence)
    return fail("Root user has no MFA device (credential report)", evidence=evidence)


@check(
    "iam_user_console_mfa",
    title="IAM user with a console password has MFA enabled",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="iam.users",
    remediation=Remediation(
        console=("Open the IAM console, Users, choose {UserName}, Security credentials",
                 "Under Multi-factor authentication (MFA), choose Assign MFA device and follow the steps",
                 "If the user does not need the console, choose Manage console access, Disable"),
        cli="aws iam create-virtual-mfa-device --virtual-mfa-device-name {UserName} "
            "--outfile {UserName}-mfa.png --bootstrap-method QRCodePNG && "
            "aws iam enable-mfa-device --user-name {UserName} --serial-number <MFA_DEVICE_ARN> "
            "--authentication-code1 <CODE1> --authentication-code2 <CODE2>  "
            "# or, without console use: aws iam delete-login-profile --user-name {UserName}",
    ),
)
def iam_user_console_mfa(user: Json) -> Outcome:
    """Console passwords are phished, guessed and reused; MFA keeps a stolen password from being a
    stolen identity."""
    row = need(user, "Credentials")
    evidence = {c: row.get(c) for c in ("password_enabled", "password_last_used", "mfa_active")}
    password = _flag(row, "password_enabled")
    if password is None:
        return unknown("Credential report has no clear console password state", evidence=evidence)
    if not password:
        return ok("User has no console password", evidence=evidence)
    mfa = _flag(row, "mfa_active")
    if mfa is None:
        return unknown("Credential report has no clear MFA state", evidence=evidence)
    if mfa:
        return ok("User has a console password and MFA", evidence=evidence)
    return fail("User has a console password but no MFA device", evidence=evidence)


def _password_policy(account: Json) -> Json | None:
    policy: Json | None = need(account, "PasswordPolicy")
    return policy


@check(
    "iam_password_policy_strong",
    title="Account password policy requires long, complex and non-reused passwords",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(console=PASSWORD_POLICY_CONSOLE, cli=PASSWORD_POLICY_CLI,
                            terraform=PASSWORD_POLICY_TERRAFORM),
)
def iam_password_policy_strong(account: Json, settings: Settings) -> Outcome:
    """Without a policy IAM accepts short, simple and recycled passwords, which fall to guessing and
    credential stuffing; length, complexity and reuse prevention together raise that cost."""
    policy = _password_policy(account)
    if policy is None:
        return fail("No password policy: IAM defaults allow weak passwords", evidence=NO_POLICY)
    gaps = []
    length, remembered = policy.get("MinimumPasswordLength", 0), policy.get("PasswordReusePrevention", 0)
    if length < settings.password_min_length:
        gaps.append(f"minimum length {length} < {settings.password_min_length}")
    if remembered < settings.password_reuse_prevention:
        gaps.append(f"reuse prevention {remembered or 'off'} < {settings.password_reuse_prevention}")
    gaps.extend(f"{key} is off" for key in COMPLEXITY if not policy.get(key))
    if gaps:
        return fail("Password policy is weak: " + "; ".join(gaps), evidence=policy)
    return ok("Password policy requires length, complexity and prevents reuse", evidence=policy)


@check(
    "iam_password_policy_min_length",
    title="Account password policy requires long passwords (14 characters or more by default)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(console=PASSWORD_POLICY_CONSOLE, cli=PASSWORD_POLICY_CLI,
                            terraform=PASSWORD_POLICY_TERRAFORM),
)
def iam_password_policy_min_length(account: Json, settings: Settings) -> Outcome:
    """Length is what makes a password expensive to guess or crack; short passwords fall to
    offline and online guessing."""
    policy = _password_policy(account)
    if policy is None:
        return fail("No password policy: IAM's default accepts 8-character passwords", evidence=NO_POLICY)
    length = policy.get("MinimumPasswordLength", 0)
    evidence = {"MinimumPasswordLength": length}
    if length < settings.password_min_length:
        return fail(f"Minimum password length is {length} (< {settings.password_min_length})",
                    evidence=evidence)
    return ok(f"Minimum password length is {length}", evidence=evidence)


@check(
    "iam_password_policy_reuse",
    title="Account password policy prevents reuse of recent passwords (the last 24 by default)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(console=PASSWORD_POLICY_CONSOLE, cli=PASSWORD_POLICY_CLI,
                            terraform=PASSWORD_POLICY_TERRAFORM),
)
def iam_password_policy_reuse(account: Json, settings: Settings) -> Outcome:
    """A password that comes back after a change (or after a known breach) restores the exposure
    the change was meant to end."""
    policy = _password_policy(account)
    if policy is None:
        return fail("No password policy: passwords can be reused", evidence=NO_POLICY)
    remembered = policy.get("PasswordReusePrevention", 0)
    evidence = {"PasswordReusePrevention": policy.get("PasswordReusePrevention")}
    if not remembered:
        return fail("Password reuse prevention is off", evidence=evidence)
    if remembered < settings.password_reuse_prevention:
        return fail(f"Password reuse prevention remembers {remembered} passwords "
                    f"(< {settings.password_reuse_prevention})", evidence=evidence)
    return ok(f"Password reuse prevention remembers {remembered} passwords", evidence=evidence)


@check(
    "iam_user_no_attached_policies",
    title="IAM user gets permissions only through groups",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="iam.users",
    remediation=Remediation(
        console=("Open the IAM console, Users, choose {UserName}, Permissions",
                 "Add the user to a group that grants the permissions it needs",
                 "Remove each policy listed under Permissions policies that is attached directly or inline"),
        cli="aws iam add-user-to-group --user-name {UserName} --group-name <GROUP> && "
            "aws iam detach-user-policy --user-name {UserName} --policy-arn <POLICY_ARN> && "
            "aws iam delete-user-policy --user-name {UserName} --policy-name <INLINE_POLICY_NAME>",
        terraform="""resource "aws_iam_user_group_membership" "this" {
  user   = "<USER>"
  groups = [aws_iam_group.<GROUP>.name]
}
# and remove the user's aws_iam_user_policy / aws_iam_user_policy_attachment resources""",
    ),
)
def iam_user_no_attached_policies(user: Json) -> Outcome:
    """Permissions granted user by user drift, are hard to review and outlive job changes; granted
    through groups, they are reviewed once per role and leave with the membership."""
    attached = need(user, "AttachedManagedPolicies")
    inline = need(user, "UserPolicyList")
    evidence = {
        "AttachedManagedPolicies": [p.get("PolicyArn") for p in attached],
        "UserPolicyList": [p.get("PolicyName") for p in inline],
    }
    if attached or inline:
        names = [p.get("PolicyName") for p in attached] + [f"{p.get('PolicyName')} (inline)" for p in inline]
        return fail("Policies are attached to the user directly: " + ", ".join(map(str, names)),
                    evidence=evidence)
    return ok("No policy is attached to the user directly", evidence=evidence)
