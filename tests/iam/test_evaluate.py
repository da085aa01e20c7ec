"""The evaluator against AWS's documented semantics, one row per rule ("Policy evaluation logic",
"IAM JSON policy elements", "Condition operators", "Permissions boundaries")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from awsaudit.iam.conditions import Context
from awsaudit.iam.evaluate import Caller, PolicySet, Request, evaluate
from awsaudit.iam.policy import parse_policy

ACCOUNT = "123456789012"
ALICE = Caller(f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "user")
APP = Caller(f"arn:aws:iam::{ACCOUNT}:role/app", ACCOUNT, "role")
BUCKET = "arn:aws:s3:::acme-data"
OBJECT = "arn:aws:s3:::acme-data/reports/2024/q1.csv"


def stmt(effect: str = "Allow", action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect, **extra}
    if action is not None:
        out["Action"] = action
    if resource is not None:
        out["Resource"] = resource
    return out


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version:
        out["Version"] = version
    return out


@dataclass
class Row:
    name: str
    action: str
    resource: str
    expected: bool
    identity: list[dict[str, Any]] = field(default_factory=list)
    boundary: dict[str, Any] | None = None
    scps: list[list[dict[str, Any]]] = field(default_factory=list)
    resource_policy: dict[str, Any] | None = None
    trust: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    caller: Caller = ALICE
    resource_account: str | None = None

    def run(self) -> bool:
        policies = PolicySet(
            identity=tuple(parse_policy(d, f"identity{i}") for i, d in enumerate(self.identity)),
            boundary=parse_policy(self.boundary, "boundary") if self.boundary else None,
            scps=tuple(tuple(parse_policy(d, f"scp{n}") for d in level) for n, level in enumerate(self.scps)),
            resource=parse_policy(self.resource_policy, "resource", "trust" if self.trust else "resource")
            if self.resource_policy else None,
            resource_account=self.resource_account, trust=self.trust)
        ctx = Context.of({"aws:username": "alice", **self.context}) if self.caller is ALICE else Context.of(
            self.context)
        return evaluate(Request(self.action, self.resource, ctx, self.caller), policies).allowed


ALLOW_ALL = doc(stmt())
S3_READ = doc(stmt(action="s3:Get*", resource="arn:aws:s3:::acme-data/*"))

ROWS = [
    # Deny beats allow; no policy = implicit deny.
    Row("no-policy-implicit-deny", "s3:GetObject", OBJECT, False),
    Row("allow", "s3:GetObject", OBJECT, True, [S3_READ]),
    Row("explicit-deny-wins", "s3:GetObject", OBJECT, False,
        [ALLOW_ALL, doc(stmt("Deny", "s3:GetObject", OBJECT))]),
    Row("deny-in-other-policy-for-other-action", "s3:PutObject", OBJECT, True,
        [ALLOW_ALL, doc(stmt("Deny", "s3:GetObject", OBJECT))]),
    Row("deny-in-boundary-wins", "s3:GetObject", OBJECT, False, [ALLOW_ALL],
        boundary=doc(stmt(), stmt("Deny", "s3:*"))),
    # Actions: case-insensitive, * and ? anywhere, prefix must match.
    Row("action-case-insensitive", "S3:getobject", OBJECT, True, [S3_READ]),
    Row("action-question-mark", "s3:GetObject", OBJECT, True, [doc(stmt(action="s3:?etObject"))]),
    Row("action-question-mark-one-char", "s3:GetObject", OBJECT, False, [doc(stmt(action="s3:?Object"))]),
    Row("action-mid-wildcard", "iam:CreatePolicyVersion", "*", True, [doc(stmt(action="iam:*Policy*"))]),
    Row("action-mid-wildcard-miss", "iam:ListPolicies", "*", False, [doc(stmt(action="iam:*Policy*"))]),
    Row("ec2-star-not-instance-connect", "ec2-instance-connect:SendSSHPublicKey", "*", False,
        [doc(stmt(action="ec2:*"))]),
    Row("action-list-is-or", "s3:PutObject", OBJECT, True, [doc(stmt(action=["s3:GetObject",
        "s3:PutObject"]))]),
    # NotAction.
    Row("notaction-allows-others", "sts:AssumeRole", "*", True, [doc(stmt(action=None, NotAction="iam:*"))]),
    Row("notaction-excludes-listed", "iam:CreateUser", "*", False, [doc(stmt(action=None,
        NotAction="iam:*"))]),
    Row("deny-notaction-denies-rest", "s3:GetObject", OBJECT, False,
        [ALLOW_ALL, doc(stmt("Deny", None, NotAction=["iam:*"]))]),
    Row("deny-notaction-spares-listed", "iam:ListUsers", "*", True,
        [ALLOW_ALL, doc(stmt("Deny", None, NotAction=["iam:*"]))]),
    # Resources: case-sensitive, * spans / in the last segment, * request resource only matched by *.
    Row("resource-case-sensitive", "s3:GetObject", "arn:aws:s3:::ACME-DATA/x", False, [S3_READ]),
    Row("resource-star-spans-slash", "s3:GetObject", "arn:aws:s3:::b/1/2/test/x.jpg", True,
        [doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::b/*/test/*"))]),
    Row("resource-segment-wildcard", "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ec2-app-web", True,
        [doc(stmt(action="iam:PassRole", resource="arn:aws:iam::*:role/ec2-app-*"))]),
    Row("resource-star-request-needs-star", "iam:ListUsers", "*", False,
        [doc(stmt(action="iam:ListUsers", resource="arn:aws:iam::*:*"))]),
    Row("bucket-not-object", "s3:GetObject", BUCKET, False, [S3_READ]),
    Row("notresource-allows-others", "s3:GetObject", "arn:aws:s3:::other/x", True,
        [doc(stmt(resource=None, NotResource="arn:aws:s3:::acme-data/*"))]),
    Row("notresource-excludes-listed", "s3:GetObject", OBJECT, False,
        [doc(stmt(resource=None, NotResource="arn:aws:s3:::acme-data/*"))]),
    Row("notresource-matches-star-resource", "iam:ListUsers", "*", True,
        [doc(stmt(resource=None, NotResource="arn:aws:s3:::acme-data/*"))]),
    Row("deny-notresource", "s3:GetObject", "arn:aws:s3:::other/x", False,
        [ALLOW_ALL, doc(stmt("Deny", resource=None, NotResource=["arn:aws:s3:::acme-data/*"]))]),
    # Policy variables: only with Version 2012-10-17; absent key matches nothing.
    Row("variable-username", "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice", True,
        [doc(stmt(action="iam:*AccessKey*", resource="arn:aws:iam::*:user/${aws:username}"))]),
    Row("variable-other-user", "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/bob", False,
        [doc(stmt(action="iam:*AccessKey*", resource="arn:aws:iam::*:user/${aws:username}"))]),
    Row("variable-literal-2008", "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice", False,
        [doc(stmt(action="iam:*AccessKey*", resource="arn:aws:iam::*:user/${aws:username}"),
             version="2008-10-17")]),
    Row("variable-absent-key-matches-nothing", "s3:GetObject", "arn:aws:s3:::home/", False,
        [doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::home/${aws:username}"))], caller=APP),
    Row("variable-default", "s3:GetObject", "arn:aws:s3:::home/nobody", True,
        [doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::home/${aws:username, 'nobody'}"))],
            caller=APP),
    # Permissions boundary: intersection; never grants.
    Row("boundary-allows", "s3:GetObject", OBJECT, True, [ALLOW_ALL], boundary=doc(stmt(action="s3:*"))),
    Row("boundary-limits", "iam:CreateUser", "*", False, [ALLOW_ALL], boundary=doc(stmt(action="s3:*"))),
    Row("boundary-never-grants", "s3:GetObject", OBJECT, False, [], boundary=ALLOW_ALL),
    # SCPs: every level must allow; never grant.
    Row("scp-full-access", "s3:GetObject", OBJECT, True, [ALLOW_ALL], scps=[[ALLOW_ALL], [ALLOW_ALL]]),
    Row("scp-level-without-allow", "s3:GetObject", OBJECT, False, [ALLOW_ALL],
        scps=[[ALLOW_ALL], [doc(stmt(action="ec2:*"))]]),
    Row("scp-one-of-level-enough", "s3:GetObject", OBJECT, True, [ALLOW_ALL],
        scps=[[ALLOW_ALL], [doc(stmt(action="ec2:*")), doc(stmt(action="s3:*"))]]),
    Row("scp-deny", "s3:GetObject", OBJECT, False, [ALLOW_ALL], scps=[[ALLOW_ALL, doc(stmt("Deny",
        "s3:*"))]]),
    Row("scp-never-grants", "s3:GetObject", OBJECT, False, [], scps=[[ALLOW_ALL]]),
    # Resource-based policies (same account).
    Row("resource-policy-names-user", "s3:GetObject", OBJECT, True, [],
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT, Principal={"AWS": ALICE.arn}))),
    Row("resource-policy-names-user-despite-boundary", "s3:GetObject", OBJECT, True, [],
        boundary=doc(stmt(action="ec2:*")),
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT, Principal={"AWS": ALICE.arn}))),
    Row("resource-policy-names-role-boundary-applies", "s3:GetObject", OBJECT, False, [],
        boundary=doc(stmt(action="ec2:*")), caller=APP,
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT, Principal={"AWS": APP.arn}))),
    Row("resource-policy-names-role-no-identity-needed", "s3:GetObject", OBJECT, True, [], caller=APP,
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT, Principal={"AWS": APP.arn}))),
    Row("resource-policy-names-account-identity-decides", "s3:GetObject", OBJECT, False, [],
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT,
                                 Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))),
    Row("resource-policy-deny-wins", "s3:GetObject", OBJECT, False, [ALLOW_ALL],
        resource_policy=doc(stmt("Deny", "s3:*", OBJECT, Principal="*"))),
    Row("resource-policy-notprincipal-deny-spares", "s3:GetObject", OBJECT, True, [ALLOW_ALL],
        resource_policy=doc(stmt("Deny", "s3:*", OBJECT, NotPrincipal={"AWS": ALICE.arn}))),
    Row("cross-account-needs-both", "s3:GetObject", OBJECT, False, [],
        resource_account="999999999999",
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT, Principal={"AWS": ALICE.arn}))),
    Row("cross-account-both-allow", "s3:GetObject", OBJECT, True, [S3_READ],
        resource_account="999999999999",
        resource_policy=doc(stmt(action="s3:GetObject", resource=OBJECT, Principal={"AWS": ACCOUNT}))),
    # Role trust policies must always allow explicitly.
    Row("trust-names-user", "sts:AssumeRole", APP.arn, True, [], trust=True,
        resource_policy=doc(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": ALICE.arn}))),
    Row("trust-names-account-needs-identity", "sts:AssumeRole", APP.arn, False, [], trust=True,
        resource_policy=doc(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": ACCOUNT}))),
    Row("trust-names-account-with-identity", "sts:AssumeRole", APP.arn, True, [ALLOW_ALL], trust=True,
        resource_policy=doc(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": ACCOUNT}))),
    Row("trust-identity-alone-not-enough", "sts:AssumeRole", APP.arn, False, [ALLOW_ALL], trust=True,
        resource_policy=doc(stmt(action="sts:AssumeRole", resource=None,
            Principal={"Service": "ec2.amazonaws.com"}))),
]

MFA_ALLOW = doc(stmt(action="s3:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
MFA_DENY = doc(stmt("Deny", "*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))
MFA_DENY_IFEXISTS = doc(stmt("Deny", "*",
    Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))


def cond(operator: str, key: str, value: Any, context: dict[str, Any], expected: bool, name: str) -> Row:
    return Row(name, "s3:GetObject", OBJECT, expected, [doc(stmt(action="s3:GetObject", Condition={
        operator: {key: value}}))], context=context)


CONDITION_ROWS = [
    Row("bool-true", "s3:GetObject", OBJECT, True, [MFA_ALLOW],
        context={"aws:MultiFactorAuthPresent": "true"}),
    Row("bool-missing-key-positive-false", "s3:GetObject", OBJECT, False, [MFA_ALLOW]),
    Row("deny-bool-false-missing-key-never-fires", "s3:GetObject", OBJECT, True, [ALLOW_ALL, MFA_DENY]),
    Row("deny-boolifexists-missing-key-fires", "s3:GetObject", OBJECT, False, [ALLOW_ALL, MFA_DENY_IFEXISTS]),
    Row("deny-boolifexists-mfa-present", "s3:GetObject", OBJECT, True, [ALLOW_ALL, MFA_DENY_IFEXISTS],
        context={"aws:MultiFactorAuthPresent": True}),
    cond("StringEquals", "aws:RequestedRegion", ["eu-west-1", "eu-central-1"],
         {"aws:RequestedRegion": "eu-central-1"},
         True, "string-equals-or-of-values"),
    cond("StringEquals", "aws:RequestedRegion", "eu-west-1", {"aws:RequestedRegion": "EU-WEST-1"}, False,
         "string-equals-case-sensitive"),
    cond("StringEqualsIgnoreCase", "aws:RequestedRegion", "eu-west-1",
         {"aws:RequestedRegion": "EU-WEST-1"}, True,
         "string-equals-ignore-case"),
    cond("StringNotEquals", "aws:RequestedRegion", "us-east-1", {"aws:RequestedRegion": "eu-west-1"}, True,
         "string-not-equals"),
    cond("StringNotEquals", "aws:RequestedRegion", "us-east-1", {}, True, "negated-missing-key-true"),
    cond("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:user/al*", {"aws:PrincipalArn": ALICE.arn}, True,
         "string-like"),
    cond("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:user/AL*", {"aws:PrincipalArn": ALICE.arn}, False,
         "string-like-case-sensitive"),
    cond("StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", {"aws:PrincipalArn": ALICE.arn}, True,
         "string-not-like"),
    cond("StringEqualsIfExists", "aws:RequestedRegion", "eu-west-1", {}, True, "ifexists-missing-key-true"),
    cond("StringEqualsIfExists", "aws:RequestedRegion", "eu-west-1",
         {"aws:RequestedRegion": "us-east-1"}, False,
         "ifexists-present-key-compares"),
    cond("Null", "aws:TokenIssueTime", "true", {}, True, "null-true-missing"),
    cond("Null", "aws:TokenIssueTime", "false", {}, False, "null-false-missing"),
    cond("Null", "aws:TokenIssueTime", "false", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, True,
         "null-false-present"),
    cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "120"}, True,
         "numeric-less-than"),
    cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "7200"}, False,
         "numeric-less-than-false"),
    cond("NumericGreaterThanEquals", "s3:max-keys", 10, {"s3:max-keys": 10}, True, "numeric-gte"),
    cond("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, True, "numeric-not-equals"),
    cond("DateGreaterThan", "aws:CurrentTime", "2024-01-01T00:00:00Z",
         {"aws:CurrentTime": "2024-06-01T12:00:00Z"},
         True, "date-greater"),
    cond("DateLessThan", "aws:CurrentTime", "2024-01-01T00:00:00Z",
         {"aws:CurrentTime": "2024-06-01T12:00:00Z"},
         False, "date-less-false"),
    cond("DateLessThan", "aws:EpochTime", "1700000000", {"aws:EpochTime": "1600000000"}, True, "date-epoch"),
    cond("IpAddress", "aws:SourceIp", ["203.0.113.0/24"], {"aws:SourceIp": "203.0.113.9"}, True,
         "ip-in-cidr"),
    cond("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, False,
         "ip-outside"),
    cond("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8::1"}, True, "ipv6"),
    cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, True, "not-ip"),
    cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:topic-*",
         {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:topic-a"}, True, "arn-like"),
    cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:topic-*",
         {"aws:SourceArn": "arn:aws:sns:eu-west-1:999999999999:topic-a"}, False, "arn-like-account"),
    cond("ArnLike", "aws:SourceArn", "arn:aws:s*",
         {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:t"}, True,
             "arn-like-short-pattern-whole-string"),
    cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*:x",
         {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:a:b:x"}, True,
             "arn-like-resource-spans-colon"),
    cond("ArnNotEquals", "aws:SourceArn", "arn:aws:sns:eu-west-1:123456789012:t",
         {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:u"}, True, "arn-not-equals"),
    cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["cost", "team"]}, True,
         "for-any-value"),
    cond("ForAnyValue:StringEquals", "aws:TagKeys", ["env"], {}, False, "for-any-value-missing-false"),
    cond("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["env", "team"]}, True,
         "for-all-values"),
    cond("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team"], {"aws:TagKeys": ["env", "owner"]},
         False,
         "for-all-values-extra"),
    cond("ForAllValues:StringEquals", "aws:TagKeys", ["env"], {}, True, "for-all-values-missing-true"),
    cond("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"], {"aws:TagKeys": ["env", "x"]}, True,
         "for-any-value-negated"),
    cond("StringEquals", "AWS:REQUESTEDREGION", "eu-west-1", {"aws:RequestedRegion": "eu-west-1"}, True,
         "key-case-insensitive"),
    cond("StringEquals", "aws:PrincipalTag/team", "${aws:username}", {"aws:PrincipalTag/team": "alice"}, True,
         "variable-in-condition-value"),
    Row("operators-and", "s3:GetObject", OBJECT, False, [doc(stmt(action="s3:GetObject", Condition={
        "StringEquals": {"aws:RequestedRegion": "eu-west-1"}, "Bool": {"aws:SecureTransport": "true"}}))],
        context={"aws:RequestedRegion": "eu-west-1", "aws:SecureTransport": "false"}),
    Row("keys-and", "s3:GetObject", OBJECT, True, [doc(stmt(action="s3:GetObject", Condition={
        "StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": ACCOUNT}}))],
        context={"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": ACCOUNT}),
]


@pytest.mark.parametrize("row", ROWS + CONDITION_ROWS, ids=lambda r: r.name)
def test_evaluation(row: Row) -> None:
    assert row.run() is row.expected


def test_open_context_allow_with_unknown_condition_is_possible_and_conditional() -> None:
    policies = PolicySet(identity=(parse_policy(MFA_ALLOW),))
    decision = evaluate(Request("s3:GetObject", OBJECT, Context(open=True), ALICE), policies)
    assert decision.allowed and decision.conditional


def test_open_context_deny_with_unknown_condition_does_not_apply() -> None:
    policies = PolicySet(identity=(parse_policy(ALLOW_ALL), parse_policy(MFA_DENY_IFEXISTS)))
    decision = evaluate(Request("s3:GetObject", OBJECT, Context(open=True), ALICE), policies)
    assert decision.allowed and decision.conditional


def test_open_context_known_absent_keys_follow_aws_rules() -> None:
    allow = doc(stmt(action="s3:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}}))
    ctx = Context.of({}, open=True, known=("aws:principaltag/",))
    decision = evaluate(Request("s3:GetObject", OBJECT, ctx, ALICE),
        PolicySet(identity=(parse_policy(allow),)))
    assert not decision.allowed


def test_decision_names_the_deciding_statement() -> None:
    policies = PolicySet(identity=(parse_policy(ALLOW_ALL, "admin"),
                                   parse_policy(doc(stmt("Deny", "s3:*", Sid="NoS3")), "guard")))
    decision = evaluate(Request("s3:GetObject", OBJECT, Context(), ALICE), policies)
    assert not decision.allowed
    assert decision.reason == "explicit deny in guard"
    assert str(decision.matches[0]) == "guard [NoS3] Deny"
