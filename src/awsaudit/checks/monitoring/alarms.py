"""Monitoring checks: CloudTrail delivered to CloudWatch Logs, and alarms on the events CIS 5.x names.

Each alarm control is data: the sample CloudTrail events its metric filter must catch and the
normal activity it must not. The chain (trail, log group, filter, alarm, topic, subscriber) is
followed in awsaudit.checks.monitoring._alarm_chain, where the filter patterns are parsed and evaluated.
"""

from __future__ import annotations

from typing import Any

from awsaudit.checks._registry import ACCOUNT, check
from awsaudit.checks._view import AccountView
from awsaudit.checks.monitoring._alarm_chain import AlarmControl, Sample, alarm_chain, read_only, remediation
from awsaudit.model import Json, Objective, Outcome, Severity

SAMPLE_ACCOUNT = "111122223333"
USER: Json = {"type": "IAMUser", "principalId": "AIDASAMPLEUSERID", "accountId": SAMPLE_ACCOUNT,
              "arn": f"arn:aws:iam::{SAMPLE_ACCOUNT}:user/alice", "accessKeyId": "AKIASAMPLEKEYID",
              "userName": "alice"}
ROOT: Json = {"type": "Root", "principalId": SAMPLE_ACCOUNT, "arn": f"arn:aws:iam::{SAMPLE_ACCOUNT}:root",
              "accountId": SAMPLE_ACCOUNT, "accessKeyId": ""}


def _event(source: str, name: str, **fields: Any) -> Json:
    """A CloudTrail record as CloudTrail delivers it to CloudWatch Logs (the fields patterns test)."""
    return {
        "eventVersion": "1.09", "userIdentity": USER, "eventTime": "2025-06-02T09:15:00Z",
        "eventSource": source, "eventName": name, "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.23", "userAgent": "aws-cli/2.17.0",
        "requestParameters": {}, "responseElements": None,
        "requestID": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "eventID": "9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4",
        "readOnly": read_only(name), "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": SAMPLE_ACCOUNT, "eventCategory": "Management",
        **fields,
    }


def _console_login(*, mfa: bool, success: bool, identity: Json = USER) -> Json:
    event = _event("signin.amazonaws.com", "ConsoleLogin", userIdentity=identity,
                   eventType="AwsConsoleSignIn", readOnly=False, requestParameters=None,
                   responseElements={"ConsoleLogin": "Success" if success else "Failure"},
                   additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home",
                                        "MobileVersion": "No", "MFAUsed": "Yes" if mfa else "No"})
    if not success:
        event["errorMessage"] = "Failed authentication"
    return event


def _changes(topic: str, metric: str, source: str, names: tuple[str, ...], normal: str, *,
             scoped: bool = False) -> AlarmControl:
    """A control over a list of API calls: each must be caught, a read-only call of the service not.

    `scoped`: the CIS reference pattern also tests eventSource (for event names other services share).
    """
    either = " || ".join(f"($.eventName = {name})" for name in names)
    reference = f"{{ ($.eventSource = {source}) && ({either}) }}" if scoped else f"{{ {either} }}"
    return AlarmControl(
        topic=topic, metric=metric, reference=reference,
        catch=tuple(Sample(name, _event(source, name)) for name in names),
        ignore=(Sample(f"a {source.split('.', 1)[0]}:{normal} call", _event(source, normal)),),
    )


