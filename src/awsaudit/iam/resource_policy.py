"""Reading resource policies (bucket, key, topic, queue policies) for two questions: which Allow
statements let anyone in, and which Deny statements guard a whole bucket.

Both answers go through the engine's own readings: `load_document` for the JSON (text or
URL-encoded), and `iam.patterns` for wildcards, so an action or ARN pattern means here what it
means to the evaluator. Both err on the auditor's side:
- a statement not proven restricted counts as public (a missed public bucket costs far more
  than a reviewed false alarm);
- a guard not proven to cover the whole bucket (NotAction, NotResource, NotPrincipal, a second
  condition that narrows the Deny) does not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from awsaudit.iam.patterns import action_matches, arn_matches, glob_match
from awsaudit.iam.policy import PolicyError, load_document
from awsaudit.model import Json

RESTRICTING_KEYS = frozenset({
    "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:principalorgid", "aws:principalaccount",
    "aws:sourceaccount", "aws:sourcearn", "aws:principalarn", "aws:userid", "aws:username",
})
"""Condition keys that pin a request to a network, an organization, an account or a principal.
A statement gated on one of them (with a concrete value) is not open to the internet."""

_NOT_RESTRICTING_OPERATOR = re.compile(r"^(forallvalues:.*|.*not.*|.*ifexists|null)$", re.IGNORECASE)
"""Operators that do not confine the request to the named values: negations allow everyone else,
and ...IfExists / ForAllValues: / Null are true when the key is absent, which it is for an
anonymous caller (no aws:PrincipalOrgID, no aws:SourceVpce from the internet)."""
_EVERYWHERE = frozenset({"*", "0.0.0.0/0", "::/0"})


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(policy: Any) -> list[Json]:
    """The statements of a document as written (dicts only); a document that does not parse has
    none (the collector recorded it as malformed)."""
    try:
        document = load_document(policy)
    except PolicyError:
        return []
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


# --- who is let in --------------------------------------------------------------------------------

def public_statements(policy_doc: Any, actions: str | Iterable[str]) -> list[Json]:
    """Allow statements that grant any of `actions` to any principal, with no restricting condition.

    The statements are returned as written, to serve as evidence.
    """
    wanted = [actions] if isinstance(actions, str) else list(actions)
    return [
        stmt for stmt in statements(policy_doc)
        if stmt.get("Effect") == "Allow"
        and _any_principal(stmt)
        and any(_grants(stmt, action) for action in wanted)
        and not _restricted(stmt.get("Condition"))
    ]


def _any_principal(stmt: Json) -> bool:
    # NotPrincipal on an Allow grants everyone except the listed principals.
    if "NotPrincipal" in stmt:
        return True
    return _everyone(stmt.get("Principal"))


def _everyone(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))


def _grants(stmt: Json, action: str) -> bool:
    if "Action" in stmt:
        return any(action_matches(str(p), action) for p in as_list(stmt["Action"]))
    if "NotAction" in stmt:
        return not any(action_matches(str(p), action) for p in as_list(stmt["NotAction"]))
    return False


def _restricted(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        if _NOT_RESTRICTING_OPERATOR.match(operator) or not isinstance(clauses, dict):
            continue
        for key, values in clauses.items():
            if key.lower() in RESTRICTING_KEYS and not _EVERYWHERE.intersection(map(str, as_list(values))):
                return True
    return False


# --- what a Deny guards ---------------------------------------------------------------------------

def _covers_all_after(pattern: str, prefix: str, ignore_case: bool = False) -> bool:
    """Does the glob match every string that starts with `prefix`?

    It does exactly when it ends in `*` and matches `prefix` itself: in that match the final `*`
    absorbs the end of the prefix, and can absorb any continuation as well.
    """
    return pattern.endswith("*") and glob_match(pattern, prefix, ignore_case)


def deny_statements(policy: Any) -> Iterator[Json]:
    """The policy's Deny statements that apply to every principal (Principal "*" or AWS "*")."""
    for stmt in statements(policy) if policy else []:
        if stmt.get("Effect") == "Deny" and "NotPrincipal" not in stmt and _everyone(stmt.get("Principal")):
            yield stmt


def denies_every_s3_action(stmt: Json) -> bool:
    return any(str(a) == "*" or _covers_all_after(str(a), "s3:", ignore_case=True)
               for a in as_list(stmt.get("Action")))


def denies_action(stmt: Json, action: str) -> bool:
    return any(action_matches(str(a), action) for a in as_list(stmt.get("Action")))


def covers_bucket(stmt: Json, bucket_arn: str) -> bool:
    return any(arn_matches(str(r), bucket_arn) for r in as_list(stmt.get("Resource")))


def covers_every_object(stmt: Json, bucket_arn: str) -> bool:
    return any(str(r) == "*" or _covers_all_after(str(r), f"{bucket_arn}/")
               for r in as_list(stmt.get("Resource")))


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
    return str(operator).lower(), str(key).lower(), [str(v).lower() for v in as_list(values)]
