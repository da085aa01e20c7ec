"""The check engine: evaluate(snapshot) -> findings, for every registered check."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
from collections.abc import Iterable, Iterator

from awsaudit.checks._registry import ACCOUNT, REGISTRY, Check
from awsaudit.derive import derive
from awsaudit.frameworks import controls_by_check
from awsaudit.model import Finding, Json, Outcome, Status
from awsaudit.settings import DEFAULTS, Settings

log = logging.getLogger(__name__)

AREAS = ("account", "iam", "logging", "monitoring", "network", "s3", "storage")
"""How reports group checks. A check module's area is its AREA constant, else its name."""
GLOBAL = "global"


def check_modules() -> list[str]:
    """Every module of this package that holds checks (all but the _private ones)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def load_all() -> dict[str, Check]:
    """Import every check module so its checks register; return the registry."""
    for name in check_modules():
        importlib.import_module(f"{__name__}.{name}")
    return REGISTRY


def _service_locations(account: Json, service: str) -> list[tuple[str, Json | None]]:
    """Where a service's data sits: [(region, data)], `None` data when it is absent there."""
    global_data = account.get("global", {})
    if service in global_data:
        return [(GLOBAL, global_data[service])]
    regions: dict[str, Json] = account.get("regions", {})
    found = [(name, region.get(service)) for name, region in sorted(regions.items())]
    if any(data is not None for _, data in found):
        return found
    return [(GLOBAL, None)]


def _targets(check: Check, account_id: str, account: Json) -> Iterator[tuple[str, Json | None, str]]:
    """(region, resource or None, reason-if-None) for every resource the check runs on."""
    if check.over == ACCOUNT:
        yield GLOBAL, account, ""
        return
    service, key = check.over.split(".", 1)
    for region, data in _service_locations(account, service):
        if data is None:
            yield region, None, f"{service} was not collected"
            continue
        if key not in data:
            reason = (data.get("_errors") or {}).get(key, "not collected")
            yield region, None, f"{service}.{key} not collected: {reason}"
            continue
        collection = data[key]
        items = collection if isinstance(collection, list) else [collection]
        for item in items:
            yield region, item, ""


def snapshot_instant(snapshot: Json) -> dt.datetime | None:
    """The snapshot's `collected_at` as an aware UTC datetime (the `now` checks measure ages to).

    None when it is absent or unreadable: checks then fall back to their own collection time
    (IAM's `_collected_at`) or say UNKNOWN; the wall clock is never used.
    """
    value = snapshot.get("collected_at")
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _run(
    check: Check, resource: Json, account: Json, settings: Settings, now: dt.datetime | None
) -> tuple[Outcome, bool]:
    try:
        return check.evaluate(resource, account, settings, now), False
    except Exception as exc:  # noqa: BLE001 - a broken check must not end the audit; it is reported
        log.error("check %s raised %s: %s", check.id, type(exc).__name__, exc)
        return Outcome(Status.UNKNOWN, f"check error: {type(exc).__name__}: {exc}"), True


def evaluate(
    snapshot: Json, checks: Iterable[Check] | None = None, settings: Settings = DEFAULTS
) -> list[Finding]:
    """Every check on every resource of every account; deterministic order.

    Derived fields (derive.py) are computed here, on the live and the reloaded snapshot
    alike, so both give the same findings; the input snapshot is not modified.
    """
    snapshot = derive(snapshot)
    selected = sorted(checks if checks is not None else load_all().values(), key=lambda c: c.id)
    controls = controls_by_check()
    partition = snapshot.get("partition", "aws")
    now = snapshot_instant(snapshot)
    findings: list[Finding] = []
    for account_id, account in sorted(snapshot.get("accounts", {}).items()):
        for check in selected:
            for location, resource, reason in _targets(check, account_id, account):
                region = location
                if resource is None:
                    arn = (
                        f"arn:{partition}:{check.service}:{'' if region == GLOBAL else region}:{account_id}:*"
                    )
                    outcome, broken = Outcome(Status.UNKNOWN, reason), False
                else:
                    arn = str(resource.get("_arn") or f"arn:{partition}:iam::{account_id}:root")
                    region = str(resource.get("_region", region))
                    outcome, broken = _run(check, resource, account, settings, now)
                findings.append(
                    Finding(
                        check_id=check.id,
                        title=check.title,
                        status=outcome.status,
                        severity=check.severity,
                        objective=check.objective,
                        message=outcome.message,
                        account=account_id,
                        region=region,
                        resource=arn,
                        evidence=outcome.evidence,
                        area=check.area,
                        controls=controls.get(check.id, {}),
                        check_error=broken,
                    )
                )
    return findings