UNAUTHORIZED_API_CALLS = AlarmControl(
    topic="unauthorized API calls",
    metric="UnauthorizedAPICalls",
    reference='{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
              '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    catch=(
        Sample("Client.UnauthorizedOperation (ec2:RunInstances)", _event(
            "ec2.amazonaws.com", "RunInstances", errorCode="Client.UnauthorizedOperation",
            errorMessage="You are not authorized to perform this operation.")),
        Sample("AccessDenied (iam:ListUsers)", _event(
            "iam.amazonaws.com", "ListUsers", errorCode="AccessDenied",
            errorMessage=f"User: {USER['arn']} is not authorized to perform: iam:ListUsers")),
        Sample("AccessDeniedException (secretsmanager:GetSecretValue)", _event(
            "secretsmanager.amazonaws.com", "GetSecretValue", errorCode="AccessDeniedException",
            errorMessage=f"User: {USER['arn']} is not authorized to perform: secretsmanager:GetSecretValue")),
    ),
    ignore=(Sample("a successful ec2:DescribeInstances call",
                   _event("ec2.amazonaws.com", "DescribeInstances")),),
)
CONSOLE_SIGNIN_WITHOUT_MFA = AlarmControl(
    topic="console sign-in without MFA",
    metric="ConsoleSignInWithoutMfa",
    reference='{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
              '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    catch=(Sample("an IAM user's console sign-in without MFA", _console_login(mfa=False, success=True)),),
    ignore=(Sample("a console sign-in with MFA", _console_login(mfa=True, success=True)),),
)
ROOT_USAGE = AlarmControl(
    topic="root user activity",
    metric="RootAccountUsage",
    reference='{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
              '$.eventType != "AwsServiceEvent" }',
    catch=(
        Sample("a root API call (iam:CreateAccessKey)",
               _event("iam.amazonaws.com", "CreateAccessKey", userIdentity=ROOT)),
        Sample("a root console sign-in", _console_login(mfa=True, success=True, identity=ROOT)),
        Sample("a root read call (s3:ListBuckets)",
               _event("s3.amazonaws.com", "ListBuckets", userIdentity=ROOT)),
    ),
    ignore=(Sample("an IAM user's API call", _event("iam.amazonaws.com", "ListUsers")),),
)
IAM_POLICY_CHANGES = _changes(
    "IAM policy changes", "IAMPolicyChanges", "iam.amazonaws.com",
    ("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
     "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
     "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
     "DetachGroupPolicy"),
    "ListPolicies",
)
CLOUDTRAIL_CHANGES = _changes(
    "CloudTrail configuration changes", "CloudTrailConfigChanges", "cloudtrail.amazonaws.com",
    ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    "DescribeTrails",
)
CONSOLE_AUTH_FAILURES = AlarmControl(
    topic="console authentication failures",
    metric="ConsoleAuthenticationFailures",
    reference='{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    catch=(Sample("a failed console sign-in", _console_login(mfa=False, success=False)),),
    ignore=(Sample("a successful console sign-in", _console_login(mfa=True, success=True)),),
)
CMK_DISABLE_OR_DELETION = _changes(
    "disabling or scheduled deletion of customer-managed KMS keys", "DisableOrDeleteCMK", "kms.amazonaws.com",
    ("DisableKey", "ScheduleKeyDeletion"),
    "DescribeKey", scoped=True,
)
S3_BUCKET_POLICY_CHANGES = _changes(
    "S3 bucket policy changes", "S3BucketPolicyChanges", "s3.amazonaws.com",
    ("PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
     "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"),
    "GetBucketPolicy", scoped=True,
)
CONFIG_CHANGES = _changes(
    "AWS Config configuration changes", "AWSConfigChanges", "config.amazonaws.com",
    ("StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"),
    "DescribeConfigurationRecorders", scoped=True,
)
SECURITY_GROUP_CHANGES = _changes(
    "security group changes", "SecurityGroupChanges", "ec2.amazonaws.com",
    ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
     "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"),
    "DescribeSecurityGroups",
)
NACL_CHANGES = _changes(
    "network ACL changes", "NACLChanges", "ec2.amazonaws.com",
    ("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
     "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"),
    "DescribeNetworkAcls",
)
NETWORK_GATEWAY_CHANGES = _changes(
    "network gateway changes", "NetworkGatewayChanges", "ec2.amazonaws.com",
    ("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
     "DeleteInternetGateway", "DetachInternetGateway"),
    "DescribeInternetGateways",
)
ROUTE_TABLE_CHANGES = _changes(
    "route table changes", "RouteTableChanges", "ec2.amazonaws.com",
    ("CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
     "DeleteRoute", "DisassociateRouteTable"),
    "DescribeRouteTables", scoped=True,
)
# CIS also lists the ClassicLink calls (AttachClassicLinkVpc, EnableVpcClassicLink ...). ClassicLink
# was retired in 2022: those events can no longer occur, so a filter without them misses nothing.
VPC_CHANGES = _changes(
    "VPC changes", "VPCChanges", "ec2.amazonaws.com",
    ("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
     "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection"),
    "DescribeVpcs",
)
ORGANIZATIONS_CHANGES = _changes(
    "AWS Organizations changes", "OrganizationsChanges", "organizations.amazonaws.com",
    ("AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
     "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
     "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
     "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"),
    "DescribeOrganization", scoped=True,
)

