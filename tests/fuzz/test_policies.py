"""Fuzzing IAM policy documents and `iam simulate` documents: wrong types, invalid JSON, deep
nesting, huge policies. Each is refused with one line (PolicyError / SimulationError / exit 2)
or evaluated, within a time bound; nothing else escapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from awsaudit.cli import main
from awsaudit.iam.conditions import Context
from awsaudit.iam.evaluate import Caller, PolicySet, Request, evaluate
from awsaudit.iam.policy import PolicyError, parse_policy
from awsaudit.iam.resource_policy import public_statements
from awsaudit.iam.simulate import SimulationError, parse, run
from tests.fuzz._support import bound, fuzz, one_line

SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=True),
    st.text(max_size=10),
)
PATTERN = st.one_of(
    st.sampled_from(
        [
            "*",
            "s3:*",
            "s3:Get*",
            "iam:PassRole",
            "iam:*Policy*",
            "sts:AssumeRole",
            "?",
            "",
            "arn:aws:s3:::*",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:s3:::" + "*a" * 40 + "X",
            "${aws:username}",
            "${aws:PrincipalTag/team, 'x'}",
            "${",
            "arn:aws:s3:::b/${aws:userid}",
        ]
    ),
    st.text(max_size=12),
)
ONE_OR_MANY = st.one_of(
    PATTERN, st.lists(PATTERN, max_size=4), SCALAR, st.dictionaries(st.text(max_size=3), PATTERN, max_size=2)
)
OPERATOR = st.sampled_from(
    [
        "StringEquals",
        "StringLike",
        "ForAnyValue:StringLike",
        "ForAllValues:StringEquals",
        "ArnLike",
        "IpAddress",
        "NotIpAddress",
        "NumericLessThan",
        "DateGreaterThan",
        "Bool",
        "Null",
        "StringEqualsIfExists",
        "BogusOperator",
        "",
    ]
)
NESTED: st.SearchStrategy[Any] = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)
CONDITION = st.one_of(
    st.dictionaries(
        OPERATOR,
        st.dictionaries(
            st.sampled_from(
                [
                    "aws:SourceIp",
                    "aws:username",
                    "s3:prefix",
                    "aws:MultiFactorAuthPresent",
                    "aws:CurrentTime",
                    "aws:PrincipalTag/team",
                    "x",
                ]
            ),
            st.one_of(PATTERN, st.lists(PATTERN, max_size=3), SCALAR, NESTED),
            max_size=3,
        ),
        max_size=3,
    ),
    NESTED,
)
PRINCIPAL = st.one_of(
    st.just("*"),
    st.dictionaries(st.sampled_from(["AWS", "Service", "Federated", "Bogus"]), ONE_OR_MANY, max_size=2),
    SCALAR,
)


@st.composite
def statements(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 20)) == 0:
        return draw(NESTED)
    stmt: dict[str, Any] = {}
    for key, strategy in (
        ("Effect", st.one_of(st.sampled_from(["Allow", "Deny", "allow"]), SCALAR)),
        ("Action", ONE_OR_MANY),
        ("NotAction", ONE_OR_MANY),
        ("Resource", ONE_OR_MANY),
        ("NotResource", ONE_OR_MANY),
        ("Condition", CONDITION),
        ("Principal", PRINCIPAL),
        ("NotPrincipal", PRINCIPAL),
        ("Sid", SCALAR),
    ):
        if draw(st.integers(0, 3)) > (0 if key in ("Effect", "Action", "Resource") else 2):
            stmt[key] = draw(strategy)
    return stmt


@st.composite
def documents(draw: st.DrawFn) -> Any:
    shape = draw(st.integers(0, 12))
    if shape == 0:
        return draw(NESTED)
    if shape == 1:
        return draw(st.text(max_size=40))  # JSON text, often invalid
    document: dict[str, Any] = {
        "Version": draw(st.sampled_from(["2012-10-17", "2008-10-17", "2020", None, 5]))
    }
    body = draw(st.lists(statements(), max_size=4))
    document["Statement"] = body[0] if len(body) == 1 and draw(st.booleans()) else body
    if shape == 2:
        return json.dumps(document)
    return document


CALLER = Caller("arn:aws:iam::123456789012:user/alice", "123456789012", "user", "aws")
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::bucket/key"),
    ("iam:PassRole", "arn:aws:iam::123456789012:role/admin"),
    ("sts:AssumeRole", "arn:aws:iam::123456789012:role/x"),
    ("s3:GetObject", "arn:aws:s3:::" + "a" * 2000),
]


@fuzz(300)
@given(document=documents(), kind=st.sampled_from(["identity", "resource", "trust", "boundary", "scp"]))
def test_a_policy_parses_and_evaluates_or_is_one_line(document: Any, kind: Any) -> None:
    try:
        with bound(5):
            policy = parse_policy(document, "fuzzed", kind)
    except PolicyError as refused:
        one_line(str(refused))
        return
    ctx = Context.of(
        {"aws:username": "alice", "aws:SourceIp": "203.0.113.9", "aws:MultiFactorAuthPresent": "true"}
    )
    with bound(5):
        for action, resource in REQUESTS:
            if kind == "identity":
                evaluate(Request(action, resource, ctx, CALLER), PolicySet((policy,)))
        if kind == "resource":
            public_statements(policy.document, "s3:GetObject")


@st.composite
def simulations(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 15)) == 0:
        return draw(NESTED)
    document: dict[str, Any] = {
        "principal": draw(
            st.one_of(
                st.sampled_from(
                    [
                        "user/alice",
                        "role/admin",
                        "group/x",
                        "arn:aws:iam::123456789012:role/r",
                        "arn:aws:s3:::x",
                    ]
                ),
                SCALAR,
            )
        ),
        "policies": draw(
            st.one_of(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "attached_to": st.sampled_from(["user", "group", "role", 5]),
                            "name": st.one_of(st.text(max_size=8), SCALAR),
                            "document": documents(),
                        }
                    ),
                    max_size=3,
                ),
                NESTED,
            )
        ),
        "queries": draw(st.one_of(st.lists(st.lists(PATTERN, min_size=2, max_size=2), max_size=3), NESTED)),
    }
    for key, strategy in (
        ("context", st.one_of(st.dictionaries(st.text(max_size=8), NESTED, max_size=3), NESTED)),
        ("permissions_boundary", documents()),
        ("scps", st.one_of(st.lists(st.lists(documents(), max_size=2), max_size=2), NESTED)),
    ):
        if draw(st.booleans()):
            document[key] = draw(strategy)
    return document


@fuzz(200)
@given(document=simulations())
def test_a_simulation_runs_or_is_one_line(document: Any) -> None:
    try:
        simulation = parse(document)
    except SimulationError as refused:
        one_line(str(refused))
        return
    with bound(10):
        result = run(simulation)
    assert set(result) == {"admin", "privesc_methods", "decisions"}


@fuzz(30)
@given(document=simulations())
def test_the_simulate_command_exits_0_or_2_with_one_line(
    document: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("sim") / "sim.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(main, ["iam", "simulate", str(path)])
    assert result.exit_code in (0, 2), result.output[-2000:]
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if line.startswith("awsaudit: error:")]
        assert len(errors) == 1 and "Traceback" not in result.stderr


def test_a_10_mb_policy_is_evaluated_in_bounded_time(tmp_path: Path) -> None:
    resources = [f"arn:aws:s3:::bucket-{i:07d}/*" for i in range(310_000)]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}],
    }
    simulation = {
        "principal": "user/alice",
        "queries": [["s3:GetObject", "arn:aws:s3:::bucket-0299999/k"]],
        "policies": [{"attached_to": "user", "name": "big", "document": document}],
    }
    path = tmp_path / "sim.json"
    path.write_text(json.dumps(simulation), encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    with bound(60):
        result = CliRunner().invoke(main, ["iam", "simulate", str(path)])
    assert result.exit_code == 0, result.stderr[-500:]
    assert json.loads(result.stdout)["decisions"] == [["s3:GetObject", "arn:aws:s3:::bucket-0299999/k", True]]
