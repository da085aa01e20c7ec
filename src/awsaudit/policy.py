"""Resource-policy reading for public-exposure checks: which statements let anyone in.

A small, pure stand-in until the IAM policy engine (awsaudit.iam) evaluates policies in full.
It errs towards "public": a statement it cannot prove restricted counts as public, because a
missed public bucket costs far more than a reviewed false alarm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from awsaudit.model import Json

# Condition keys that pin a request to a network, an organization, an account or a principal.
# A statement gated on one of them (with a concrete value) is not open to the internet.
RESTRICTING_KEYS = frozenset({
    "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:principalorgid", "aws:principalaccount",
    "aws:sourceaccount", "aws:sourcearn", "aws:principalarn", "aws:userid", "aws:username",
})

# Operators that do not confine the request to the named values: negations allow everyone else,
# and ...IfExists / ForAllValues: / Null are true when the key is absent, which it is for an
# anonymous caller (no aws:PrincipalOrgID, no aws:SourceVpce from the internet).
_NOT_RESTRICTING_OPERATOR = re.compile(r"^(forallvalues:.*|.*not.*|.*ifexists|null)$", re.IGNORECASE)
_EVERYWHERE = frozenset({"*", "0.0.0.0/0", "::/0"})


def public_statements(policy_doc: Json, actions: str | Iterable[str]) -> list[Json]:
    """Allow statements that grant any of `actions` to any principal, with no restricting condition.

    `policy_doc` is a parsed policy document; `actions` are IAM actions such as "s3:GetObject".
    The statements are returned as written, to serve as evidence.
    """
    wanted = [actions] if isinstance(actions, str) else list(actions)
    statements = policy_doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return [
        stmt for stmt in statements
        if isinstance(stmt, dict)
        and stmt.get("Effect") == "Allow"
        and _any_principal(stmt)
        and any(_grants(stmt, action) for action in wanted)
        and not _restricted(stmt.get("Condition"))
    ]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _any_principal(stmt: Json) -> bool:
    # NotPrincipal on an Allow grants everyone except the listed principals.
    if "NotPrincipal" in stmt:
        return True
    principal = stmt.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))


@lru_cache(maxsize=512)
def _pattern(glob: str) -> re.Pattern[str]:
    """IAM action wildcards are only `*` and `?` (fnmatch would also read `[...]`); case-insensitive."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob),
        re.IGNORECASE,
    )


def _matches(action: str, globs: Any) -> bool:
    return any(_pattern(str(glob)).fullmatch(action) for glob in _as_list(globs))


def _grants(stmt: Json, action: str) -> bool:
    if "Action" in stmt:
        return _matches(action, stmt["Action"])
    if "NotAction" in stmt:
        return not _matches(action, stmt["NotAction"])
    return False


def _restricted(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        if _NOT_RESTRICTING_OPERATOR.match(operator) or not isinstance(clauses, dict):
            continue
        for key, values in clauses.items():
            if key.lower() in RESTRICTING_KEYS and not _EVERYWHERE.intersection(map(str, _as_list(values))):
                return True
    return False
