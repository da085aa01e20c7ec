"""The check engine: evaluate(snapshot) -> findings, for every registered check."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
from collections.abc import Iterable, Iterator
from typing import Literal

from awsaudit.checks._org_context import OrgContext, context_of
from awsaudit.checks._registry import ACCOUNT, REGISTRY, Check
from awsaudit.checks._view import GLOBAL, AccountView
from awsaudit.checks.derive import derive
from awsaudit.frameworks import controls_by_check
from awsaudit.model import Finding, Json, Outcome, Status, instant
from awsaudit.settings import DEFAULTS, Settings

log = logging.getLogger(__name__)

AREAS = ("account", "iam", "logging", "monitoring", "network", "s3", "storage")
"""How reports group checks: one subpackage per area (checks/<area>/<module>.py)."""
NOT_CHECKS = frozenset({"derive", "filter_pattern"})
"""Modules inside the checks package that hold helpers, not checks (besides the _private ones)."""


def check_modules() -> list[str]:
    """Every module that holds checks: `<area>.<module>` in each area package, _private and
    helper modules left out."""
    found = []
    for area in AREAS:
        package = importlib.import_module(f"{__name__}.{area}")
        found += [f"{area}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
                  if not m.name.startswith("_") and m.name not in NOT_CHECKS]
    return sorted(found)


def load_all() -> dict[str, Check]:
    """Import every check module so its checks register; return the registry."""
    for name in check_modules():
        importlib.import_module(f"{__name__}.{name}")
    return REGISTRY


def _targets(check: Check, view: AccountView) -> Iterator[tuple[str, Json | None, str]]:
    """(region, resource or None, reason-if-None) for every resource the check runs on."""
    if check.over == ACCOUNT:
        yield GLOBAL, view.doc, ""
        return
    for loc in view.locations(check.over):
        if not loc.found:
            yield loc.region, None, f"{check.over} not collected: {loc.gap}"
            continue
        items = loc.data if isinstance(loc.data, list) else [loc.data]
        for item in items:
            if isinstance(item, dict):
                yield loc.region, item, ""
            else:
                yield loc.region, None, f"{check.over}: malformed item ({type(item).__name__})"


def snapshot_instant(snapshot: Json) -> dt.datetime | None:
    """The snapshot's `collected_at` as an aware UTC datetime (the `now` checks measure ages to).

    None when it is absent or unreadable: checks then fall back to their own collection time
    (IAM's `_collected_at`) or say UNKNOWN; the wall clock is never used.
    """
    return instant(snapshot.get("collected_at"))


def _run(check: Check, resource: Json, view: AccountView, settings: Settings) -> tuple[list[Outcome], bool]:
    try:
        return check.run(resource, view, settings), False
    except Exception as exc:  # noqa: BLE001 - a broken check must not end the audit; it is reported
        log.error("check %s raised %s: %s", check.id, type(exc).__name__, exc)
        return [Outcome(Status.UNKNOWN, f"check error: {type(exc).__name__}: {exc}")], True


FROM_SNAPSHOT: Literal["from-snapshot"] = "from-snapshot"
"""evaluate()'s default: derive the organization context from the snapshot itself."""


def evaluate(
    snapshot: Json, checks: Iterable[Check] | None = None, settings: Settings = DEFAULTS,
    organization: OrgContext | Literal["from-snapshot"] | None = FROM_SNAPSHOT,
) -> list[Finding]:
    """Every check on every resource of every account; deterministic order.

    Derived fields (derive.py) are computed here, on the live and the reloaded snapshot
    alike, so both give the same findings; the input snapshot is not modified.
    `organization`: the Organization's context (checks/_org_context.py); by default it is
    derived from this snapshot's management-account shard, if it holds one. A caller that
    evaluates shard by shard builds it once over every shard and passes it in.
    """
    context = context_of(snapshot) if isinstance(organization, str) else organization
    snapshot = derive(snapshot)
    selected = sorted(checks if checks is not None else load_all().values(), key=lambda c: c.id)
    controls = controls_by_check()
    partition = snapshot.get("partition", "aws")
    now = snapshot_instant(snapshot)
    findings: list[Finding] = []
    for account_id, account in sorted(snapshot.get("accounts", {}).items()):
        view = AccountView(account_id, account, partition, now, context)
        findings.extend(evaluate_account(view, selected, settings, controls))
    return findings


def evaluate_account(
    view: AccountView,
    checks: Iterable[Check],
    settings: Settings = DEFAULTS,
    controls: dict[str, dict[str, tuple[str, ...]]] | None = None,
) -> list[Finding]:
    """Every check on every resource of one (derived) account: the unit an Organization scan
    evaluates shard by shard. Models are built once, on the view, by the first check that asks."""
    controls = controls_by_check() if controls is None else controls
    findings: list[Finding] = []
    for check in checks:
        for location, resource, reason in _targets(check, view):
            if resource is None:
                region = location
                arn = f"arn:{view.partition}:{check.service}:{'' if region == GLOBAL else region}:{view.id}:*"
                outcomes, broken = [Outcome(Status.UNKNOWN, reason)], False
            else:
                arn = str(resource.get("_arn") or f"arn:{view.partition}:iam::{view.id}:root")
                region = str(resource.get("_region", location))
                outcomes, broken = _run(check, resource, view, settings)
            for outcome in outcomes:
                findings.append(
                    Finding(
                        check_id=check.id,
                        title=check.title,
                        status=outcome.status,
                        severity=outcome.severity or check.severity,
                        objective=check.objective,
                        message=outcome.message,
                        account=view.id,
                        region=outcome.region or region,
                        resource=outcome.resource or arn,
                        evidence=outcome.evidence,
                        area=check.area,
                        controls=controls.get(check.id, {}),
                        check_error=broken,
                    )
                )
    return findings
