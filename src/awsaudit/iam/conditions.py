"""Condition operators and the request context they read, with AWS's rules for absent keys.

Two kinds of context. A *closed* context is a request as AWS would see it: a key that is not
in it is absent, and the documented absent-key rules apply. An *open* context is what an
audit knows about a principal: the keys it lists (and the key families it declares known,
such as the principal's tags) are facts, every other key is UNKNOWN, and a condition on an
unknown key evaluates to UNKNOWN. Evaluation then decides what is *possible*: an Allow whose
condition is UNKNOWN may apply, a Deny whose condition is UNKNOWN may not.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from awsaudit.iam.patterns import arn_matches, glob_match


class Tri(IntEnum):
    """Three-valued logic; `min` is AND, `max` is OR."""

    FALSE = 0
    UNKNOWN = 1
    TRUE = 2


class Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
"""What Context.lookup returns for a key the analysis cannot know."""

Lookup = tuple[str, ...] | None | Unknown


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def context_values(mapping: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """User-facing context ({"aws:SourceIp": "10.0.0.1", "aws:TagKeys": [...]}) as engine values."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in mapping.items():
        items = value if isinstance(value, list | tuple) else [value]
        out[str(key).lower()] = tuple(_as_text(v) for v in items if v is not None)
    return out


@dataclass(frozen=True, slots=True)
class Context:
    """Request context keys (lower-case) -> values; see the module docstring for open/closed."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    open: bool = False
    known: tuple[str, ...] = ()
    """In an open context: keys (or families ending in '/') whose absence is a fact."""

    @classmethod
    def of(cls, mapping: Mapping[str, Any] | None = None, *, open: bool = False,
           known: Iterable[str] = ()) -> Context:
        return cls(context_values(mapping or {}), open, tuple(k.lower() for k in known))

    def lookup(self, key: str) -> Lookup:
        name = key.lower()
        if name in self.values:
            return self.values[name]
        if not self.open or name in self.known or any(
                k.endswith("/") and name.startswith(k) for k in self.known):
            return None
        return UNKNOWN

    def with_values(self, extra: Mapping[str, Any]) -> Context:
        return replace(self, values={**self.values, **context_values(extra)})


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key, values) triple of a Condition block."""

    operator: str
    base: str  # lower-case operator without ForAnyValue:/ForAllValues: and IfExists
    qualifier: str  # "", "foranyvalue" or "forallvalues"
    if_exists: bool
    key: str
    values: tuple[str, ...]

    @property
    def negated(self) -> bool:
        return self.base in NEGATED