CONTROLS: tuple[AlarmControl, ...] = (
    UNAUTHORIZED_API_CALLS, CONSOLE_SIGNIN_WITHOUT_MFA, ROOT_USAGE, IAM_POLICY_CHANGES, CLOUDTRAIL_CHANGES,
    CONSOLE_AUTH_FAILURES, CMK_DISABLE_OR_DELETION, S3_BUCKET_POLICY_CHANGES, CONFIG_CHANGES,
    SECURITY_GROUP_CHANGES, NACL_CHANGES, NETWORK_GATEWAY_CHANGES, ROUTE_TABLE_CHANGES, VPC_CHANGES,
    ORGANIZATIONS_CHANGES,
)
"""In CIS v7.0 order, 5.1 to 5.15."""


# --- CIS 5.1-5.15 (MON-1..6): one check per alarm topic


@check(
    "cloudwatch_alarm_unauthorized_api_calls",
    title="Unauthorized API calls raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=remediation(UNAUTHORIZED_API_CALLS),
)
def cloudwatch_alarm_unauthorized_api_calls(account: Json, view: AccountView) -> Outcome:
    """A burst of AccessDenied errors is often the first trace of stolen credentials being tried
    out, or of an application probing beyond its role; an alert lets someone look while it happens."""
    return alarm_chain(view, UNAUTHORIZED_API_CALLS)


@check(
    "cloudwatch_alarm_console_signin_without_mfa",
    title="Console sign-in without MFA raises a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=remediation(CONSOLE_SIGNIN_WITHOUT_MFA),
)
def cloudwatch_alarm_console_signin_without_mfa(account: Json, view: AccountView) -> Outcome:
    """A console sign-in protected only by a password is the easiest way in with a phished or
    reused password; alerting on each one shows which users still lack MFA and catches misuse."""
    return alarm_chain(view, CONSOLE_SIGNIN_WITHOUT_MFA)


@check(
    "cloudwatch_alarm_root_usage",
    title="Root user activity raises a CloudWatch alarm that notifies a subscriber",
    severity=Severity.HIGH,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(ROOT_USAGE),
)
def cloudwatch_alarm_root_usage(account: Json, view: AccountView) -> Outcome:
    """The root user cannot be restricted by IAM policies and should almost never be used; every use
    should reach a person at once, since unplanned root activity means compromise or broken process."""
    return alarm_chain(view, ROOT_USAGE)


@check(
    "cloudwatch_alarm_iam_policy_changes",
    title="IAM policy changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(IAM_POLICY_CHANGES),
)
def cloudwatch_alarm_iam_policy_changes(account: Json, view: AccountView) -> Outcome:
    """Attaching or rewriting a policy is how an intruder turns a foothold into administrator
    access and how persistence is planted; each change should be seen and matched to a ticket."""
    return alarm_chain(view, IAM_POLICY_CHANGES)


@check(
    "cloudwatch_alarm_cloudtrail_changes",
    title="CloudTrail configuration changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(CLOUDTRAIL_CHANGES),
)
def cloudwatch_alarm_cloudtrail_changes(account: Json, view: AccountView) -> Outcome:
    """Stopping or editing a trail is what an attacker does before acting unseen; the alert is the
    last event the trail may ever record, so it must reach someone immediately."""
    return alarm_chain(view, CLOUDTRAIL_CHANGES)


@check(
    "cloudwatch_alarm_console_auth_failures",
    title="Console authentication failures raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.LOW,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=remediation(CONSOLE_AUTH_FAILURES),
)
def cloudwatch_alarm_console_auth_failures(account: Json, view: AccountView) -> Outcome:
    """Repeated failed console sign-ins point to password guessing or credential stuffing against
    the account's users; an alert gives time to lock the user or block the source."""
    return alarm_chain(view, CONSOLE_AUTH_FAILURES)


