"""CloudWatch Logs filter patterns: parsing, matching, and what each CIS control's filter really catches."""

from __future__ import annotations

import contextlib

import pytest

from awsaudit.checks.monitoring._alarm_chain import coverage
from awsaudit.checks.monitoring.alarms import (
    CLOUDTRAIL_CHANGES,
    CMK_DISABLE_OR_DELETION,
    CONFIG_CHANGES,
    CONSOLE_AUTH_FAILURES,
    CONSOLE_SIGNIN_WITHOUT_MFA,
    CONTROLS,
    IAM_POLICY_CHANGES,
    NACL_CHANGES,
    NETWORK_GATEWAY_CHANGES,
    ORGANIZATIONS_CHANGES,
    ROOT_USAGE,
    ROUTE_TABLE_CHANGES,
    S3_BUCKET_POLICY_CHANGES,
    SECURITY_GROUP_CHANGES,
    UNAUTHORIZED_API_CALLS,
    VPC_CHANGES,
    AlarmControl,
)
from awsaudit.checks.monitoring.filter_pattern import JsonPattern, PatternError, TermPattern, matches, parse
from awsaudit.model import Json

# The recommended patterns as the CIS benchmark prints them (spacing, quoting and all).
CIS_TEXT: list[tuple[AlarmControl, str]] = [
    (UNAUTHORIZED_API_CALLS,
     '{($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
     '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'),
    (UNAUTHORIZED_API_CALLS,
     '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'),
    (CONSOLE_SIGNIN_WITHOUT_MFA,
     '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'),
    (CONSOLE_SIGNIN_WITHOUT_MFA,
     '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
     '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'),
    (ROOT_USAGE,
     '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
     '$.eventType != "AwsServiceEvent" }'),
    (IAM_POLICY_CHANGES,
     "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||"
     "($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
     "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||"
     "($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
     "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||"
     "($.eventName=DetachGroupPolicy)}"),
    (CLOUDTRAIL_CHANGES,
     "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
     "($.eventName = StartLogging) || ($.eventName = StopLogging) }"),
    (CONSOLE_AUTH_FAILURES, '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    (CMK_DISABLE_OR_DELETION,
     "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||"
     "($.eventName=ScheduleKeyDeletion)) }"),
    (S3_BUCKET_POLICY_CHANGES,
     "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
     "($.eventName = PutBucketPolicy) "
     "|| ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || "
     "($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || "
     "($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || "
     "($.eventName = DeleteBucketReplication)) }"),
    (CONFIG_CHANGES,
     "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||"
     "($.eventName=DeleteDeliveryChannel) ||($.eventName=PutDeliveryChannel)||"
     "($.eventName=PutConfigurationRecorder)) }"),
    (SECURITY_GROUP_CHANGES,
     "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
     "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
     "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"),
    (NACL_CHANGES,
     "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
     "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
     "($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"),
    (NETWORK_GATEWAY_CHANGES,
     "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || "
     "($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || "
     "($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"),
    (ROUTE_TABLE_CHANGES,
     "{($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || "
     "($.eventName = CreateRouteTable) "
     "|| ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
     "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || "
     "($.eventName = DisassociateRouteTable)) }"),
    (VPC_CHANGES,
     "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || "
     "($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || "
     "($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || "
     "($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || "
     "($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"),
    (ORGANIZATIONS_CHANGES,
     '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || '
     '($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || '
     '($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || '
     '($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || '
     '($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || '
     '($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || '
     '($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || '
     '($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || '
     '($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || '
     '($.eventName = "UpdateOrganizationalUnit")) }'),
]

# Written differently, meaning the same: each must pass its control.
EQUIVALENT: list[tuple[AlarmControl, str]] = [
    (CLOUDTRAIL_CHANGES, '{$.eventName="StopLogging"||$.eventName="StartLogging"||$.eventName="DeleteTrail"'
                         '||$.eventName="UpdateTrail"||$.eventName="CreateTrail"}'),
    (CLOUDTRAIL_CHANGES, "{ ((($.eventName = CreateTrail) || ($.eventName = UpdateTrail)) || "
                         "(($.eventName = DeleteTrail) || (($.eventName = StartLogging) || "
                         "($.eventName = StopLogging)))) }"),
    (CLOUDTRAIL_CHANGES, '{\n  ($.eventSource = "cloudtrail.amazonaws.com") &&\n  ($.eventName = "*Trail" '
                         '|| $.eventName = "*Logging")\n}'),
    (CMK_DISABLE_OR_DELETION, '{ ($.eventName = "ScheduleKeyDeletion" || $.eventName = "DisableKey") && '
                              '$.eventSource = "kms.amazonaws.com" }'),
    (UNAUTHORIZED_API_CALLS,
     '{ ($.errorCode = %UnauthorizedOperation$%) || ($.errorCode = "AccessDenied*") }'),
    (UNAUTHORIZED_API_CALLS, "{ $.errorCode = *UnauthorizedOperation || $.errorCode = AccessDenied* }"),
    (ROOT_USAGE, '{ ($.userIdentity.type = Root) && ($.userIdentity.invokedBy NOT EXISTS) }'),
    (ROOT_USAGE, '{ $.userIdentity.arn = "arn:aws:iam::*:root" }'),
    (CONSOLE_AUTH_FAILURES,
     '{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }'),
    (CONSOLE_SIGNIN_WITHOUT_MFA, '{ $.eventName = ConsoleLogin && $.additionalEventData.MFAUsed = "No" }'),
    (CLOUDTRAIL_CHANGES, '?CreateTrail ?UpdateTrail ?DeleteTrail ?StartLogging ?StopLogging'),
    (CONSOLE_AUTH_FAILURES, '"Failed authentication" ConsoleLogin'),
]

