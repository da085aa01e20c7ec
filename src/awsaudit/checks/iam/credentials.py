"""IAM credential hygiene: root use and root MFA type, access key age and count, unused
credentials, and expired server certificates.

Ages are measured to the instant the snapshot describes (the engine's `now`: the snapshot's
`collected_at`; for an older snapshot without one, the IAM data's `_collected_at`), never to the
wall clock, so a snapshot audited a year later gives the same findings. Messages name dates and
the threshold, never an age in days: the same configuration re-audited next month reads the
same (and keeps its evidence hash). Thresholds come from Settings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from awsaudit.checks._registry import Missing, check, need
from awsaudit.checks.iam._credential_report import (
    Unclear,
    as_of,
    cell_date,
    collected,
    days_between,
    flag,
    snapshot_time,
    timestamp,
)
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok, unknown
from awsaudit.settings import Settings

KEYS = (1, 2)
"""An IAM user (and root) has at most two access keys: the report's access_key_1_* and _2_* columns."""
ROOT_USE_COLUMNS = ("password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date")

ROOT_CONSOLE = "Sign in to the AWS Management Console as the root user (email address and password)"
USER_KEYS_CONSOLE = "Open the IAM console, Users, choose {UserName}, Security credentials"


def _iso(when: dt.datetime | None) -> str | None:
    return when.date().isoformat() if when else None


def _root_mfa(account: Json) -> tuple[bool, Json]:
    """Whether root has any MFA, from the account summary or (fallback) the credential report.

    Raises Missing when neither says; Unclear when the report cell is unreadable.
    """
    found, summary = collected(account, "Summary")
    if found and "AccountMFAEnabled" in summary:
        return bool(summary["AccountMFAEnabled"]), {"AccountMFAEnabled": summary["AccountMFAEnabled"]}
    found_root, root = collected(account, "RootCredentials")
    if not found_root:
        summary_reason = summary if not found else "no AccountMFAEnabled"
        raise Missing("Summary and RootCredentials", f"summary: {summary_reason}; credential report: {root}")
    active = flag(root, "mfa_active")
    if active is None:
        raise Unclear(f"mfa_active is {root.get('mfa_active')!r}")
    return active, {"mfa_active": root.get("mfa_active")}


@check(
    "iam_root_hardware_mfa",
    title="Root user is protected by a hardware MFA device",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="iam.account",
    remediation=Remediation(
        console=(ROOT_CONSOLE, "Open the account menu, Security credentials",
                 "Under Multi-factor authentication (MFA), choose Assign MFA device",
                 "Choose Passkey or security key (FIDO) or Hardware TOTP token and follow the steps",
                 "Then remove the virtual MFA device from the root user"),
        cli="aws iam list-virtual-mfa-devices "
            "--query \"VirtualMFADevices[?User.Arn=='arn:aws:iam::<ACCOUNT_ID>:root']\"  "
            "# finds root's virtual device; hardware devices are assigned in the console, signed in as root",
    ),
)
def iam_root_hardware_mfa(account: Json) -> Outcome:
    """A virtual MFA lives on a phone or laptop that is backed up, synced, lost and used for
    everything else; the root user, which no policy can restrain, deserves a device that does
    nothing else and cannot be copied (CIS 2.6)."""
    found, devices = collected(account, "RootVirtualMFADevices")
    if found and devices:
        serials = [d.get("SerialNumber") for d in devices]
        return fail(f"Root user's MFA is a virtual device: {', '.join(map(str, serials))}",
                    evidence={"RootVirtualMFADevices": serials})
    try:
        enabled, evidence = _root_mfa(account)
    except Unclear as unclear:
        return unknown(f"Credential report has no clear MFA state for root: {unclear}")
    if not enabled:
        return fail("Root user has no MFA device at all", evidence=evidence)
    if not found:
        raise Missing("RootVirtualMFADevices", str(devices))
    return ok("Root user's MFA is not a virtual device (a hardware token or security key)",
              evidence={**evidence, "RootVirtualMFADevices": []})


