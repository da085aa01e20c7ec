"""Acme Corp's IAM: a small team that grew faster than its access management.

The good: most people sign in with MFA and get permissions from groups, a role exists for AWS
Support cases, and Okta is connected through SAML. The bad, as found in real audits: a weak
password policy, a developer and a finance user without MFA, policies attached straight to
users, a Terraform user holding AdministratorAccess through two active access keys (a rotation
never finished), a monitoring key over a year old, a finance user who stopped signing in
months ago, CloudShell full access for every developer, an expired certificate left in IAM,
and a CI role trusted by another account that carries an `Action: "*"` policy.

moto stamps every credential with the current time; the demo ages some of them in moto's
backend (moto documents setting these fields), because an account without history would show
none of the ageing findings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import boto3

CI_ACCOUNT = "210987654321"
"""Acme's separate tooling account, where the CI runners live."""

AWS_POLICY = "arn:aws:iam::aws:policy/"
VERSION = "2012-10-17"

GROUPS: dict[str, tuple[str, ...]] = {
    "Admins": (f"{AWS_POLICY}AdministratorAccess",),
    "Developers": (f"{AWS_POLICY}PowerUserAccess",),
    "ReadOnly": (f"{AWS_POLICY}ReadOnlyAccess",),
}

# name -> (groups, console password, MFA device, access key, department)
USERS: dict[str, tuple[tuple[str, ...], bool, bool, bool, str]] = {
    "alice.martin": (("Admins",), True, True, False, "engineering"),
    "bob.nguyen": (("Developers",), True, False, True, "engineering"),
    "carol.schmidt": (("Developers",), True, True, False, "engineering"),
    "dave.okafor": (("ReadOnly",), True, False, False, "finance"),
    "erin.walsh": (("ReadOnly",), True, True, False, "support"),
    "svc-terraform": ((), False, False, True, "platform"),
    "svc-datadog": (("ReadOnly",), False, False, True, "platform"),
}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def _allow(actions: list[str] | str, resources: list[str] | str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _trust(principal: dict[str, str]) -> str:
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    iam = session.client("iam", region_name=regions[0])
    # Set up years ago from a blog post: 8 characters, numbers, and nothing against reuse.
    iam.update_account_password_policy(
        MinimumPasswordLength=8, RequireNumbers=True, RequireLowercaseCharacters=True,
        RequireUppercaseCharacters=False, RequireSymbols=False, AllowUsersToChangePassword=True,
    )
    policies = _customer_policies(iam)
    for group, arns in GROUPS.items():
        iam.create_group(GroupName=group)
        for arn in arns:
            iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_group_policy(GroupName="Developers", PolicyArn=policies["acme-deploy-ecs"])
    # "So they can run the CLI from the browser": file upload and download included.
    iam.attach_group_policy(GroupName="Developers", PolicyArn=f"{AWS_POLICY}AWSCloudShellFullAccess")
    for name, (groups, console, mfa, key, department) in USERS.items():
        _user(iam, name, groups, console=console, mfa=mfa, key=key, department=department)

    # Shortcuts someone took "just for now".
    iam.attach_user_policy(UserName="dave.okafor", PolicyArn=policies["acme-billing-readonly"])
    iam.attach_user_policy(UserName="svc-terraform", PolicyArn=f"{AWS_POLICY}AdministratorAccess")
    iam.put_user_policy(
        UserName="carol.schmidt", PolicyName="debug-prod-uploads",
        PolicyDocument=_doc(_allow(["s3:GetObject", "s3:ListBucket"],
                                   ["arn:aws:s3:::acme-prod-uploads", "arn:aws:s3:::acme-prod-uploads/*"])),
    )
    # The key was rotated in 2024 and the new one deployed, but the old one never deactivated.
    iam.create_access_key(UserName="svc-terraform")
    _roles(iam, policies)
    account = session.client("sts", region_name=regions[0]).get_caller_identity()["Account"]
    _identity(iam, account)
    _age_credentials(account)


def _customer_policies(iam: Any) -> dict[str, str]:
    documents = {
        # Created by a contractor to unblock the CI pipeline; never scoped down.
        "acme-full-admin": (_doc(_allow("*")), "Temporary full access for CI"),
        "acme-deploy-ecs": (_doc(
            _allow(["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinition"]),
            _allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage",
                    "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"],
                   "arn:aws:ecr:*:*:repository/acme-*"),
            _allow("iam:PassRole", "arn:aws:iam::*:role/acme-*-task"),
        ), "Deploy Acme services to ECS"),
        "acme-billing-readonly": (_doc(_allow(["ce:Get*", "ce:Describe*", "budgets:View*", "cur:Describe*"])),
                                  "Read cost and usage data"),
        "acme-billing-export": (_doc(
            _allow(["ce:GetCostAndUsage"]),
            _allow("s3:PutObject", "arn:aws:s3:::acme-billing-reports/*"),
        ), "Nightly cost export to S3"),
    }
    created = {name: iam.create_policy(PolicyName=name, PolicyDocument=document, Description=description)
               for name, (document, description) in documents.items()}
    return {name: response["Policy"]["Arn"] for name, response in created.items()}


