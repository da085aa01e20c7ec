"""Wildcard matching as IAM does it (actions, resource ARNs), and witnesses of pattern overlaps.

IAM wildcards are only `*` (any run, including none) and `?` (exactly one character);
`fnmatch` would also read `[...]` as a set, which IAM does not. Actions compare
case-insensitively, resources case-sensitively.
"""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache

ARN_SEGMENTS = 6


@lru_cache(maxsize=8192)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A compiled regex for an IAM glob; `.` spans newlines too (values are arbitrary text)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(body, flags)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """`iam:*Policy*` against `iam:CreatePolicyVersion`: whole string, case-insensitive."""
    return glob_match(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    """A resource pattern against a request resource, case-sensitively.

    Both ARNs are compared segment by segment (partition, service, region, account, resource),
    so `*` cannot run across a colon of the first five segments; inside the resource segment it
    also spans `/` and `:`. A pattern or value that is not a six-segment ARN (`*`, `arn:aws:s3:*`)
    is compared as a whole string: AWS documents no other rule for it, and whole-string matching
    is the reading that grants more (the safe side for an audit).
    """
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", ARN_SEGMENTS - 1)
    value_parts = arn.split(":", ARN_SEGMENTS - 1)
    if len(pattern_parts) != ARN_SEGMENTS or len(value_parts) != ARN_SEGMENTS:
        return glob_match(pattern, arn)
    return all(glob_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def arn_witness(first: str, second: str, fill: str = "x") -> str | None:
    """A resource both patterns match as arn_matches() reads them: segment by segment for ARNs."""
    first_parts = first.split(":", ARN_SEGMENTS - 1)
    second_parts = second.split(":", ARN_SEGMENTS - 1)
    if len(first_parts) != ARN_SEGMENTS or len(second_parts) != ARN_SEGMENTS:
        return witness(first, second, fill)
    segments = [witness(a, b, fill) for a, b in zip(first_parts, second_parts, strict=True)]
    if any(s is None for s in segments):
        return None
    return ":".join(s for s in segments if s is not None)


def witness(first: str, second: str, fill: str = "x") -> str | None:
    """A string matched by both globs (case-sensitive), or None when they cannot overlap.

    Where both globs leave a character free, `fill` is used, so two calls with different
    fills give two different witnesses whenever the overlap has any freedom at all. The
    search is a 0-1 BFS over pairs of positions (epsilon moves past `*` cost nothing).
    """
    start = (0, 0)
    parents: dict[tuple[int, int], tuple[tuple[int, int], str] | None] = {start: None}
    queue: deque[tuple[int, int]] = deque([start])
    end = (len(first), len(second))
    while queue:
        state = queue.popleft()
        if state == end:
            return _path(parents, state)
        i, j = state
        a = first[i] if i < len(first) else None
        b = second[j] if j < len(second) else None
        moves_free: list[tuple[int, int]] = []
        if a == "*":
            moves_free.append((i + 1, j))
        if b == "*":
            moves_free.append((i, j + 1))
        for nxt in moves_free:
            if nxt not in parents:
                parents[nxt] = (state, "")
                queue.appendleft(nxt)
        if a is None or b is None:
            continue
        char = _shared_char(a, b, fill)
        if char is None:
            continue
        nxt = (i if a == "*" else i + 1, j if b == "*" else j + 1)
        if nxt not in parents:
            parents[nxt] = (state, char)
            queue.append(nxt)
    return None


def _shared_char(a: str, b: str, fill: str) -> str | None:
    a_free, b_free = a in "*?", b in "*?"
    if a_free and b_free:
        return fill
    if a_free:
        return b
    if b_free:
        return a
    return a if a == b else None


def _path(parents: dict[tuple[int, int], tuple[tuple[int, int], str] | None], state: tuple[int, int]) -> str:
    chars: list[str] = []
    step = parents[state]
    while step is not None:
        previous, char = step
        chars.append(char)
        step = parents[previous]
    return "".join(reversed(chars))