@check(
    "iam_root_not_used_recently",
    title="Root user has not been used recently (90 days by default)",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over="iam.account",
    remediation=Remediation(
        console=("Open CloudTrail, Event history, filter by User name 'root' to see what root was used for",
                 "Create IAM roles or IAM Identity Center permission sets for those tasks",
                 ROOT_CONSOLE + ", then delete any root access key and keep the credentials in a safe"),
        cli="aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=root "
            "--max-results 50",
    ),
)
def iam_root_not_used_recently(account: Json, settings: Settings, now: dt.datetime | None) -> Outcome:
    """Every use of root is a use of a credential no policy can limit; daily work done as root
    leaves no least-privilege boundary and trains people to type the root password (IAM-3,
    CIS 2.7). Root should sign in only for the few tasks that need it."""
    root = need(account, "RootCredentials")
    now = now or as_of(account)
    limit = settings.root_usage_days
    evidence: Json = {c: root.get(c) for c in ROOT_USE_COLUMNS}
    evidence["threshold_days"] = limit
    try:
        uses = {c: d for c in ROOT_USE_COLUMNS if (d := cell_date(root, c)) is not None}
    except Unclear as unclear:
        return unknown(f"Credential report has an unclear date for root: {unclear}", evidence=evidence)
    if not uses:
        return ok("Root user has no recorded use", evidence=evidence)
    column, last = max(uses.items(), key=lambda item: item[1])
    how = "signed in" if column == "password_last_used" else "used an access key"
    if days_between(last, now) <= limit:
        return fail(f"Root user {how} within the last {limit} days (on {_iso(last)})", evidence=evidence)
    return ok(f"Root user not used in the last {limit} days (last {how} on {_iso(last)})", evidence=evidence)


def _active_keys(row: Json) -> tuple[list[int], Json]:
    """Numbers of the active access keys, and the cells that say so; Unclear on an odd cell."""
    cells = {f"access_key_{n}_active": row.get(f"access_key_{n}_active") for n in KEYS}
    states = {n: flag(row, f"access_key_{n}_active") for n in KEYS}
    if None in states.values():
        raise Unclear("no clear access key state: " + ", ".join(f"{k}={v!r}" for k, v in cells.items()))
    return [n for n, active in states.items() if active], cells


@check(
    "iam_user_access_keys_rotated",
    title="IAM user's active access keys are rotated (within 90 days by default)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.users",
    remediation=Remediation(
        console=(USER_KEYS_CONSOLE,
                 "Create a new access key, deploy it where the old one is used, then deactivate and "
                 "delete the old key",
                 "Better: replace the key with a role (instance profile, IAM Roles Anywhere, OIDC for CI)"),
        cli="aws iam create-access-key --user-name {UserName} && "
            "aws iam update-access-key --user-name {UserName} --access-key-id <OLD_KEY_ID> "
            "--status Inactive && "
            "aws iam delete-access-key --user-name {UserName} --access-key-id <OLD_KEY_ID>",
    ),
)
def iam_user_access_keys_rotated(
    user: Json, account: Json, settings: Settings, now: dt.datetime | None
) -> Outcome:
    """A long-lived key leaks through laptops, CI logs, old repositories and former staff; the
    longer it lives, the more copies exist. Rotation bounds how long a leaked key stays useful
    (IAM-6, CIS 2.12)."""
    row = need(user, "Credentials")
    now = now or snapshot_time(account)
    limit = settings.access_key_max_age_days
    columns = [f"access_key_{n}_{c}" for n in KEYS for c in ("active", "last_rotated")]
    evidence: Json = {c: row.get(c) for c in columns}
    evidence["threshold_days"] = limit
    try:
        active, _ = _active_keys(row)
        created = {n: cell_date(row, f"access_key_{n}_last_rotated") for n in active}
    except Unclear as unclear:
        return unknown(f"Credential report is unclear: {unclear}", evidence=evidence)
    if not active:
        return ok("User has no active access key", evidence=evidence)
    if None in created.values():
        return unknown("Credential report has no creation date for an active key", evidence=evidence)
    dates = {n: when for n, when in created.items() if when is not None}
    stale = [f"key {n} created {_iso(when)}" for n, when in dates.items() if days_between(when, now) > limit]
    if stale:
        return fail(f"Active access key older than {limit} days: " + "; ".join(stale), evidence=evidence)
    made = "; ".join(f"key {n} created {_iso(when)}" for n, when in dates.items())
    return ok(f"Active access key{'s' if len(dates) > 1 else ''} within {limit} days ({made})",
              evidence=evidence)


@check(
    "iam_user_single_active_key",
    title="IAM user has at most one active access key",
    severity=Severity.LOW,
    objective=Objective.CONFIDENTIALITY,
    over="iam.users",
    remediation=Remediation(
        console=(USER_KEYS_CONSOLE,
                 "Find which key is in use (Last used); deactivate the other, delete it once nothing breaks"),
        cli="aws iam list-access-keys --user-name {UserName} && "
            "aws iam update-access-key --user-name {UserName} --access-key-id <UNUSED_KEY_ID> "
            "--status Inactive",
    ),
)
def iam_user_single_active_key(user: Json) -> Outcome:
    """Two active keys double what can leak and usually mean a rotation that was never finished:
    the old key keeps working wherever it was copied (IAM-6)."""
    row = need(user, "Credentials")
    try:
        active, cells = _active_keys(row)
    except Unclear as unclear:
        return unknown(f"Credential report is unclear: {unclear}")
    if len(active) > 1:
        return fail("User has two active access keys", evidence=cells)
    return ok(f"User has {len(active) or 'no'} active access key{'s' if not active else ''}", evidence=cells)


