"""The IAM wildcard matcher: linear in time on hostile patterns, and the same answers as a regex."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from awsaudit.iam.catalogue import expand
from awsaudit.iam.patterns import Glob, PlainGlob, action_matches, arn_matches, glob_match

HOSTILE = "arn:aws:s3:::" + "*a" * 70 + "X"
"""~150 characters: with `*` as `.*` and backtracking `fullmatch`, this runs for minutes."""


def test_hostile_resource_pattern_finishes_fast() -> None:
    start = time.perf_counter()
    assert not arn_matches(HOSTILE, "arn:aws:s3:::" + "a" * 400)
    assert arn_matches(HOSTILE, "arn:aws:s3:::" + "a" * 400 + "X")
    assert time.perf_counter() - start < 0.5


def test_hostile_action_pattern_expands_fast() -> None:
    start = time.perf_counter()
    assert expand("iam:" + "*e" * 30 + "*X") == ()
    assert time.perf_counter() - start < 0.5


def _reference(pattern: str, value: str, ignore_case: bool) -> bool:
    """The plain regex reading of an IAM glob (fine on small inputs)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(body, value, flags) is not None


PATTERN_CHARS = st.sampled_from(["a", "b", "A", "*", "?", ".", "\n", "é", "[", ":"])
VALUE_CHARS = st.sampled_from(["a", "b", "A", "B", ".", "\n", "é", "É", "[", ":"])


@settings(max_examples=400, deadline=None)
@given(st.text(PATTERN_CHARS, max_size=8), st.text(VALUE_CHARS, max_size=10), st.booleans())
def test_matcher_agrees_with_regex(pattern: str, value: str, ignore_case: bool) -> None:
    assert glob_match(pattern, value, ignore_case) == _reference(pattern, value, ignore_case)


@settings(max_examples=300, deadline=None)
@given(st.text(PATTERN_CHARS, max_size=8), st.text(VALUE_CHARS, max_size=10), st.booleans())
def test_both_matchers_agree_with_regex(pattern: str, value: str, ignore_case: bool) -> None:
    """compile_glob picks the str-method matcher for patterns without `?`: both must agree."""
    expected = _reference(pattern, value, ignore_case)
    assert PlainGlob(pattern.replace("?", "*"), ignore_case).matches(value) == _reference(
        pattern.replace("?", "*"), value, ignore_case)
    assert Glob(pattern, ignore_case).matches(value) == expected


def test_case_rules_kept() -> None:
    assert action_matches("IAM:*policy*", "iam:CreatePolicyVersion")
    assert not arn_matches("arn:aws:s3:::Bucket*", "arn:aws:s3:::bucket-1")
    assert arn_matches("arn:aws:s3:::b?cket/*", "arn:aws:s3:::bucket/a/b:c")
    assert arn_matches("arn:aws:s3:*:*", "arn:aws:s3:eu-west-1:123:x")  # not six segments: whole string