def _parse_date(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(convert: Callable[[str], float | None], test: Callable[[float, float], bool]) -> Callable[
        [str, str], bool]:
    def match(request: str, policy: str) -> bool:
        left, right = convert(request), convert(policy)
        return left is not None and right is not None and test(left, right)
    return match


def _ip(request: str, policy: str) -> bool:
    try:
        address = ipaddress.ip_address(request.strip())
        network = ipaddress.ip_network(policy.strip(), strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def _equal(request: str, policy: str) -> bool:
    return request == policy


POSITIVE: dict[str, Callable[[str, str], bool]] = {
    "stringequals": _equal,
    "stringequalsignorecase": lambda r, p: r.lower() == p.lower(),
    "stringlike": lambda r, p: glob_match(p, r),
    "numericequals": _compare(_number, lambda a, b: a == b),
    "numericlessthan": _compare(_number, lambda a, b: a < b),
    "numericlessthanequals": _compare(_number, lambda a, b: a <= b),
    "numericgreaterthan": _compare(_number, lambda a, b: a > b),
    "numericgreaterthanequals": _compare(_number, lambda a, b: a >= b),
    "dateequals": _compare(_parse_date, lambda a, b: a == b),
    "datelessthan": _compare(_parse_date, lambda a, b: a < b),
    "datelessthanequals": _compare(_parse_date, lambda a, b: a <= b),
    "dategreaterthan": _compare(_parse_date, lambda a, b: a > b),
    "dategreaterthanequals": _compare(_parse_date, lambda a, b: a >= b),
    "bool": lambda r, p: r.lower() == p.lower(),
    "binaryequals": _equal,
    "ipaddress": _ip,
    # AWS documents ArnEquals and ArnLike alike: per segment, case-sensitive, with * and ?.
    "arnequals": lambda r, p: arn_matches(p, r),
    "arnlike": lambda r, p: arn_matches(p, r),
}
NEGATED: dict[str, str] = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}
OPERATORS = frozenset({*POSITIVE, *NEGATED, "null"})
"""Every base operator supported (lower-case); each may take IfExists (except Null) and a set prefix."""


def parse_operator(operator: str) -> tuple[str, str, bool]:
    """`ForAnyValue:StringLikeIfExists` -> ("stringlike", "foranyvalue", True); ValueError if unknown."""
    name = operator.strip()
    qualifier = ""
    prefix, sep, rest = name.partition(":")
    if sep:
        qualifier = prefix.lower()
        if qualifier not in ("foranyvalue", "forallvalues"):
            raise ValueError(f"unknown condition operator {operator!r}")
        name = rest
    base = name.lower()
    if_exists = base.endswith("ifexists") and base != "ifexists"
    if if_exists:
        base = base[: -len("ifexists")]
    if base not in OPERATORS or (base == "null" and if_exists):
        raise ValueError(f"unknown condition operator {operator!r}")
    return base, qualifier, if_exists


def parse_conditions(block: Any) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, dict):
        raise ValueError("Condition must be an object of operators")
    out: list[Condition] = []
    for operator, clauses in block.items():
        base, qualifier, if_exists = parse_operator(str(operator))
        if not isinstance(clauses, dict) or not clauses:
            raise ValueError(f"condition {operator} must map keys to values")
        for key, raw in clauses.items():
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(v, str | bool | int | float) for v in items):
                raise ValueError(f"condition {operator} {key}: values must be strings, numbers or booleans")
            out.append(Condition(str(operator), base, qualifier, if_exists, str(key),
                                 tuple(_as_text(v) for v in items)))
    return tuple(out)


PolicyValues = Callable[[Condition], tuple[str, ...] | Unknown]
"""Resolves a condition's policy values (policy variables substituted) for one request."""


def evaluate_condition(cond: Condition, ctx: Context, policy_values: PolicyValues | None = None) -> Tri:
    found = ctx.lookup(cond.key)
    if isinstance(found, Unknown):
        return Tri.UNKNOWN
    present = bool(found)
    if cond.base == "null":
        wanted = {v.lower() for v in cond.values}
        return Tri.TRUE if ("false" if present else "true") in wanted else Tri.FALSE
    if not present:
        if cond.qualifier == "forallvalues" or cond.if_exists or (cond.negated and cond.qualifier == ""):
            return Tri.TRUE
        return Tri.FALSE
    assert found is not None
    values = policy_values(cond) if policy_values else cond.values
    if isinstance(values, Unknown):
        return Tri.UNKNOWN
    positive = POSITIVE[NEGATED.get(cond.base, cond.base)]

    def satisfied(request_value: str) -> bool:
        hit = any(positive(request_value, v) for v in values)
        return not hit if cond.negated else hit

    if cond.qualifier == "forallvalues":
        return Tri.TRUE if all(satisfied(v) for v in found) else Tri.FALSE
    if cond.qualifier == "foranyvalue" or not cond.negated:
        return Tri.TRUE if any(satisfied(v) for v in found) else Tri.FALSE
    # A plain negated operator: true only if no request value matches any listed value.
    return Tri.TRUE if all(satisfied(v) for v in found) else Tri.FALSE


def evaluate_block(conditions: Iterable[Condition], ctx: Context, policy_values: PolicyValues | None = None
                   ) -> Tri:
    """All operators and all keys ANDed (values of one key were ORed by evaluate_condition)."""
    result = Tri.TRUE
    for cond in conditions:
        result = min(result, evaluate_condition(cond, ctx, policy_values))
        if result is Tri.FALSE:
            break
    return result
