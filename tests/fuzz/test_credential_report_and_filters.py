"""Fuzzing the credential report (its CSV, and what its cells say) and CloudWatch filter patterns.

A report that is not base64 UTF-8 CSV is one recorded error (its checks UNKNOWN); cells of any
content give PASS/FAIL/UNKNOWN, never a check error; a filter pattern parses or raises
PatternError, and matching stays within a time bound whatever regex it holds.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awsaudit import snapshot
from awsaudit.checks import evaluate, load_all
from awsaudit.checks.monitoring import filter_pattern
from awsaudit.collect.iam import ROOT_ROW, parse_report
from tests.fuzz._support import bound, fuzz

COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "cert_1_active",
    "cert_2_active",
)
CELLS = st.one_of(
    st.sampled_from(
        [
            "true",
            "false",
            "TRUE",
            "N/A",
            "no_information",
            "not_supported",
            "",
            "2024-01-01T00:00:00+00:00",
            "2024-13-45T99:99:99",
            "1970-01-01",
            "9999-12-31T23:59:59Z",
            "-1",
            "null",
            "\x00",
            "=1+1",
            "2024-01-01T00:00:00",
            "x" * 10_000,
        ]
    ),
    st.text(max_size=12),
)


@fuzz(200)
@given(
    content=st.one_of(
        st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=60),
        st.lists(st.lists(CELLS, max_size=len(COLUMNS) + 2), max_size=4).map(
            lambda rows: base64.b64encode(_csv([list(COLUMNS), *rows]).encode()).decode()
        ),
    )
)
def test_a_credential_report_parses_or_is_one_recorded_error(content: str) -> None:
    try:
        rows = parse_report(content)
    except ValueError as refused:
        assert "\n" not in str(refused)
        return
    assert all(isinstance(v, str) for row in rows.values() for v in row.values())


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


FIXTURE = Path(__file__).parents[1] / "fixtures" / "snapshot-schema1.json.gz"
with gzip.open(FIXTURE, "rt", encoding="utf-8") as _handle:
    BASE: dict[str, Any] = json.load(_handle)
CHECKS = [
    c
    for c in load_all().values()
    if c.func.__module__.rsplit(".", 1)[-1] in ("credentials", "root_and_users")
]
"""The checks that read credential report cells (the privilege analyses, which do not, cost 0.5 s each)."""


def _with_rows(rows: list[dict[str, str]], root: dict[str, str]) -> dict[str, Any]:
    """BASE with new credential rows: only the path to them is copied (a deepcopy costs more)."""
    account_id, account = next(iter(BASE["accounts"].items()))
    iam = account["global"]["iam"]
    users = [{**user, "Credentials": row} for user, row in zip(iam["users"], rows, strict=True)]
    new_iam = {**iam, "users": users, "account": {**iam["account"], "RootCredentials": root}}
    return {**BASE, "accounts": {account_id: {**account, "global": {**account["global"], "iam": new_iam}}}}


@st.composite
def rows(draw: st.DrawFn, base: dict[str, str]) -> dict[str, str]:
    row = dict(base)
    for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=6)):
        if draw(st.booleans()):
            row[column] = draw(CELLS)
        else:
            row.pop(column, None)
    return row


@fuzz(100)
@given(data=st.data())
def test_credential_report_cells_of_any_content_never_break_a_check(data: st.DataObject) -> None:
    iam = next(iter(BASE["accounts"].values()))["global"]["iam"]
    users = [data.draw(rows(user.get("Credentials") or {})) for user in iam["users"]]
    root = data.draw(rows(iam["account"].get("RootCredentials") or {"user": ROOT_ROW}))
    with bound(10):
        findings = evaluate(snapshot.validate(_with_rows(users, root)), checks=CHECKS)
    assert not [f.message for f in findings if f.check_error]


EVENTS = [
    {
        "eventName": "ConsoleLogin",
        "userIdentity": {"type": "Root"},
        "errorCode": "AccessDenied",
        "additionalEventData": {"MFAUsed": "No"},
        "responseElements": {"ConsoleLogin": "Failure"},
    },
    {"eventName": "DeleteTrail", "eventSource": "cloudtrail.amazonaws.com", "x": [1, {"y": None}], "n": 3.5},
    {"eventName": "a" * 5000},
]
FRAGMENTS = st.sampled_from(
    [
        "{",
        "}",
        "(",
        ")",
        "$.eventName",
        "$.userIdentity.type",
        "$.x[0]",
        "$.x[1].y",
        "$.",
        "$..a",
        "$.a[",
        "=",
        "!=",
        "<",
        ">=",
        "&&",
        "||",
        '"Root"',
        "Root",
        "*",
        '"*Login"',
        "%Con.*%",
        "%(a+)+$%",
        "%(.*a){20}%",
        "%[%",
        "IS NULL",
        "NOT EXISTS",
        "EXISTS",
        "IS TRUE",
        "3.5",
        "-1e9",
        "?",
        "-",
        "[",
        "]",
        " ",
        '"',
        "\\",
        "\x00",
        "é",
    ]
)


@fuzz(300)
@given(pattern=st.one_of(st.lists(FRAGMENTS, max_size=12).map(" ".join), st.text(max_size=40)))
def test_a_filter_pattern_parses_and_matches_in_bounded_time_or_is_refused(pattern: str) -> None:
    try:
        filter_pattern.parse(pattern)
    except filter_pattern.PatternError as refused:
        assert "\n" not in str(refused) or "\n" in pattern
        return
    with bound(2):
        for event in EVENTS:
            filter_pattern.matches(pattern, event)


def test_the_cell_readers_are_fuzzed() -> None:
    assert len(CHECKS) >= 10


@pytest.mark.parametrize(
    "pattern", ["{ $.eventName = %(a+)+$% }", "%(a+)+$%", '{ $.eventName = "*a*a*a*a*a*a*a*a*a*a*a*X" }']
)
def test_a_hostile_filter_pattern_cannot_hang_the_audit(pattern: str) -> None:
    """Before: Python's backtracking `re` on `%(a+)+$%` or a many-star value ran for minutes."""
    with bound(1):
        assert not filter_pattern.matches(pattern, {"eventName": "a" * 5000 + "!"})


def test_thousands_of_nested_parentheses_are_a_pattern_error() -> None:
    with pytest.raises(filter_pattern.PatternError, match="nested too deeply"):
        filter_pattern.parse("{ " + "(" * 5000 + "$.a = 1" + ")" * 5000 + " }")


@pytest.mark.parametrize("content", ["not base64!", base64.b64encode(b"\xff\xfe bad utf-8").decode()])
def test_an_unreadable_credential_report_is_a_value_error(content: str) -> None:
    with pytest.raises(ValueError, match="credential report is not base64 UTF-8 text"):
        parse_report(content)
