"""public_statements: which resource-policy statements open a resource to anyone."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.iam.resource_policy import public_statements

READ = ("s3:GetObject", "s3:ListBucket")


def stmt(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", **fields}


PUBLIC = [
    ("principal-star", stmt()),
    ("aws-star", stmt(Principal={"AWS": "*"})),
    ("aws-list-with-star", stmt(Principal={"AWS": ["arn:aws:iam::111122223333:root", "*"]})),
    ("not-principal", {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                       "Action": "s3:GetObject", "Resource": "*"}),
    ("s3-star", stmt(Action="s3:*")),
    ("star", stmt(Action="*")),
    ("get-star-lowercase", stmt(Action=["s3:put*", "S3:GET*"])),
    ("question-mark", stmt(Action="s3:?etObject")),
    ("list-bucket", stmt(Action="s3:ListBucket")),
    ("not-action-other", stmt(Action=None, NotAction="s3:PutObject")),
    ("non-restricting-condition", stmt(Condition={"Bool": {"aws:SecureTransport": "true"}})),
    ("negated-condition", stmt(Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})),
    ("if-exists", stmt(Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})),
    ("any-ip", stmt(Condition={"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}})),
    ("for-all-values", stmt(Condition={"ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-1"}})),
]

PRIVATE = [
    ("deny", stmt(Effect="Deny")),
    ("account-principal", stmt(Principal={"AWS": "arn:aws:iam::111122223333:root"})),
    ("service-principal", stmt(Principal={"Service": "cloudtrail.amazonaws.com"})),
    ("other-action", stmt(Action="s3:PutObject")),
    ("prefix-is-not-a-match", stmt(Action="s3:GetObjectAcl")),
    ("not-action-covers", stmt(Action=None, NotAction=["s3:Get*", "s3:List*"])),
    ("source-vpce", stmt(Condition={"StringEquals": {"aws:SourceVpce": "vpce-0a1b"}})),
    ("key-case-insensitive", stmt(Condition={"StringEquals": {"AWS:SOURCEVPCE": "vpce-0a1b"}})),
    ("org-id", stmt(Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})),
    ("source-ip", stmt(Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
    ("principal-arn-like", stmt(Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1:role/*"}})),
    ("for-any-value", stmt(Condition={"ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-1"}})),
    ("source-account", stmt(Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})),
    ("source-arn", stmt(Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::1:distribution/E1"}})),
    ("userid", stmt(Condition={"StringLike": {"aws:userid": "AROA123:*"}})),
    ("username", stmt(Condition={"StringEquals": {"aws:username": "alice.martin"}})),
    ("principal-account", stmt(Condition={"StringEquals": {"aws:PrincipalAccount": "111122223333"}})),
]


@pytest.mark.parametrize(("name", "statement"), PUBLIC, ids=[n for n, _ in PUBLIC])
def test_public(name: str, statement: dict[str, Any]) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    assert public_statements({"Statement": [statement]}, READ) == [statement]


@pytest.mark.parametrize(("name", "statement"), PRIVATE, ids=[n for n, _ in PRIVATE])
def test_not_public(name: str, statement: dict[str, Any]) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    assert public_statements({"Statement": [statement]}, READ) == []


def test_statement_as_dict_and_action_as_string() -> None:
    doc = {"Version": "2012-10-17", "Statement": stmt()}
    assert public_statements(doc, "s3:GetObject") == [stmt()]


def test_only_the_public_statements_are_returned() -> None:
    private = stmt(Principal={"AWS": "arn:aws:iam::111122223333:root"}, Action="s3:*")
    public = stmt(Sid="Public")
    assert public_statements({"Statement": [private, public]}, READ) == [public]


def test_empty_and_odd_documents() -> None:
    assert public_statements({}, READ) == []
    assert public_statements({"Statement": []}, READ) == []
    assert public_statements({"Statement": ["not-a-statement"]}, READ) == []
    assert public_statements({"Statement": [{"Effect": "Allow", "Principal": "*"}]}, READ) == []
