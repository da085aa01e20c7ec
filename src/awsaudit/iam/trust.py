"""Role trust policies: who outside the account can assume a role, and on what condition.

Each Allow statement of a trust policy that grants an sts:AssumeRole* action is classified
by the principals it names: everyone (`*`), other AWS accounts, SAML providers, OIDC
providers (IAM OIDC providers and the web identity providers AWS knows by name), AWS
services or this account. Each grant says whether a condition restricts it enough:
- everyone: a condition pinning the caller's organization, account or ARN (aws:PrincipalOrgID,
  aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount ...);
- another account: sts:ExternalId, or MFA (aws:MultiFactorAuthPresent true, aws:MultiFactorAuthAge);
- SAML: a `SAML:` key (AWS's console setup adds SAML:aud);
- OIDC: the provider's `:sub` key (`:aud` for Cognito) pinned to something narrower than `*`
  or `prefix:*` (a GitHub trust on `repo:*` lets every repository in).
Only positive operators without IfExists restrict: a negated operator or an absent key lets
everything else through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from awsaudit.iam.conditions import Condition
from awsaudit.iam.patterns import action_matches
from awsaudit.iam.policy import Policy, Statement

GrantKind = Literal["public", "cross-account", "saml", "oidc", "service", "same-account"]
ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
COGNITO = "cognito-identity.amazonaws.com"
WEB_IDENTITY = ("accounts.google.com", "graph.facebook.com", "www.amazon.com", COGNITO)
PINNING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:userid",
})
_ACCOUNT_IN_ARN = re.compile(r"^arn:[^:]+:(?:iam|sts)::(\d{12}):")
_BROAD_VALUE = re.compile(r"^[*?]*$|^[^:*?]*:\*$")


@dataclass(frozen=True, slots=True)
class Grant:
    """Who one trust statement lets in, and whether a condition restricts it."""

    kind: GrantKind
    principal: str
    statement: str
    restricted: bool
    conditions: tuple[str, ...] = ()

    def describe(self) -> str:
        how = f" with {', '.join(self.conditions)}" if self.conditions else " without restricting condition"
        return f"{self.kind} {self.principal} (statement {self.statement}){how}"


def _restricting(cond: Condition) -> bool:
    return (not cond.negated and not cond.if_exists and cond.base != "null"
            and cond.qualifier != "forallvalues")


def _pins(stmt: Statement, keys: set[str] | frozenset[str], broad_ok: bool = True) -> list[str]:
    return [f"{c.operator} {c.key}" for c in stmt.conditions
            if _restricting(c) and c.key.lower() in keys
            and (broad_ok or not all(_BROAD_VALUE.match(v) for v in c.values))]


def _mfa(stmt: Statement) -> list[str]:
    def requires_mfa(c: Condition) -> bool:
        key = c.key.lower()
        if key == "aws:multifactorauthage":
            return c.base in ("numericlessthan", "numericlessthanequals")
        return (key == "aws:multifactorauthpresent" and c.base == "bool" and not c.if_exists
                and "true" in (v.lower() for v in c.values))

    return [f"{c.operator} {c.key}" for c in stmt.conditions if requires_mfa(c)]


def account_of(value: str) -> str | None:
    if value.isdigit() and len(value) == 12:
        return value
    match = _ACCOUNT_IN_ARN.match(value)
    return match.group(1) if match else None


def _oidc_host(value: str) -> str | None:
    if value in WEB_IDENTITY:
        return value
    _, sep, host = value.partition(":oidc-provider/")
    return host if sep else None


def grants(trust: Policy, own_account: str) -> list[Grant]:
    out: list[Grant] = []
    for stmt in trust.statements:
        if not stmt.allows or stmt.principal is None:
            continue
        if stmt.actions is not None and not any(
                action_matches(p, a) for p in stmt.actions for a in ASSUME_ACTIONS):
            continue
        label = stmt.label
        principal = stmt.principal
        if principal.everyone:
            pins = _pins(stmt, PINNING_KEYS, broad_ok=False)
            out.append(Grant("public", "*", label, bool(pins), tuple(pins)))
        for value in principal.values("AWS"):
            if value == "*":
                continue
            account = account_of(value)
            if account is None or account == own_account:
                out.append(Grant("same-account", value, label, True))
                continue
            pins = _pins(stmt, {"sts:externalid"}, broad_ok=False) + _mfa(stmt)
            out.append(Grant("cross-account", value, label, bool(pins), tuple(pins)))
        for value in principal.values("Federated"):
            host = _oidc_host(value)
            if host is not None:
                key = f"{host}:aud" if host == COGNITO else f"{host}:sub"
                pins = _pins(stmt, {key.lower()}, broad_ok=False)
                out.append(Grant("oidc", value, label, bool(pins), tuple(pins)))
            elif ":saml-provider/" in value:
                pins = [f"{c.operator} {c.key}" for c in stmt.conditions
                        if _restricting(c) and c.key.lower().startswith("saml:")]
                out.append(Grant("saml", value, label, bool(pins), tuple(pins)))
        out.extend(Grant("service", value, label, True) for value in principal.values("Service"))
    return out
