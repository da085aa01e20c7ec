"""iam collector: users, groups, roles and policies in bulk, the credential report, account settings,
MFA devices, identity providers and server certificates.

IAM is global: everything is read once, from the home region. The entity data comes from
GetAccountAuthorizationDetails (documents included, so the policy engine never needs a
per-entity call) and each user's credential state from the credential report.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import time
from typing import Any, NamedTuple
from urllib.parse import unquote

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json
from awsaudit.untrusted import limits

SCOPE = "global"


class Listing(NamedTuple):
    """One account-wide IAM listing, stored as a collection of its own."""

    operation: str  # boto3 method
    key: str  # collection name in the snapshot
    result_key: str  # list in the response
    iam_action: str
    arn_field: str  # the field holding each item's ARN
    paginated: bool


LARGEST_PAGE = {"PageSize": 1000}
"""IAM pages hold 100 items unless asked for more (MaxItems, up to 1,000): fewer calls per account."""

LISTINGS = (
    # Every virtual MFA device, assigned or not; root's tells a virtual from a hardware MFA (CIS 2.6).
    Listing("list_virtual_mfa_devices", "virtual_mfa_devices", "VirtualMFADevices",
            "iam:ListVirtualMFADevices", "SerialNumber", paginated=True),
    Listing("list_saml_providers", "saml_providers", "SAMLProviderList", "iam:ListSAMLProviders", "Arn",
            paginated=False),
    Listing("list_open_id_connect_providers", "oidc_providers", "OpenIDConnectProviderList",
            "iam:ListOpenIDConnectProviders", "Arn", paginated=False),
    Listing("list_server_certificates", "server_certificates", "ServerCertificateMetadataList",
            "iam:ListServerCertificates", "Arn", paginated=True),
)

# The TOTP seed of a virtual MFA device: AWS returns it only when the device is created, but an
# emulator (moto) lists it too. A secret never belongs in a snapshot.
MFA_SECRETS = ("Base32StringSeed", "QRCodePNG")
# What GetOpenIDConnectProvider adds to a listed provider (its audiences and trusted certificates).
OIDC_DETAILS = ("Url", "ClientIDList", "ThumbprintList", "CreateDate", "Tags")

PRODUCES: tuple[str, ...] = ("account", "users", "groups", "roles", "policies",
                             *(listing.key for listing in LISTINGS))
ACTIONS: tuple[str, ...] = tuple(sorted({
    "iam:GenerateCredentialReport",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetAccountPasswordPolicy",
    "iam:GetAccountSummary",
    "iam:GetCredentialReport",
    "iam:GetOpenIDConnectProvider",
    *(listing.iam_action for listing in LISTINGS),
}))

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
             paginate=result_key, Filter=list(filters), PaginationConfig=LARGEST_PAGE)
    for name in DETAILS:
        for entity in data.get(name, []):
            _normalise(ctx, name, entity)
    if "policies" in data:
        data["policies"] = [p for p in data["policies"] if _in_use_or_own(p, ctx.partition)]

    for listing in LISTINGS:
        _listing(ctx, client, listing, data)
    for provider in data.get("oidc_providers", []):
        _oidc_details(ctx, client, provider)

    report = _credential_report(ctx, client)
    data["account"] = _account(ctx, client, report)
    _root_virtual_mfa(data)
    for user in data.get("users", []):
        _attach_credentials(ctx, user, report.rows, report.error)
    return data


def _listing(ctx: Context, client: Any, listing: Listing, data: Json) -> None:
    if listing.paginated:
        items = call(ctx, client, listing.operation, into=data, key=listing.key, paginate=listing.result_key,
                     PaginationConfig=LARGEST_PAGE)
    else:
        items = call(ctx, client, listing.operation, into=data, key=listing.key, select=listing.result_key)
    if items is ABSENT:
        return
    if items is None:  # a response without the list: nothing of this kind exists
        items = data[listing.key] = []
    for item in items:
        item["_arn"] = item[listing.arn_field]
        for secret in MFA_SECRETS:
            item.pop(secret, None)


def _oidc_details(ctx: Context, client: Any, provider: Json) -> None:
    """Audiences and thumbprints: one call per provider (there is no bulk read; accounts have few)."""
    scratch: Json = {}
    detail = call(ctx, client, "get_open_id_connect_provider", into=scratch, key="detail",
                  resource=provider["_arn"], OpenIDConnectProviderArn=provider["_arn"])
    if detail is ABSENT:
        code = scratch["_errors"]["detail"]
        provider.setdefault("_errors", {}).update(dict.fromkeys(OIDC_DETAILS, code))
        return
    provider.update({key: detail[key] for key in OIDC_DETAILS if key in detail})
    provider.setdefault("ClientIDList", [])
    provider.setdefault("ThumbprintList", [])
    provider.setdefault("Tags", [])


def _root_virtual_mfa(data: Json) -> None:
    """Root's virtual MFA devices, on the account document: present means root's MFA is not hardware.

    A virtual device assigned to root names the root ARN as its user.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html
    """
    account = data["account"]
    if "virtual_mfa_devices" not in data:
        reason = (data.get("_errors") or {}).get("virtual_mfa_devices", "not collected")
        account.setdefault("_errors", {})["RootVirtualMFADevices"] = reason
        return
    account["RootVirtualMFADevices"] = [
        device for device in data["virtual_mfa_devices"]
        if (device.get("User") or {}).get("Arn") == account["_arn"]
    ]


def _normalise(ctx: Context, collection: str, entity: Json) -> None:
    entity["_arn"] = entity["Arn"]
    for key in EMPTY_LISTS[collection]:
        entity.setdefault(key, [])

    def decode(holder: Json, key: str) -> None:
        try:
            holder[key] = _document(holder.get(key))
        except limits.NestingTooDeepError as exc:
            # Kept as the text AWS returned: the policy engine refuses it for this entity only
            # (a gap, so its checks are UNKNOWN), and the error says which entity it was.
            ctx.record("iam", "GetAccountAuthorizationDetails", entity["_arn"], "MalformedPolicyDocument",
                       f"{key}: {exc}")

    for inline in entity.get("UserPolicyList", []) + entity.get("GroupPolicyList", []) + entity.get(
            "RolePolicyList", []):
        decode(inline, "PolicyDocument")
    if "AssumeRolePolicyDocument" in entity:
        decode(entity, "AssumeRolePolicyDocument")
    for profile in entity.get("InstanceProfileList", []):
        for role in profile.get("Roles", []):
            if "AssumeRolePolicyDocument" in role:
                decode(role, "AssumeRolePolicyDocument")
    for version in entity.get("PolicyVersionList", []):
        decode(version, "Document")
    if collection == "policies":
        # AWS always names the policy; moto omits PolicyName, which the ARN's last segment is.
        entity.setdefault("PolicyName", entity["Arn"].rsplit("/", 1)[-1])


def _document(value: Any) -> Any:
    """A policy document as a dict, whether it arrives decoded, as JSON or URL-encoded (RFC 3986).

    AWS returns documents URL-encoded; moto and other SDK paths may not. A document that is
    none of these is kept as it came; one nested too deeply to parse raises NestingTooDeepError.
    """
    if not isinstance(value, str):
        return value
    too_deep: limits.NestingTooDeepError | None = None
    for text in (value, unquote(value)):
        try:
            return limits.loads(text)
        except limits.NestingTooDeepError as exc:
            too_deep = exc
        except ValueError:
            continue
    if too_deep is not None:
        raise too_deep
    return value


def _in_use_or_own(policy: Json, partition: str) -> bool:
    """Customer-managed policies always; AWS-managed ones only when attached or used as a boundary.

    AWS returns the AWS-managed policies that are in use; moto returns all ~1,300 of them, which
    would bury the account's own data (an unattached AWS policy grants nothing).
    """
    if not policy["Arn"].startswith(f"arn:{partition}:iam::aws:policy/"):
        return True
    return bool(policy.get("AttachmentCount") or policy.get("PermissionsBoundaryUsageCount"))


class Report(NamedTuple):
    rows: dict[str, dict[str, str]]  # arn or "<root_account>" -> row
    error: str  # why there are no rows ("" when the report was read)
    generated: str | None = None  # when AWS generated it (GeneratedTime)


def _credential_report(ctx: Context, client: Any) -> Report:
    """The credential report, or its error code if unreadable.

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
    response = call(ctx, client, "get_credential_report", into=scratch, key="Report")
    if response is ABSENT:
        errors = scratch["_errors"]
        return Report({}, str(errors.get("State") or errors["Report"]))
    try:
        rows = parse_report(response.get("Content") or "")
    except ValueError as exc:
        ctx.record("iam", "GetCredentialReport", f"arn:{ctx.partition}:iam::{ctx.account}:root",
                   MALFORMED_REPORT, str(exc))
        return Report({}, MALFORMED_REPORT)
    return Report(rows, "", response.get("GeneratedTime"))