# One event short, or too broad: each must fail, naming the event.
DEFICIENT: list[tuple[AlarmControl, str, tuple[str, ...], tuple[str, ...]]] = [
    (CLOUDTRAIL_CHANGES, "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
                         "($.eventName = DeleteTrail) || ($.eventName = StartLogging) }",
     ("StopLogging",), ()),
    (CLOUDTRAIL_CHANGES, "{ ($.eventName = createtrail) || ($.eventName = UpdateTrail) || "
                         "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
                         "($.eventName = StopLogging) }", ("CreateTrail",), ()),
    (CMK_DISABLE_OR_DELETION, "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKey) }",
     ("ScheduleKeyDeletion",), ()),
    (CMK_DISABLE_OR_DELETION, "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) && "
                              "($.eventName = ScheduleKeyDeletion)) }",
     ("DisableKey", "ScheduleKeyDeletion"), ()),
    (CMK_DISABLE_OR_DELETION, "{ $.eventSource = kms.amazonaws.com }", (), ("a kms:DescribeKey call",)),
    (UNAUTHORIZED_API_CALLS, '{ $.errorCode = "AccessDenied*" }',
     ("Client.UnauthorizedOperation (ec2:RunInstances)",), ()),
    (ROOT_USAGE, '{ $.userIdentity.type = "Root" && $.eventType = "AwsApiCall" }',
     ("a root console sign-in",), ()),
    (CONSOLE_SIGNIN_WITHOUT_MFA, "{ $.eventName = ConsoleLogin }", (), ("a console sign-in with MFA",)),
    (CONSOLE_AUTH_FAILURES, "", (), ("a successful console sign-in",)),
]

# Malformed: refused with a position, never a crash; a control treats them as matching nothing.
MALFORMED = [
    "{ $.eventName = CreateTrail",
    "{ ($.eventName = CreateTrail }",
    "{ $.eventName = CreateTrail) }",
    "{ $.eventName CreateTrail }",
    "{ $.eventName = }",
    "{ $.eventName == CreateTrail }",
    '{ $.eventName = "CreateTrail }',
    "{ $.eventName = CreateTrail || }",
    "{ && $.eventName = CreateTrail }",
    "{ eventName = CreateTrail }",
    "{ $eventName = CreateTrail }",
    "{ $. = CreateTrail }",
    "{ $.a[0 = 1 }",
    "{ $.latency > fast }",
    "{ $.eventName IS }",
    "{ $.eventName NOT NULL }",
    "{ $.eventName = %([a-z]% }",
    "{ }",
    "{ $.eventName = CreateTrail } trailing",
    "[ip, user, ...]",
    '"unterminated phrase',
]

EVENT: Json = {
    "eventName": "CreateTrail", "eventSource": "cloudtrail.amazonaws.com", "errorCode": "AccessDenied",
    "userIdentity": {"type": "IAMUser", "userName": "alice"}, "readOnly": False, "responseElements": None,
    "latency": 250, "ratio": 0.5,
    "resources": [{"ARN": "arn:aws:s3:::acme-data"}, {"ARN": "arn:aws:s3:::logs"}],
    "requestParameters": {"name": "acme trail"},
}

