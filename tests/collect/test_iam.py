"""iam collector against moto: bulk entity data, the credential report, account settings, failures."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.client import BaseClient

from awsaudit.checks import evaluate
from awsaudit.checks._registry import REGISTRY
from awsaudit.checks.iam import access as iam_access
from awsaudit.checks.iam import credentials as iam_credentials
from awsaudit.checks.iam import root_and_users as iam_checks
from awsaudit.collect import iam
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT

ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_DOC = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
REPORT_HEADER = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
                 "password_next_rotation,mfa_active,access_key_1_active,access_key_2_active\n")


@pytest.fixture
def aws_managed_policies(managed_policies: None) -> None:
    """moto's AWS-managed policies, for the test of which ones are kept (conftest leaves them out)."""


def build(session: boto3.Session) -> None:
    client = session.client("iam")
    client.create_group(GroupName="Developers")
    readonly = client.create_policy(PolicyName="acme-readonly", PolicyDocument=json.dumps(S3_DOC))["Policy"]
    client.attach_group_policy(GroupName="Developers", PolicyArn=readonly["Arn"])
    client.create_user(UserName="alice.martin")
    client.create_login_profile(UserName="alice.martin", Password="Correct-Horse-42!")
    client.add_user_to_group(GroupName="Developers", UserName="alice.martin")
    device = client.create_virtual_mfa_device(VirtualMFADeviceName="alice.martin")["VirtualMFADevice"]
    client.enable_mfa_device(UserName="alice.martin", SerialNumber=device["SerialNumber"],
                             AuthenticationCode1="123456", AuthenticationCode2="654321")
    client.create_user(UserName="bob.nguyen")
    client.create_login_profile(UserName="bob.nguyen", Password="Summer2024!")
    client.put_user_policy(UserName="bob.nguyen", PolicyName="s3-debug", PolicyDocument=json.dumps(S3_DOC))
    client.create_user(UserName="svc-backup")
    client.create_access_key(UserName="svc-backup")
    policy = client.create_policy(PolicyName="acme-admin", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]
    client.attach_user_policy(UserName="svc-backup", PolicyArn=policy["Arn"])
    client.create_role(RoleName="acme-web", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))


def by_name(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Callable[[], Any]], None]:
    """fake("GetCredentialReport", lambda: {...}): answer an operation without moto."""
    answers: dict[str, Callable[[], Any]] = {}
    original = BaseClient._make_api_call

    def call(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        if operation_name in answers:
            return answers[operation_name]()
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)

    def install(operation: str, answer: Callable[[], Any]) -> None:
        answers[operation] = answer

    return install


