"""iam collector: users, groups, roles and policies in bulk, the credential report and account settings.

IAM is global: everything is read once, from the home region. The entity data comes from
GetAccountAuthorizationDetails (documents included, so the policy engine never needs a
per-entity call) and each user's credential state from the credential report.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
from typing import Any
from urllib.parse import unquote

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "global"
PRODUCES: tuple[str, ...] = ("account", "users", "groups", "roles", "policies")
ACTIONS: tuple[str, ...] = (
    "iam:GenerateCredentialReport",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetAccountPasswordPolicy",
    "iam:GetAccountSummary",
    "iam:GetCredentialReport",
)

ROOT_ROW = "<root_account>"

REPORT_WAIT_SECONDS = 60.0
"""How long to wait for AWS to finish the credential report before reading what exists."""
REPORT_FIRST_DELAY = 0.25
REPORT_MAX_DELAY = 2.0

# collection -> (GetAccountAuthorizationDetails Filter, result key). call() concatenates one
# result key across pages, so each entity type gets its own paginated pass. Pages are cut by
# item count, so four passes cost at most three requests more than a single unfiltered one.
DETAILS: dict[str, tuple[tuple[str, ...], str]] = {
    "users": (("User",), "UserDetailList"),
    "groups": (("Group",), "GroupDetailList"),
    "roles": (("Role",), "RoleDetailList"),
    "policies": (("LocalManagedPolicy", "AWSManagedPolicy"), "Policies"),
}

# Lists a successful response may omit when they are empty: an omitted list is an empty one,
# not a gap in the data, so checks see [] rather than an absent key.
EMPTY_LISTS: dict[str, tuple[str, ...]] = {
    "users": ("UserPolicyList", "AttachedManagedPolicies", "GroupList", "Tags"),
    "groups": ("GroupPolicyList", "AttachedManagedPolicies"),
    "roles": ("RolePolicyList", "AttachedManagedPolicies", "InstanceProfileList", "Tags"),
    "policies": ("PolicyVersionList",),
}


def collect(ctx: Context) -> Json:
    client = ctx.client("iam")
    data: Json = {}
    for name, (filters, result_key) in DETAILS.items():
        call(ctx, client, "get_account_authorization_details", into=data, key=name,
             paginate=result_key, Filter=list(filters))
    for name in DETAILS:
        for entity in data.get(name, []):
            _normalise(name, entity)
    if "policies" in data:
        data["policies"] = [p for p in data["policies"] if _in_use_or_own(p, ctx.partition)]

    rows, report_error = _credential_report(ctx, client)
    data["account"] = _account(ctx, client, rows, report_error)
    for user in data.get("users", []):
        _attach_credentials(ctx, user, rows, report_error)
    return data


def _normalise(collection: str, entity: Json) -> None:
    entity["_arn"] = entity["Arn"]
    for key in EMPTY_LISTS[collection]:
        entity.setdefault(key, [])
    for inline in entity.get("UserPolicyList", []) + entity.get("GroupPolicyList", []) + entity.get(
            "RolePolicyList", []):
        inline["PolicyDocument"] = _document(inline.get("PolicyDocument"))
    if "AssumeRolePolicyDocument" in entity:
        entity["AssumeRolePolicyDocument"] = _document(entity["AssumeRolePolicyDocument"])
    for profile in entity.get("InstanceProfileList", []):
        for role in profile.get("Roles", []):
            if "AssumeRolePolicyDocument" in role:
                role["AssumeRolePolicyDocument"] = _document(role["AssumeRolePolicyDocument"])
    for version in entity.get("PolicyVersionList", []):
        version["Document"] = _document(version.get("Document"))
    if collection == "policies":
        # AWS always names the policy; moto omits PolicyName, which the ARN's last segment is.
        entity.setdefault("PolicyName", entity["Arn"].rsplit("/", 1)[-1])


def _document(value: Any) -> Any:
    """A policy document as a dict, whether it arrives decoded (botocore), as JSON or URL-encoded.

    AWS returns documents URL-encoded (RFC 3986); botocore usually decodes them, moto and
    other SDK paths may not. A document that is none of these is kept as it came.
    """
    if not isinstance(value, str):
        return value
    for text in (value, unquote(value)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return value


def _in_use_or_own(policy: Json, partition: str) -> bool:
    """Customer-managed policies always; AWS-managed ones only when attached or used as a boundary.

    AWS returns the AWS-managed policies that are in use; moto returns all ~1,300 of them, which
    would bury the account's own data (an unattached AWS policy grants nothing).
    """
    if not policy["Arn"].startswith(f"arn:{partition}:iam::aws:policy/"):
        return True
    return bool(policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount"))


def _credential_report(ctx: Context, client: Any) -> tuple[dict[str, dict[str, str]], str]:
    """The credential report as {arn or "<root_account>": row}, or ({}, error code) if unreadable.

    GenerateCredentialReport is polled until COMPLETE (bounded). If generating fails or takes
    too long, a report generated earlier (AWS keeps one for four hours) is still read.
    """
    scratch: Json = {}
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    delay = REPORT_FIRST_DELAY
    while True:
        state = call(ctx, client, "generate_credential_report", into=scratch, key="State", select="State")
        if state is ABSENT or state == "COMPLETE" or time.monotonic() + delay > deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, REPORT_MAX_DELAY)
    content = call(ctx, client, "get_credential_report", into=scratch, key="Content", select="Content")
    if content is ABSENT:
        errors = scratch["_errors"]
        return {}, str(errors.get("State") or errors["Content"])
    # call() stores bytes as base64 (the snapshot is JSON); the report itself is UTF-8 CSV.
    text = base64.b64decode(content).decode("utf-8")
    rows: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        rows[ROOT_ROW if row.get("user") == ROOT_ROW else row.get("arn", "")] = dict(row)
    return rows, ""


def _account(ctx: Context, client: Any, rows: dict[str, dict[str, str]], report_error: str) -> Json:
    arn = f"arn:{ctx.partition}:iam::{ctx.account}:root"
    account: Json = {"_arn": arn}
    call(ctx, client, "get_account_password_policy", into=account, key="PasswordPolicy",
         select="PasswordPolicy", unset=("NoSuchEntity",))
    call(ctx, client, "get_account_summary", into=account, key="Summary", select="SummaryMap")
    if report_error:
        account.setdefault("_errors", {})["RootCredentials"] = report_error
    elif ROOT_ROW in rows:
        account["RootCredentials"] = rows[ROOT_ROW]
    else:
        reason = f"no {ROOT_ROW} row in credential report"
        account.setdefault("_errors", {})["RootCredentials"] = reason
        ctx.record("iam", "GetCredentialReport", arn, "MissingRow", reason)
    return account


def _attach_credentials(ctx: Context, user: Json, rows: dict[str, dict[str, str]], report_error: str) -> None:
    if report_error:
        user.setdefault("_errors", {})["Credentials"] = report_error
    elif user["Arn"] in rows:
        user["Credentials"] = rows[user["Arn"]]
    else:
        # A user created after the report was generated has no row until the next report.
        reason = "no row in credential report"
        user.setdefault("_errors", {})["Credentials"] = reason
        ctx.record("iam", "GetCredentialReport", user["Arn"], "MissingRow", reason)