SEMANTICS = [
    ("{ $.eventName = CreateTrail }", True),
    ('{ $.eventName = "CreateTrail" }', True),
    ("{ $.eventName = createtrail }", False),  # case-sensitive, as in CloudWatch Logs
    ("{ $.eventName = Create* }", True),
    ("{ $.eventName = *Trail }", True),
    ("{ $.eventName = C*T*l }", True),
    ("{ $.eventName = Create }", False),
    ("{ $.eventName != DeleteTrail }", True),
    ("{ $.eventName != CreateTrail }", False),
    ("{ $.missing != anything }", False),  # a comparison on an absent field never matches
    ("{ $.missing = * }", False),
    ("{ $.eventName = * }", True),
    ("{ $.missing NOT EXISTS }", True),
    ("{ $.eventName NOT EXISTS }", False),
    ("{ $.eventName EXISTS }", True),
    ("{ $.responseElements IS NULL }", True),
    ("{ $.eventName IS NULL }", False),
    ("{ $.readOnly IS FALSE }", True),
    ("{ $.readOnly IS TRUE }", False),
    ("{ $.readOnly = false }", True),
    ("{ $.latency > 200 }", True),
    ("{ $.latency >= 250 }", True),
    ("{ $.latency < 250 }", False),
    ("{ $.latency <= 250.0 }", True),
    ("{ $.latency = 250 }", True),
    ("{ $.latency != 250 }", False),
    ("{ $.ratio < 1 }", True),
    ("{ $.eventName > 1 }", False),  # numeric comparison on a string
    ("{ $.resources[1].ARN = *logs }", True),
    ("{ $.resources[0].ARN = *logs }", False),
    ("{ $.resources[5].ARN = * }", False),
    ("{ $.resources.ARN = * }", False),  # an array is not a field
    ("{ $.userIdentity = * }", False),  # nor is an object
    ("{ $.userIdentity.userName = alice }", True),
    ('{ $.requestParameters.name = "acme trail" }', True),
    ("{ $.requestParameters.name = %^acme\\s% }", True),
    ('{ $.eventName = "Create\\"Trail" }', False),
    ("{ $.a = 1 || $.eventName = CreateTrail && $.errorCode = AccessDenied }", True),
    ("{ ($.a = 1 || $.eventName = CreateTrail) && $.errorCode = Throttling }", False),
    ("{ $.a = 1 || $.eventName = CreateTrail && $.errorCode = Throttling }", False),  # && binds tighter
    ("{ ((($.eventName = CreateTrail))) }", True),
    ("{$.eventName=CreateTrail&&$.errorCode=AccessDenied}", True),
    ("{ $.eventName = CreateTrail is not null }", None),  # trailing words: malformed
    ("CreateTrail", True),
    ('"CreateTrail"', True),
    ('"\\"eventName\\":\\"CreateTrail\\""', True),  # the compact JSON the events are delivered as
    ("CreateTrail AccessDenied", True),
    ("CreateTrail Throttling", False),
    ("?Throttling ?AccessDenied", True),
    ("?Throttling ?Unknown", False),
    ("CreateTrail -alice", False),
    ("CreateTrail -bob", True),
    ("%Create[A-Z]rail%", True),
    ("", True),
    ("   ", True),
]


@pytest.mark.parametrize(("control", "pattern"), CIS_TEXT, ids=lambda v: getattr(v, "metric", ""))
def test_cis_patterns_as_printed_pass_their_control(control: AlarmControl, pattern: str) -> None:
    found = coverage(pattern, control)
    assert found.complete, found.explain()


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.metric)
def test_reference_pattern_passes_and_every_sample_is_needed(control: AlarmControl) -> None:
    assert coverage(control.reference, control).complete
    assert control.catch and control.ignore


@pytest.mark.parametrize(("control", "pattern"), EQUIVALENT, ids=lambda v: getattr(v, "metric", ""))
def test_equivalent_patterns_pass(control: AlarmControl, pattern: str) -> None:
    found = coverage(pattern, control)
    assert found.complete, found.explain()


@pytest.mark.parametrize(("control", "pattern", "missed", "overbroad"), DEFICIENT,
                         ids=lambda v: getattr(v, "metric", ""))
def test_deficient_patterns_fail_naming_the_events(
        control: AlarmControl, pattern: str, missed: tuple[str, ...], overbroad: tuple[str, ...]) -> None:
    found = coverage(pattern, control)
    assert not found.complete
    assert (found.missed, found.overbroad) == (missed, overbroad)


@pytest.mark.parametrize("pattern", MALFORMED)
def test_malformed_patterns_are_refused_with_a_position(pattern: str) -> None:
    with pytest.raises(PatternError) as raised:
        parse(pattern)
    assert "at position" in str(raised.value)
    found = coverage(pattern, CLOUDTRAIL_CHANGES)
    assert found.error is not None and not found.complete
    assert "could not be parsed" in found.explain()


@pytest.mark.parametrize(("pattern", "expected"), SEMANTICS)
def test_semantics(pattern: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(PatternError):
            parse(pattern)
    else:
        assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(("control", "pattern"), CIS_TEXT[:6], ids=lambda v: getattr(v, "metric", ""))
def test_every_truncation_parses_or_is_refused(control: AlarmControl, pattern: str) -> None:
    """Cut anywhere, a pattern never crashes the parser: it parses or raises PatternError."""
    for end in range(len(pattern)):
        with contextlib.suppress(PatternError):
            parse(pattern[:end]).matches(control.catch[0].event)


def test_parse_shapes() -> None:
    assert isinstance(parse("  { $.a = 1 }  "), JsonPattern)
    terms = parse('ERROR ?WARN ?"disk full" -debug')
    assert isinstance(terms, TermPattern)
    assert [t.text for t in terms.required] == ["ERROR"]
    assert [t.text for t in terms.optional] == ["WARN", "disk full"]
    assert [t.text for t in terms.excluded] == ["debug"]