def test_collects_entities_with_documents_and_credentials(aws_managed_policies: None, ctx: Context,
                                                          session: boto3.Session) -> None:
    build(session)
    session.client("iam").attach_group_policy(GroupName="Developers", PolicyArn=READ_ONLY)
    data = iam.collect(ctx)
    assert set(iam.PRODUCES) <= set(data)
    assert "_errors" not in data

    users = by_name(data["users"], "UserName")
    assert set(users) == {"alice.martin", "bob.nguyen", "svc-backup"}
    alice, bob, svc = users["alice.martin"], users["bob.nguyen"], users["svc-backup"]
    assert alice["_arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice.martin"
    assert alice["GroupList"] == ["Developers"]
    assert alice["AttachedManagedPolicies"] == [] and alice["UserPolicyList"] == []
    assert alice["Credentials"]["password_enabled"] == "true" and alice["Credentials"]["mfa_active"] == "true"
    assert bob["Credentials"]["mfa_active"] == "false"
    assert bob["UserPolicyList"] == [{"PolicyName": "s3-debug", "PolicyDocument": S3_DOC}]
    assert svc["Credentials"]["password_enabled"] == "false"
    assert svc["Credentials"]["access_key_1_active"] == "true"
    assert [p["PolicyName"] for p in svc["AttachedManagedPolicies"]] == ["acme-admin"]

    groups = by_name(data["groups"], "GroupName")
    assert [p["PolicyName"] for p in groups["Developers"]["AttachedManagedPolicies"]] == [
        "acme-readonly", "ReadOnlyAccess"]
    assert groups["Developers"]["_arn"].endswith(":group/Developers")
    role = by_name(data["roles"], "RoleName")["acme-web"]
    assert role["AssumeRolePolicyDocument"] == EC2_TRUST and role["_arn"].endswith(":role/acme-web")

    policies = by_name(data["policies"], "PolicyName")
    # Customer-managed policies, and only the AWS-managed ones in use (not moto's whole catalogue).
    assert set(policies) == {"acme-admin", "acme-readonly", "ReadOnlyAccess"}
    admin = policies["acme-admin"]
    assert admin["_arn"] == f"arn:aws:iam::{ACCOUNT}:policy/acme-admin"
    assert admin["PolicyVersionList"][0]["Document"] == ADMIN_DOC
    assert isinstance(policies["ReadOnlyAccess"]["PolicyVersionList"][0]["Document"], dict)

    account = data["account"]
    assert account["_arn"] == ROOT_ARN
    assert account["PasswordPolicy"] is None  # NoSuchEntity: no policy set
    assert account["Summary"]["Users"] == 3
    # moto's credential report has no root row; AWS's always has one.
    assert "RootCredentials" not in account
    assert account["_errors"] == {"RootCredentials": "no <root_account> row in credential report"}
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [("GetCredentialReport", "MissingRow")]
    json.dumps(data)  # plain JSON all the way down


def test_password_policy_is_collected(ctx: Context, session: boto3.Session) -> None:
    session.client("iam").update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)
    policy = iam.collect(ctx)["account"]["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 8 and policy["RequireNumbers"] is True
    assert "PasswordReusePrevention" not in policy


def test_authorization_details_denied(ctx: Context, session: boto3.Session,
                                      deny: Callable[..., None]) -> None:
    build(session)
    deny("GetAccountAuthorizationDetails")
    data = iam.collect(ctx)
    for name in ("users", "groups", "roles", "policies"):
        assert name not in data
        assert data["_errors"][name] == "AccessDenied"
    denied = [e for e in ctx.errors if e["code"] == "AccessDenied"]
    assert len(denied) == 4
    assert {(e["service"], e["operation"]) for e in denied} == {("iam", "GetAccountAuthorizationDetails")}
    assert data["account"]["Summary"]["Users"] == 3  # the rest is still collected


def test_credential_report_denied(ctx: Context, session: boto3.Session, deny: Callable[..., None]) -> None:
    build(session)
    deny("GetCredentialReport")
    data = iam.collect(ctx)
    for user in data["users"]:
        assert "Credentials" not in user
        assert user["_errors"] == {"Credentials": "AccessDenied"}
    assert data["account"]["_errors"] == {"RootCredentials": "AccessDenied",
                                          "CredentialReportGeneratedTime": "AccessDenied"}
    assert "_collected_at" in data["account"]  # the snapshot's time does not depend on the report
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [("GetCredentialReport", "AccessDenied")]


def test_generate_denied_reads_the_report_that_exists(ctx: Context, session: boto3.Session,
                                                       deny: Callable[..., None]) -> None:
    build(session)
    session.client("iam").generate_credential_report()
    deny("GenerateCredentialReport")
    data = iam.collect(ctx)
    assert all("Credentials" in user for user in data["users"])
    assert ("GenerateCredentialReport", "AccessDenied") in [(e["operation"], e["code"]) for e in ctx.errors]


def test_generate_denied_and_no_report_blames_generation(ctx: Context, session: boto3.Session,
                                                          deny: Callable[..., None]) -> None:
    build(session)
    deny("GenerateCredentialReport")
    data = iam.collect(ctx)
    assert data["users"][0]["_errors"] == {"Credentials": "AccessDenied"}
    assert data["account"]["_errors"]["RootCredentials"] == "AccessDenied"


def test_report_wait_is_bounded(ctx: Context, session: boto3.Session, fake: Callable[..., None],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    build(session)
    monkeypatch.setattr(iam, "REPORT_WAIT_SECONDS", 0.3)
    polls: list[float] = []
    fake("GenerateCredentialReport", lambda: polls.append(time.monotonic()) or {"State": "INPROGRESS"})
    started = time.monotonic()
    data = iam.collect(ctx)
    assert time.monotonic() - started < 2
    assert 1 < len(polls) < 10
    # Never completed, and moto has no earlier report: recorded, not fatal.
    assert data["users"][0]["_errors"] == {"Credentials": "ReportNotPresent"}
    assert "users" in data and "Summary" in data["account"]


def test_root_row_and_users_without_a_row(ctx: Context, session: boto3.Session,
                                          fake: Callable[..., None]) -> None:
    build(session)
    report = (REPORT_HEADER
              + f"<root_account>,{ROOT_ARN},2020-01-01T00:00:00+00:00,not_supported,"
                "2024-05-01T00:00:00+00:00,not_supported,not_supported,false,true,false\n"
              + f"alice.martin,arn:aws:iam::{ACCOUNT}:user/alice.martin,2024-01-01T00:00:00+00:00,true,"
                "N/A,N/A,N/A,true,false,false\n")
    fake("GetCredentialReport", lambda: {"Content": report.encode(), "ReportFormat": "text/csv"})
    data = iam.collect(ctx)
    root = data["account"]["RootCredentials"]
    assert root["user"] == "<root_account>" and root["access_key_1_active"] == "true"
    assert root["mfa_active"] == "false"
    assert "_errors" not in data["account"]
    users = by_name(data["users"], "UserName")
    assert users["alice.martin"]["Credentials"]["mfa_active"] == "true"
    assert users["bob.nguyen"]["_errors"] == {"Credentials": "no row in credential report"}
    assert {e["resource"] for e in ctx.errors} == {
        f"arn:aws:iam::{ACCOUNT}:user/bob.nguyen", f"arn:aws:iam::{ACCOUNT}:user/svc-backup"}


@pytest.mark.parametrize("raw", [
    ADMIN_DOC, json.dumps(ADMIN_DOC), quote(json.dumps(ADMIN_DOC)),
], ids=["dict", "json", "url-encoded"])
def test_documents_are_normalised_to_dicts(raw: Any) -> None:
    assert iam._document(raw) == ADMIN_DOC


def test_unparseable_document_is_kept_as_is() -> None:
    assert iam._document("not a policy") == "not a policy"


def test_collected_snapshot_evaluates(ctx: Context, session: boto3.Session) -> None:
    build(session)
    data = iam.collect(ctx)
    snapshot = {"partition": "aws", "accounts": {ACCOUNT: {"global": {"iam": data}, "regions": {}}}}
    checks = [c for c in REGISTRY.values() if c.func.__module__ == iam_checks.__name__]
    assert len(checks) == 7
    results = {(f.check_id, f.resource): f.status for f in evaluate(snapshot, checks)}

    def status(check_id: str, name: str) -> Status:
        return results[(check_id, f"arn:aws:iam::{ACCOUNT}:{name}")]

    assert status("iam_user_console_mfa", "user/alice.martin") is Status.PASS
    assert status("iam_user_console_mfa", "user/bob.nguyen") is Status.FAIL
    assert status("iam_user_console_mfa", "user/svc-backup") is Status.PASS
    assert status("iam_user_no_attached_policies", "user/alice.martin") is Status.PASS
    assert status("iam_user_no_attached_policies", "user/bob.nguyen") is Status.FAIL
    assert status("iam_user_no_attached_policies", "user/svc-backup") is Status.FAIL
    assert status("iam_password_policy_strong", "root") is Status.FAIL  # no policy at all
    assert status("iam_root_no_access_keys", "root") is Status.PASS  # from the account summary
    assert status("iam_root_mfa_enabled", "root") is Status.FAIL  # moto: AccountMFAEnabled is 0


SAML_METADATA = ('<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                 'entityID="http://www.okta.com/acme">' + "<!-- padding -->" * 80 + "</md:EntityDescriptor>")
GITHUB = "https://token.actions.githubusercontent.com"


def build_identity(session: boto3.Session) -> None:
    """A spare virtual MFA device, a SAML and an OIDC provider, a server certificate."""
    client = session.client("iam")
    client.create_virtual_mfa_device(VirtualMFADeviceName="spare-token")
    client.create_saml_provider(Name="AcmeOkta", SAMLMetadataDocument=SAML_METADATA)
    client.create_open_id_connect_provider(Url=GITHUB, ClientIDList=["sts.amazonaws.com"],
                                           ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
    client.upload_server_certificate(ServerCertificateName="acme-legacy-api", CertificateBody="-----BEGIN",
                                     PrivateKey="-----BEGIN")


def test_collects_mfa_devices_identity_providers_and_certificates(ctx: Context,
                                                                  session: boto3.Session) -> None:
    build(session)
    build_identity(session)
    data = iam.collect(ctx)
    assert set(iam.PRODUCES) <= set(data) and "_errors" not in data

    devices = by_name(data["virtual_mfa_devices"], "SerialNumber")
    alice = devices[f"arn:aws:iam::{ACCOUNT}:mfa/alice.martin"]
    assert alice["_arn"] == alice["SerialNumber"]
    assert alice["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice.martin"
    spare = devices[f"arn:aws:iam::{ACCOUNT}:mfa/spare-token"]
    assert "User" not in spare
    # moto lists the TOTP seed (AWS returns it only at creation): never kept in a snapshot.
    assert not {"Base32StringSeed", "QRCodePNG"} & {k for d in devices.values() for k in d}

    (saml,) = data["saml_providers"]
    assert saml["_arn"] == f"arn:aws:iam::{ACCOUNT}:saml-provider/AcmeOkta" and "ValidUntil" in saml
    (oidc,) = data["oidc_providers"]
    assert oidc["_arn"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    assert oidc["ClientIDList"] == ["sts.amazonaws.com"]
    assert oidc["ThumbprintList"] == ["6938fd4d98bab03faadb97b34396831e3780aea1"]
    (cert,) = data["server_certificates"]
    assert cert["_arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/acme-legacy-api"
    assert cert["ServerCertificateName"] == "acme-legacy-api" and cert["Expiration"].startswith("20")

    account = data["account"]
    assert account["RootVirtualMFADevices"] == []  # moto cannot give root an MFA device
    assert account["CredentialReportGeneratedTime"] == "2015-02-02T20:02:02+00:00"  # moto's constant
    assert dt.datetime.fromisoformat(account["_collected_at"]).tzinfo is not None
    json.dumps(data)


def test_root_virtual_mfa_device_is_recognised(ctx: Context, session: boto3.Session,
                                                fake: Callable[..., None]) -> None:
    root_device = {"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
                   "User": {"Arn": ROOT_ARN, "UserId": ACCOUNT, "UserName": "", "Path": "/",
                            "CreateDate": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
                   "EnableDate": dt.datetime(2020, 1, 2, tzinfo=dt.UTC), "Base32StringSeed": b"SECRET"}
    fake("ListVirtualMFADevices", lambda: {"VirtualMFADevices": [root_device], "IsTruncated": False})
    account = iam.collect(ctx)["account"]
    (device,) = account["RootVirtualMFADevices"]
    assert device["SerialNumber"].endswith(":mfa/root-account-mfa-device")
    assert "Base32StringSeed" not in device and device["EnableDate"] == "2020-01-02T00:00:00+00:00"


def test_virtual_mfa_devices_are_paginated(ctx: Context, session: boto3.Session) -> None:
    client = session.client("iam")
    for n in range(105):  # moto pages ListVirtualMFADevices by 100
        client.create_virtual_mfa_device(VirtualMFADeviceName=f"token-{n:03}")
    assert len(iam.collect(ctx)["virtual_mfa_devices"]) == 105


def test_new_listings_denied(ctx: Context, session: boto3.Session, deny: Callable[..., None]) -> None:
    build(session)
    build_identity(session)
    deny("ListVirtualMFADevices", "ListSAMLProviders", "ListServerCertificates", "GetOpenIDConnectProvider")
    data = iam.collect(ctx)
    for key in ("virtual_mfa_devices", "saml_providers", "server_certificates"):
        assert key not in data and data["_errors"][key] == "AccessDenied"
    assert data["account"]["_errors"] == {"RootVirtualMFADevices": "AccessDenied",
                                          "RootCredentials": "no <root_account> row in credential report"}
    (oidc,) = data["oidc_providers"]  # listed, but its details were denied
    assert "ClientIDList" not in oidc and oidc["_errors"]["ClientIDList"] == "AccessDenied"
    denied = {(e["operation"], e["resource"]) for e in ctx.errors if e["code"] == "AccessDenied"}
    assert denied == {("ListVirtualMFADevices", ACCOUNT), ("ListSAMLProviders", ACCOUNT),
                      ("ListServerCertificates", ACCOUNT), ("GetOpenIDConnectProvider", oidc["_arn"])}
    assert "users" in data and "Credentials" in data["users"][0]  # the rest is still collected


def test_credential_checks_on_collected_data(ctx: Context, session: boto3.Session) -> None:
    """Collected with moto, evaluated: key age comes from the report, "now" from the collection."""
    build(session)
    build_identity(session)
    client = session.client("iam")
    client.create_access_key(UserName="svc-backup")  # a second active key
    client.create_user(UserName="carol.schmidt")
    client.create_access_key(UserName="carol.schmidt")
    # moto stamps keys with the current time; backdate one, as moto's own docs allow.
    from moto.iam.models import iam_backends  # noqa: PLC0415 - moto internals, test only

    user = iam_backends[ACCOUNT]["aws"].users["carol.schmidt"]
    user.access_keys[0].create_date = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=200)
    data = iam.collect(ctx)
    snapshot = {"partition": "aws", "accounts": {ACCOUNT: {"global": {"iam": data}, "regions": {}}}}
    checks = [c for c in REGISTRY.values()
              if c.func.__module__ in {iam_credentials.__name__, iam_access.__name__} and c.service == "iam"]
    results = {(f.check_id, f.resource.rsplit(":", 1)[-1]): f.status for f in evaluate(snapshot, checks)}

    assert results[("iam_user_access_keys_rotated", "user/carol.schmidt")] is Status.FAIL
    assert results[("iam_user_access_keys_rotated", "user/svc-backup")] is Status.PASS
    assert results[("iam_user_single_active_key", "user/svc-backup")] is Status.FAIL
    assert results[("iam_user_single_active_key", "user/carol.schmidt")] is Status.PASS
    # Never used, and created 200 days ago / just now.
    assert results[("iam_user_unused_credentials_disabled", "user/carol.schmidt")] is Status.FAIL
    assert results[("iam_user_unused_credentials_disabled", "user/alice.martin")] is Status.PASS
    expired = results[("iam_server_certificate_not_expired", "server-certificate/acme-legacy-api")]
    assert expired is Status.FAIL  # moto lists every certificate as expiring in 2012
    assert results[("iam_root_hardware_mfa", "root")] is Status.FAIL  # moto: root has no MFA
    assert results[("iam_root_not_used_recently", "root")] is Status.UNKNOWN  # moto: no root row
    assert results[("iam_support_role_exists", "root")] is Status.FAIL
    assert results[("iam_cloudshell_full_access_restricted", "root")] is Status.PASS
    # alice and bob sign in with passwords although AcmeOkta exists: for the auditor to confirm.
    assert results[("iam_users_managed_centrally", "root")] is Status.MANUAL