MALFORMED_REPORT = "MalformedCredentialReport"


def parse_report(content: str) -> dict[str, dict[str, str]]:
    """The credential report's rows by ARN (root's under ROOT_ROW), from call()'s base64 text.

    The report is UTF-8 CSV. Anything else (bad base64, bad UTF-8, not CSV) raises ValueError:
    the caller records it, and every check that needs the report is UNKNOWN. A row whose cells
    do not fit the header is left out, so its user is reported as missing from the report.
    """
    try:
        text = base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"credential report is not base64 UTF-8 text: {exc}") from None
    rows: dict[str, dict[str, str]] = {}
    try:
        for row in csv.DictReader(io.StringIO(text)):
            if None in row or not all(isinstance(v, str) for v in row.values()):
                continue  # cells that do not fit the header: that user has no row (MissingRow)
            rows[ROOT_ROW if row.get("user") == ROOT_ROW else row.get("arn", "")] = dict(row)
    except csv.Error as exc:
        raise ValueError(f"credential report is not CSV: {exc}") from None
    return rows


def _account(ctx: Context, client: Any, report: Report) -> Json:
    arn = f"arn:{ctx.partition}:iam::{ctx.account}:root"
    # Ages (of keys, last uses, certificates) are judged against this instant, since checks never
    # read the clock. It is ours, not the report's GeneratedTime: moto answers a fixed 2015 date,
    # and a report AWS reuses is at most four hours older than the scan.
    account: Json = {"_arn": arn, "_collected_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    call(ctx, client, "get_account_password_policy", into=account, key="PasswordPolicy",
         select="PasswordPolicy", unset=("NoSuchEntity",))
    call(ctx, client, "get_account_summary", into=account, key="Summary", select="SummaryMap")
    rows = report.rows
    if report.error:
        account.setdefault("_errors", {}).update(
            dict.fromkeys(("RootCredentials", "CredentialReportGeneratedTime"), report.error))
        return account
    account["CredentialReportGeneratedTime"] = report.generated
    if ROOT_ROW in rows:
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