def _unused(row: Json, now: dt.datetime, limit: int) -> tuple[list[str], list[str]]:
    """(findings, credentials in use) over the user's password and active keys."""
    findings: list[str] = []
    fine: list[str] = []
    # (name, last-used column, columns dating its creation)
    credentials: list[tuple[str, str, tuple[str, ...]]] = []
    password = flag(row, "password_enabled")
    if password is None:
        raise Unclear(f"password_enabled is {row.get('password_enabled')!r}")
    if password:
        credentials.append(
            ("password", "password_last_used", ("password_last_changed", "user_creation_time")))
    active, _ = _active_keys(row)
    credentials += [(f"access key {n}", f"access_key_{n}_last_used_date", (f"access_key_{n}_last_rotated",))
                    for n in active]
    for name, used_column, since_columns in credentials:
        used = cell_date(row, used_column)
        if used is not None:
            days = days_between(used, now)
            (findings if days > limit else fine).append(f"{name} last used {_iso(used)}")
            continue
        # Never used: its age is what counts (a credential handed out and forgotten).
        since = next((d for c in since_columns if (d := cell_date(row, c)) is not None), None)
        if since is None:
            raise Unclear(f"{name} was never used and has no creation date")
        days = days_between(since, now)
        made = "set" if name == "password" else "created"
        (findings if days > limit else fine).append(f"{name} never used, {made} {_iso(since)}")
    return findings, fine


@check(
    "iam_user_unused_credentials_disabled",
    title="IAM user has no password or active key left unused (45 days by default)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="iam.users",
    remediation=Remediation(
        console=(USER_KEYS_CONSOLE,
                 "For an unused password: Console access, Manage, Disable",
                 "For an unused access key: Actions, Deactivate, then Delete once nothing breaks"),
        cli="aws iam delete-login-profile --user-name {UserName}  # unused password; and for an unused key: "
            "aws iam update-access-key --user-name {UserName} --access-key-id <KEY_ID> --status Inactive",
    ),
)
def iam_user_unused_credentials_disabled(
    user: Json, account: Json, settings: Settings, now: dt.datetime | None
) -> Outcome:
    """Credentials nobody uses are credentials nobody watches: a forgotten password or key of a
    departed colleague or a retired job still opens the account, and its use would not be
    missed (IAM-6, CIS 2.11)."""
    row = need(user, "Credentials")
    now = now or snapshot_time(account)
    limit = settings.unused_credentials_days
    columns = ("user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
               *(f"access_key_{n}_{c}" for n in KEYS for c in ("active", "last_rotated", "last_used_date")))
    evidence: Json = {c: row.get(c) for c in columns}
    evidence["threshold_days"] = limit
    try:
        findings, fine = _unused(row, now, limit)
    except Unclear as unclear:
        return unknown(f"Credential report is unclear: {unclear}", evidence=evidence)
    if findings:
        return fail(f"Unused for more than {limit} days: " + "; ".join(findings), evidence=evidence)
    if not fine:
        return ok("User has no password and no active access key", evidence=evidence)
    return ok(f"Credentials used within {limit} days: " + "; ".join(fine), evidence=evidence)


@check(
    "iam_server_certificate_not_expired",
    title="IAM server certificate has not expired",
    severity=Severity.MEDIUM,
    objective=Objective.AVAILABILITY,
    over="iam.server_certificates",
    remediation=Remediation(
        console=("IAM server certificates are managed only through the API: use the AWS CLI",
                 "Move the endpoint (load balancer, CloudFront) to an AWS Certificate Manager certificate"),
        cli="aws iam delete-server-certificate --server-certificate-name {ServerCertificateName}",
    ),
)
def iam_server_certificate_not_expired(certificate: Json, account: Json, now: dt.datetime | None) -> Outcome:
    """An expired certificate left in IAM can be deployed to a load balancer or CloudFront by
    mistake, breaking the service and training users to click through warnings (CIS 2.17)."""
    expiration: Any = need(certificate, "Expiration")
    now = now or snapshot_time(account)
    evidence = {"Expiration": expiration}
    try:
        expires = timestamp(expiration)
    except Unclear as unclear:
        return unknown(f"Certificate expiration is unclear: {unclear}", evidence=evidence)
    if expires <= now:
        return fail(f"Certificate expired on {_iso(expires)}", evidence=evidence)
    return ok(f"Certificate is valid until {_iso(expires)}", evidence=evidence)
