"""Policy documents parsed into typed statements: every form AWS accepts, one shape for the engine.

Accepted: a dict, a JSON string, or a URL-encoded JSON string (how IAM APIs return documents);
`Statement` as one object or a list; `Action`/`NotAction`/`Resource`/`NotResource` as a string
or a list; `Principal` as `"*"` or `{"AWS"|"Service"|"Federated"|"CanonicalUser": str | list}`;
`Version` 2012-10-17, 2008-10-17 or absent (policy variables are only substituted with
2012-10-17). Anything AWS itself would reject as malformed raises PolicyError, with a message
fit to show a user as one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from awsaudit.iam.conditions import UNKNOWN, Condition, Context, Unknown, parse_conditions
from awsaudit.untrusted import limits

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = frozenset({VERSION_2012, VERSION_2008})
EFFECTS = ("Allow", "Deny")

Json = dict[str, Any]
Kind = Literal["identity", "resource", "trust", "boundary", "scp", "session"]
"""Where a document is used: trust and resource policies name principals and may omit Resource."""

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class PolicyError(ValueError):
    """A document AWS would refuse (bad JSON, unknown Effect, no Action ...)."""


@dataclass(frozen=True, slots=True)
class Principals:
    """A `Principal`/`NotPrincipal` element: `everyone` for `"*"`, else values per type."""

    everyone: bool = False
    by_type: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def values(self, kind: str) -> tuple[str, ...]:
        return self.by_type.get(kind, ())


@dataclass(frozen=True, slots=True)
class Statement:
    effect: str
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    principal: Principals | None = None
    not_principal: Principals | None = None
    sid: str = ""
    index: int = 0

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    def action_patterns(self) -> tuple[str, ...]:
        return self.actions if self.actions is not None else self.not_actions or ()

    def resource_patterns(self) -> tuple[str, ...]:
        if self.resources is not None:
            return self.resources
        return self.not_resources or ()

    @property
    def label(self) -> str:
        return self.sid or f"#{self.index}"


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed document; `name` says where it came from (shown in evidence and CLI output)."""

    name: str
    version: str | None
    statements: tuple[Statement, ...]
    document: Any = None

    @property
    def substitutes_variables(self) -> bool:
        return self.version == VERSION_2012

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.statements)


def load_document(value: Any) -> Any:
    """A document as parsed JSON: dicts pass through; JSON text and URL-encoded JSON are decoded."""
    if not isinstance(value, str):
        return value
    for text in (value, unquote(value)):
        try:
            return limits.loads(text, limits.MAX_DEPTH)
        except limits.NestingTooDeepError as exc:
            raise PolicyError(f"policy document is {exc}") from None
        except ValueError:
            continue
    raise PolicyError("policy document is not valid JSON")


def parse_policy(value: Any, name: str = "policy", kind: Kind = "identity") -> Policy:
    """Parse one document; raises PolicyError (naming `name`) for what AWS would reject."""
    try:
        document = load_document(value)
    except PolicyError as exc:
        raise PolicyError(f"{name}: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyError(f"{name}: a policy document must be a JSON object")
    if limits.depth(document) > limits.MAX_DEPTH:
        raise PolicyError(f"{name}: policy document is nested deeper than {limits.MAX_DEPTH} levels")
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(f"{name}: unknown Version {version!r} (expected {VERSION_2012} or {VERSION_2008})")
    if "Statement" not in document:
        raise PolicyError(f"{name}: no Statement")
    raw = document["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    statements = tuple(_statement(item, index, name, kind) for index, item in enumerate(items))
    return Policy(name, version, statements, document)


def _strings(value: Any, element: str, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v for v in items):
        raise PolicyError(f"{where}: {element} must be a non-empty string or list of strings")
    return tuple(items)


def _one_of(stmt: Json, first: str, second: str, where: str, required: bool) -> tuple[
        tuple[str, ...] | None, tuple[str, ...] | None]:
    if first in stmt and second in stmt:
        raise PolicyError(f"{where}: has both {first} and {second}")
    if first in stmt:
        return _strings(stmt[first], first, where), None
    if second in stmt:
        return None, _strings(stmt[second], second, where)
    if required:
        raise PolicyError(f"{where}: missing {first} (or {second})")
    return None, None



def _statement(stmt: Any, index: int, name: str, kind: Kind) -> Statement:
    where = f"{name} statement {index}"
    if not isinstance(stmt, dict):
        raise PolicyError(f"{where}: a statement must be a JSON object")
    sid = stmt.get("Sid", "")
    if sid:
        where = f"{name} statement {sid!r}"
    effect = stmt.get("Effect")
    if effect not in EFFECTS:
        raise PolicyError(f"{where}: unknown Effect {effect!r} (expected Allow or Deny)")
    actions, not_actions = _one_of(stmt, "Action", "NotAction", where, required=True)
    names_principal = kind in ("resource", "trust")
    resources, not_resources = _one_of(stmt, "Resource", "NotResource", where, required=not names_principal)
    principal = not_principal = None
    if names_principal:
        if "Principal" in stmt and "NotPrincipal" in stmt:
            raise PolicyError(f"{where}: has both Principal and NotPrincipal")
        if "Principal" in stmt:
            principal = _principals(stmt["Principal"], where)
        elif "NotPrincipal" in stmt:
            not_principal = _principals(stmt["NotPrincipal"], where)
        else:
            raise PolicyError(f"{where}: a {kind} policy statement needs a Principal")
    try:
        conditions = parse_conditions(stmt.get("Condition"))
    except ValueError as exc:
        raise PolicyError(f"{where}: {exc}") from None
    return Statement(effect, actions, not_actions, resources, not_resources, conditions,
                     principal, not_principal, str(sid), index)


def _principals(value: Any, where: str) -> Principals:
    if value == "*":
        return Principals(everyone=True)
    if not isinstance(value, dict) or not value:
        raise PolicyError(f"{where}: Principal must be \"*\" or an object such as {{\"AWS\": ...}}")
    by_type = {kind: _strings(v, f"Principal.{kind}", where) for kind, v in value.items()}
    return Principals(everyone="*" in by_type.get("AWS", ()), by_type=by_type)


def substitute(text: str, ctx: Context, unknown_fill: str | None = None) -> str | None:
    """Replace `${key}` policy variables from the request context.

    Returns None when a key is absent and has no default: AWS then matches nothing with that
    value. A key the analysis cannot know (open context) becomes `unknown_fill` (`*` when
    evaluating an Allow: it might match) or, when that is None, also None (a Deny might not).
    """
    if "${" not in text:
        return text
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        inner = match.group(1)
        if inner in ("*", "?", "$"):
            return inner
        key, _, default = inner.partition(",")
        found = ctx.lookup(key.strip())
        if isinstance(found, tuple) and found:
            return found[0]
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        if found is UNKNOWN and unknown_fill is not None:
            return unknown_fill
        missing = True
        return ""

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def condition_values(cond: Condition, ctx: Context) -> tuple[str, ...] | Unknown:
    """A condition's values with policy variables substituted; a value whose key is absent is dropped."""
    out: list[str] = []
    for value in cond.values:
        if "${" in value and _unknown_variable(value, ctx):
            return UNKNOWN
        resolved = substitute(value, ctx)
        if resolved is not None:
            out.append(resolved)
    return tuple(out)


def _unknown_variable(text: str, ctx: Context) -> bool:
    return any(ctx.lookup(m.group(1).partition(",")[0].strip()) is UNKNOWN
               for m in _VARIABLE.finditer(text) if m.group(1) not in ("*", "?", "$"))
