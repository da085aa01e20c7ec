"""Parsing every document form AWS accepts, rejecting what it rejects; wildcards and witnesses."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from awsaudit.iam.patterns import action_matches, arn_matches, arn_witness
from awsaudit.iam.policy import PolicyError, parse_policy

ONE = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}


@pytest.mark.parametrize("value", [ONE, json.dumps(ONE), quote(json.dumps(ONE))], ids=["dict", "json", "url"])
def test_accepts_dict_json_and_url_encoded(value: Any) -> None:
    policy = parse_policy(value, "p")
    assert policy.statements[0].actions == ("s3:GetObject",)
    assert policy.statements[0].resources == ("*",)


def test_string_or_list_forms_and_2008_version() -> None:
    policy = parse_policy({"Version": "2008-10-17", "Statement": [
        {"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "NotResource": "arn:aws:s3:::b"}]})
    stmt = policy.statements[0]
    assert stmt.not_actions == ("iam:*", "sts:*")
    assert stmt.not_resources == ("arn:aws:s3:::b",)
    assert not policy.substitutes_variables
    assert stmt.label == "A"


def test_trust_policy_principals_and_no_resource() -> None:
    policy = parse_policy({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "AWS": ["arn:aws:iam::111122223333:root", "*"], "Service": "ec2.amazonaws.com"}}]}, "trust", "trust")
    principal = policy.statements[0].principal
    assert principal is not None and principal.everyone
    assert principal.values("Service") == ("ec2.amazonaws.com",)


@pytest.mark.parametrize(("document", "message"), [
    ("{not json", "not valid JSON"),
    ([1], "must be a JSON object"),
    ({"Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}}, "unknown Effect 'Permit'"),
    ({"Statement": {"Effect": "Allow", "Resource": "*"}}, "missing Action"),
    ({"Statement": {"Effect": "Allow", "Action": "*"}}, "missing Resource"),
    ({"Statement": {"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}}, "both Action"),
    ({"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}}, "non-empty"),
    ({"Version": "2020-01-01", "Statement": []}, "unknown Version"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEqualz": {"k": "v"}}}},
     "unknown condition operator"),
    ({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"NullIfExists": {"k": "v"}}}},
     "unknown condition operator"),
])
def test_rejects_what_aws_rejects(document: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document if isinstance(document, str) else json.loads(json.dumps(document)), "p")


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("*", "s3:GetObject", True),
    ("s3:Get*", "S3:GETOBJECT", True),
    ("iam:*AccessKey*", "iam:CreateAccessKey", True),
    ("s3:GetObject???", "s3:GetObjectAcl", True),
    ("s3:[G]etObject", "s3:GetObject", False),
])
def test_action_patterns(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    ("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/path/app", True),
    ("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:user/app", False),
    ("arn:aws:s3:::b*", "arn:aws:s3:::bucket/key", True),
    ("arn:aws:*:*:*:*", "*", False),
    ("arn:aws:ec2:*:123456789012:instance/*", "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", True),
    ("arn:aws:ec2:eu-*:*:instance/*", "arn:aws:ec2:us-east-1:1:instance/i", False),
])
def test_resource_patterns(pattern: str, arn: str, expected: bool) -> None:
    assert arn_matches(pattern, arn) is expected


def test_witness_of_two_globs() -> None:
    kind = "arn:aws:iam::123456789012:role/?*"
    assert arn_witness(kind, "arn:aws:iam::*:role/ec2-app-*") == "arn:aws:iam::123456789012:role/ec2-app-"
    assert arn_witness(kind, "*") == "arn:aws:iam::123456789012:role/x"
    assert arn_witness(kind, "*", fill="q") == "arn:aws:iam::123456789012:role/q"
    assert arn_witness(kind, "arn:aws:iam::*:user/*") is None
