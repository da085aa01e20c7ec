"""Deep nesting in collected data: a 5,000-level trust policy is that role's error, nothing more."""

from __future__ import annotations

import json

import boto3
from moto.iam.models import iam_backends

from awsaudit.checks import evaluate
from awsaudit.collect import iam
from awsaudit.collect._call import Context
from awsaudit.iam.policy import PolicyError, parse_policy
from awsaudit.iam.principals import build
from awsaudit.model import Status
from awsaudit.untrusted import limits
from tests.conftest import ACCOUNT

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
DEEP_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},'
    '"Action":"sts:AssumeRole","Condition":{"StringEquals":{"k":' + "[" * 5000 + "]" * 5000 + "}}}]}"
)


def test_a_5000_level_trust_policy_fails_only_its_role(ctx: Context, session: boto3.Session) -> None:
    client = session.client("iam")
    client.create_role(RoleName="fine", AssumeRolePolicyDocument=json.dumps(TRUST))
    client.create_role(RoleName="hostile", AssumeRolePolicyDocument=json.dumps(TRUST))
    client.create_user(UserName="alice")
    backend = iam_backends[ACCOUNT]["global"]
    next(r for r in backend.roles.values() if r.name == "hostile").assume_role_policy_document = DEEP_TRUST

    data = iam.collect(ctx)  # before: RecursionError in botocore's parser, the whole collector lost

    roles = {r["RoleName"]: r for r in data["roles"]}
    assert roles["fine"]["AssumeRolePolicyDocument"] == TRUST
    assert isinstance(roles["hostile"]["AssumeRolePolicyDocument"], str)  # kept as AWS sent it
    assert [u["UserName"] for u in data["users"]] == ["alice"]
    recorded = [e for e in ctx.errors if e["code"] == "MalformedPolicyDocument"]
    assert len(recorded) == 1 and recorded[0]["resource"].endswith(":role/hostile")
    assert "nested too deeply" in recorded[0]["message"]

    model = build(data, ACCOUNT)
    hostile = next(r for r in model.roles.values() if r.name == "hostile")
    assert hostile.trust is None and any("nested too deeply" in gap for gap in hostile.gaps)

    snapshot = {
        "accounts": {
            ACCOUNT: {"account_id": ACCOUNT, "global": {"iam": data}, "regions": {}, "errors": ctx.errors}
        }
    }
    findings = evaluate(snapshot)
    assert findings
    assert not any("check error" in f.message for f in findings)
    trust_findings = [
        f
        for f in findings
        if f.resource.endswith(":role/hostile") and f.status is Status.PASS and "trust" in f.check_id
    ]
    assert trust_findings == []


def test_the_engine_refuses_a_policy_nested_past_the_limit() -> None:
    condition: object = "v"
    for _ in range(limits.MAX_DEPTH):
        condition = [condition]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"k": condition}},
            }
        ],
    }
    try:
        parse_policy(document, "deep")
    except PolicyError as exc:
        assert f"nested deeper than {limits.MAX_DEPTH} levels" in str(exc)
    else:
        raise AssertionError("a policy nested past the limit was accepted")
    try:
        parse_policy(DEEP_TRUST, "deep text", "trust")
    except PolicyError as exc:
        assert "deep text: policy document is nested too deeply to parse" in str(exc)
    else:
        raise AssertionError("a 5,000-level policy text was accepted")
