"""Reading bucket policies for guard statements: a Deny that applies to everyone, every object and
the actions named, under one exact condition (aws:SecureTransport false, a missing encryption
header). The opposite question to awsaudit.policy.public_statements, which looks for Allows.

It errs towards "not guarded": a statement it cannot prove to cover the whole bucket (NotAction,
NotResource, NotPrincipal, an extra condition that narrows the Deny) does not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from awsaudit.model import Json


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=512)
def _glob(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: `*` any run, `?` one character; actions case-insensitive, ARNs too here
    (bucket names are lower case)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                      re.IGNORECASE)


def _covers_all_after(pattern: str, prefix: str) -> bool:
    """Does the glob match every string that starts with `prefix`?

    It does exactly when it ends in `*` and matches `prefix` itself: in that match the final `*`
    absorbs the end of the prefix, and can absorb any continuation as well.
    """
    return pattern.endswith("*") and bool(_glob(pattern).fullmatch(prefix))


def deny_statements(policy: Json | None) -> Iterator[Json]:
    """The policy's Deny statements that apply to every principal (Principal "*" or AWS "*")."""
    if not policy:
        return
    statements = policy.get("Statement", [])
    for stmt in [statements] if isinstance(statements, dict) else statements:
        if not isinstance(stmt, dict) or stmt.get("Effect") != "Deny" or "NotPrincipal" in stmt:
            continue
        principal = stmt.get("Principal")
        if principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))):
            yield stmt


def denies_every_s3_action(stmt: Json) -> bool:
    return any(str(a) == "*" or _covers_all_after(str(a), "s3:") for a in _as_list(stmt.get("Action")))


def denies_action(stmt: Json, action: str) -> bool:
    return any(_glob(str(a)).fullmatch(action) for a in _as_list(stmt.get("Action")))


def covers_bucket(stmt: Json, bucket_arn: str) -> bool:
    return any(_glob(str(r)).fullmatch(bucket_arn) for r in _as_list(stmt.get("Resource")))


def covers_every_object(stmt: Json, bucket_arn: str) -> bool:
    return any(str(r) == "*" or _covers_all_after(str(r), f"{bucket_arn}/")
               for r in _as_list(stmt.get("Resource")))


def sole_condition(stmt: Json) -> tuple[str, str, list[str]] | None:
    """(operator, key, values), all lower case, when the statement has exactly one condition;
    None when it has none or several (several narrow a Deny to requests matching all of them)."""
    condition = stmt.get("Condition")
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    [(operator, clauses)] = condition.items()
    if not isinstance(clauses, dict) or len(clauses) != 1:
        return None
    [(key, values)] = clauses.items()
    return str(operator).lower(), str(key).lower(), [str(v).lower() for v in _as_list(values)]