def _user(iam: Any, name: str, groups: tuple[str, ...], *, console: bool, mfa: bool, key: bool,
          department: str) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": "department", "Value": department}])
    for group in groups:
        iam.add_user_to_group(GroupName=group, UserName=name)
    if console:
        iam.create_login_profile(UserName=name, Password=f"Demo-{name}-Pa55!")
    if mfa:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
    if key:
        iam.create_access_key(UserName=name)


def _roles(iam: Any, policies: dict[str, str]) -> None:
    iam.create_role(RoleName="acme-staging-worker", Description="Staging batch workers on EC2",
                    AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"}))
    for managed in ("AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"):
        iam.attach_role_policy(RoleName="acme-staging-worker", PolicyArn=f"{AWS_POLICY}{managed}")
    iam.create_instance_profile(InstanceProfileName="acme-staging-worker")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-staging-worker",
                                     RoleName="acme-staging-worker")

    # Any principal of the tooling account may assume it: no ExternalId, no condition.
    iam.create_role(RoleName="acme-ci-deploy", Description="Assumed by CI runners in the tooling account",
                    AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{CI_ACCOUNT}:root"}))
    iam.attach_role_policy(RoleName="acme-ci-deploy", PolicyArn=policies["acme-full-admin"])

    iam.create_role(RoleName="acme-billing-exporter", Description="Lambda exporting daily costs",
                    AssumeRolePolicyDocument=_trust({"Service": "lambda.amazonaws.com"}))
    iam.attach_role_policy(RoleName="acme-billing-exporter",
                           PolicyArn=f"{AWS_POLICY}service-role/AWSLambdaBasicExecutionRole")
    iam.attach_role_policy(RoleName="acme-billing-exporter", PolicyArn=policies["acme-billing-export"])

    # Break-glass role for EC2 admin tasks; together with the ops automation user's loose PassRole
    # below it is a two-step path to administrator (PassRole + RunInstances).
    iam.create_role(RoleName="acme-ec2-admin", Description="EC2 instances for admin tasks",
                    AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"}))
    iam.attach_role_policy(RoleName="acme-ec2-admin", PolicyArn=f"{AWS_POLICY}AdministratorAccess")
    iam.create_instance_profile(InstanceProfileName="acme-ec2-admin")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-ec2-admin", RoleName="acme-ec2-admin")
    iam.create_user(UserName="svc-ops-automation", Tags=[{"Key": "department", "Value": "platform"}])
    iam.put_user_policy(
        UserName="svc-ops-automation", PolicyName="launch-workers",
        PolicyDocument=_doc(_allow(["ec2:RunInstances", "ec2:DescribeInstances", "iam:PassRole"])),
    )
    # A partner's read-only role, opened to "*" while debugging their account ID and never closed.
    iam.create_role(RoleName="acme-partner-readonly", Description="Partner read access",
                    AssumeRolePolicyDocument=_trust({"AWS": "*"}))
    iam.attach_role_policy(RoleName="acme-partner-readonly", PolicyArn=f"{AWS_POLICY}ReadOnlyAccess")


# name -> (days since the user was created, password last used, {key index: (created, last used)}),
# in days before the demo runs; None: never used.
HISTORY: dict[str, tuple[int, int | None, dict[int, tuple[int, int | None]]]] = {
    "alice.martin": (900, 1, {}),
    "bob.nguyen": (700, 3, {0: (30, 2)}),
    "carol.schmidt": (400, 6, {}),
    "dave.okafor": (600, 120, {}),  # moved to another team in spring; the login stayed
    "erin.walsh": (20, None, {}),  # joined three weeks ago, has not signed in yet
    "svc-terraform": (800, None, {0: (400, 2), 1: (150, None)}),
    "svc-datadog": (500, None, {0: (430, 1)}),
}


def _age_credentials(account: str) -> None:
    """Give users and keys the history a three-year-old account has (moto creates them "now")."""
    from moto.iam.models import AccessKeyLastUsed, iam_backends  # noqa: PLC0415 - the demo runs in moto

    users = iam_backends[account]["aws"].users
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # moto keeps naive UTC times

    def ago(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    for name, (created, signed_in, keys) in HISTORY.items():
        user = users[name]
        user.create_date = ago(created)
        if signed_in is not None:
            user.password_last_used = ago(signed_in)  # type: ignore[assignment]  # moto types it as None
        for index, (key_created, key_used) in keys.items():
            key = user.access_keys[index]
            key.create_date = ago(key_created)
            if key_used is not None:
                key.last_used = AccessKeyLastUsed(timestamp=ago(key_used), service="s3", region="eu-west-1")


def _identity(iam: Any, account: str) -> None:
    """Okta through SAML, GitHub Actions through OIDC, a support role and a forgotten certificate."""
    iam.create_saml_provider(Name="AcmeOkta", SAMLMetadataDocument=_okta_metadata())
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])
    # GitHub Actions deploy role checking only the audience: any repository on GitHub may assume it.
    oidc = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    iam.create_role(
        RoleName="acme-github-deploy", Description="Deploys from GitHub Actions",
        AssumeRolePolicyDocument=_doc({
            "Effect": "Allow", "Principal": {"Federated": oidc}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}))
    iam.create_role(
        RoleName="acme-aws-support", Description="Opens and follows AWS Support cases",
        AssumeRolePolicyDocument=_doc({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    iam.attach_role_policy(RoleName="acme-aws-support", PolicyArn=f"{AWS_POLICY}AWSSupportAccess")
    # Uploaded for the old API load balancer in 2019; the load balancer moved to ACM, the
    # certificate stayed (and expired).
    body, key = _expired_certificate("api-legacy.acme.example")
    iam.upload_server_certificate(ServerCertificateName="acme-legacy-api-2019", CertificateBody=body,
                                  PrivateKey=key)


def _okta_metadata() -> str:
    """IdP metadata as Okta exports it (IAM requires at least 1,000 characters)."""
    certificate = "MIIDpDCCAoygAwIBAgIGAYx" + "A" * 900 + "=="
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="http://www.okta.com/exk1acmeokta0demo">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data>"
        "</ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://acme.okta.com/app/amazon_aws/exk1acmeokta0demo/sso/saml"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def _expired_certificate(hostname: str) -> tuple[str, str]:
    """A self-signed certificate (PEM) and its key, valid from March 2019 to March 2020."""
    from cryptography import x509  # noqa: PLC0415 - a moto dependency; only the demo needs it
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Corp")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2019, 3, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2020, 3, 1, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), pem_key.decode()
