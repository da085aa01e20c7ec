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


class Glob:
    """A compiled IAM glob that matches in O(len(pattern) * len(value)), never by backtracking.

    A policy comes from the audited account, so it may be hostile: turning each `*` into `.*`
    and calling a backtracking `fullmatch` lets ~150 characters (`arn:aws:s3:::*a*a*…X`) hang
    an audit for minutes. Here the pattern is split at its stars: the first piece must match at
    the start, the last at the end, and each piece between is found left-most after the one
    before (a left-most match never loses a solution, so no backtracking is needed). A piece
    holds no quantifier (`?` is exactly one character), so its regex runs in linear time.
    """

    __slots__ = ("_head", "_head_len", "_middles", "_tail", "_tail_len", "_whole")

    def __init__(self, pattern: str, ignore_case: bool = False) -> None:
        flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
        pieces = pattern.split("*")
        compiled = [re.compile(_piece_regex(piece), flags) for piece in pieces]
        self._whole = compiled[0] if len(pieces) == 1 else None
        self._head, self._tail = compiled[0], compiled[-1]
        self._head_len, self._tail_len = len(pieces[0]), len(pieces[-1])
        self._middles = tuple(c for c, piece in zip(compiled[1:-1], pieces[1:-1], strict=True) if piece)

    def matches(self, value: str) -> bool:
        if self._whole is not None:
            return self._whole.fullmatch(value) is not None
        end = len(value) - self._tail_len
        if end < self._head_len or self._head.match(value) is None:
            return False
        if self._tail.fullmatch(value, end) is None:
            return False
        pos = self._head_len
        for piece in self._middles:
            found = piece.search(value, pos, end)
            if found is None:
                return False
            pos = found.end()
        return True


def _piece_regex(piece: str) -> str:
    return "".join("." if c == "?" else re.escape(c) for c in piece)


class PlainGlob:
    """A glob without `?`: the same left-most piece matching with str methods (no regex at all).

    Policies with hundreds of thousands of distinct resource patterns are compiled per pattern,
    so compiling must be cheap. Case-insensitive matching lowers ASCII text; other text goes to
    the regex matcher, whose IGNORECASE is what AWS's case folding is closest to.
    """

    __slots__ = (
        "_glob", "_head", "_ignore_case", "_middles", "_pattern", "_prefix_only", "_starred", "_tail"
    )

    def __init__(self, pattern: str, ignore_case: bool = False) -> None:
        self._pattern, self._ignore_case = pattern, ignore_case
        pieces = (pattern.lower() if ignore_case else pattern).split("*")
        self._head, self._tail = pieces[0], pieces[-1]
        self._middles = tuple(piece for piece in pieces[1:-1] if piece)
        self._starred = len(pieces) > 1
        self._prefix_only = len(pieces) == 2 and not pieces[1]
        self._glob: Glob | None = None

    def matches(self, value: str) -> bool:
        if self._ignore_case:
            if not value.isascii():
                if self._glob is None:
                    self._glob = Glob(self._pattern, ignore_case=True)
                return self._glob.matches(value)
            value = value.lower()
        if self._prefix_only:  # `s3:Get*`, `arn:aws:s3:::bucket/*`: most patterns in policies
            return value.startswith(self._head)
        if not self._starred:
            return value == self._head
        end = len(value) - len(self._tail)
        if end < len(self._head) or not value.startswith(self._head) or not value.endswith(self._tail):
            return False
        pos = len(self._head)
        for piece in self._middles:
            found = value.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
        return True


@lru_cache(maxsize=8192)
def compile_glob(pattern: str, ignore_case: bool = False) -> Glob | PlainGlob:
    """The matcher for one IAM glob (cached: policies repeat the same patterns many times)."""
    if "?" not in pattern and (not ignore_case or pattern.isascii()):
        return PlainGlob(pattern, ignore_case)
    return Glob(pattern, ignore_case)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return compile_glob(pattern, ignore_case).matches(value)


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