@check(
    "cloudwatch_alarm_cmk_disable_or_deletion",
    title="Disabling or deleting a KMS customer-managed key raises an alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.AVAILABILITY,
    over=ACCOUNT,
    remediation=remediation(CMK_DISABLE_OR_DELETION),
)
def cloudwatch_alarm_cmk_disable_or_deletion(account: Json, view: AccountView) -> Outcome:
    """Data encrypted under a deleted key is lost for good: a scheduled deletion can still be
    cancelled during its waiting period, but only if someone hears about it in time."""
    return alarm_chain(view, CMK_DISABLE_OR_DELETION)


@check(
    "cloudwatch_alarm_s3_bucket_policy_changes",
    title="S3 bucket policy and ACL changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over=ACCOUNT,
    remediation=remediation(S3_BUCKET_POLICY_CHANGES),
)
def cloudwatch_alarm_s3_bucket_policy_changes(account: Json, view: AccountView) -> Outcome:
    """One policy or ACL change can make a bucket public or hand it to another account; an alert
    shortens the time such data sits exposed."""
    return alarm_chain(view, S3_BUCKET_POLICY_CHANGES)


@check(
    "cloudwatch_alarm_config_changes",
    title="AWS Config configuration changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(CONFIG_CHANGES),
)
def cloudwatch_alarm_config_changes(account: Json, view: AccountView) -> Outcome:
    """Stopping the Config recorder or removing its delivery channel blinds configuration history
    and compliance rules; like stopping a trail, it deserves an immediate look."""
    return alarm_chain(view, CONFIG_CHANGES)


@check(
    "cloudwatch_alarm_security_group_changes",
    title="Security group changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(SECURITY_GROUP_CHANGES),
)
def cloudwatch_alarm_security_group_changes(account: Json, view: AccountView) -> Outcome:
    """A rule opening SSH or a database port to the internet is exploited within hours; an alert on
    security group changes lets someone revert it before a scanner finds it."""
    return alarm_chain(view, SECURITY_GROUP_CHANGES)


@check(
    "cloudwatch_alarm_nacl_changes",
    title="Network ACL changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(NACL_CHANGES),
)
def cloudwatch_alarm_nacl_changes(account: Json, view: AccountView) -> Outcome:
    """Network ACLs are the subnet-wide second line behind security groups; a changed entry can open
    whole subnets at once, and should be noticed."""
    return alarm_chain(view, NACL_CHANGES)


@check(
    "cloudwatch_alarm_network_gateway_changes",
    title="Network gateway changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(NETWORK_GATEWAY_CHANGES),
)
def cloudwatch_alarm_network_gateway_changes(account: Json, view: AccountView) -> Outcome:
    """An internet or customer gateway attached where none should be creates a new path in or out
    of the network, for exfiltration or for attack; it should never go unnoticed."""
    return alarm_chain(view, NETWORK_GATEWAY_CHANGES)


@check(
    "cloudwatch_alarm_route_table_changes",
    title="Route table changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(ROUTE_TABLE_CHANGES),
)
def cloudwatch_alarm_route_table_changes(account: Json, view: AccountView) -> Outcome:
    """A changed route can send private subnets' traffic to the internet or through an instance an
    attacker controls; alerting on route changes keeps traffic on its intended path."""
    return alarm_chain(view, ROUTE_TABLE_CHANGES)


@check(
    "cloudwatch_alarm_vpc_changes",
    title="VPC changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(VPC_CHANGES),
)
def cloudwatch_alarm_vpc_changes(account: Json, view: AccountView) -> Outcome:
    """New VPCs and peering connections change who can reach what; an unexpected peering with a
    foreign account is a direct path into the network."""
    return alarm_chain(view, VPC_CHANGES)


@check(
    "cloudwatch_alarm_organizations_changes",
    title="AWS Organizations changes raise a CloudWatch alarm that notifies a subscriber",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over=ACCOUNT,
    remediation=remediation(ORGANIZATIONS_CHANGES),
)
def cloudwatch_alarm_organizations_changes(account: Json, view: AccountView) -> Outcome:
    """Detaching an SCP, moving an account out of a guarded OU or leaving the organization removes
    the guardrails of every account it touches; such changes are rare and must be reviewed."""
    return alarm_chain(view, ORGANIZATIONS_CHANGES)
