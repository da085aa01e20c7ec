"""Coverage: per service and region, was everything collected — and what went UNKNOWN because not.

Shown as prominently as failures: an audit that could not read a region's data must say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from awsaudit.checks._registry import ACCOUNT
from awsaudit.model import Finding, Json, Status

GLOBAL = "global"
NOT_ENABLED = "not enabled"
"""The state of a region the user asked for that the account has not opted in to (skipped)."""


@dataclass(frozen=True, slots=True)
class CoverageRow:
    account: str
    service: str
    region: str
    state: str  # "collected", "partial", "failed" or "not enabled" (a requested region, skipped)
    errors: int
    codes: tuple[str, ...]
    unknown_findings: int

    def to_json(self) -> Json:
        return {
            "account": self.account,
            "service": self.service,
            "region": self.region,
            "state": self.state,
            "errors": self.errors,
            "codes": list(self.codes),
            "unknown_findings": self.unknown_findings,
        }

    @classmethod
    def from_json(cls, data: Json) -> CoverageRow:
        return cls(
            str(data["account"]),
            str(data["service"]),
            str(data["region"]),
            str(data["state"]),
            int(data["errors"]),
            tuple(str(c) for c in data["codes"]),
            int(data["unknown_findings"]),
        )


class _Collection(Protocol):
    """What coverage needs to know of a check: the collection it runs over (a Check or CheckMeta)."""

    @property
    def over(self) -> str: ...

    @property
    def service(self) -> str: ...


def _read_anything(data: object) -> bool:
    """Whether any value was read: a document holding only `_arn`/`_errors` keys holds none."""
    if isinstance(data, dict):
        return any(_read_anything(v) for k, v in data.items() if not str(k).startswith("_"))
    return True


def _state(data: Json | None, error_count: int) -> str:
    if data is None:
        return "failed"
    gaps = data.get("_errors") or {}
    collections = [k for k in data if not k.startswith("_")]
    if "*" in gaps or (gaps and not collections) or (error_count and not _read_anything(data)):
        return "failed"  # e.g. a region whose endpoint refuses every call
    return "partial" if gaps or error_count else "collected"


def coverage(snapshot: Json, findings: list[Finding]) -> list[CoverageRow]:
    """One row per (account, service, region) the scan attempted, in a stable order."""
    from awsaudit.checks import load_all  # noqa: PLC0415 - the live registry, for a live snapshot

    checks = load_all()
    rows: list[CoverageRow] = []
    for account_id, account in sorted(snapshot.get("accounts", {}).items()):
        mine = (f for f in findings if f.account == account_id)
        rows += account_coverage(account_id, account, mine, checks)
    return rows


def account_coverage(
    account_id: str, account: Json, findings: Iterable[Finding], checks: Mapping[str, _Collection]
) -> list[CoverageRow]:
    """The coverage rows of one account document: what a scan keeps of it once it is evaluated.

    One account at a time, so an Organization scan never holds every account's data at once.
    `findings` are that account's; `checks` say which service each UNKNOWN finding lacked.
    """
    unknown: Counter[tuple[str, str, str]] = Counter()
    global_services: set[tuple[str, str]] = set()
    rows: list[CoverageRow] = []
    errors: Counter[tuple[str, str]] = Counter()
    codes: dict[tuple[str, str], set[str]] = {}
    global_names = set(account.get("global", {}))
    for error in account.get("errors", []):
        region = GLOBAL if error["service"] in global_names else error["region"]
        errors[(error["service"], region)] += 1
        codes.setdefault((error["service"], region), set()).add(error["code"])
    targets: list[tuple[str, str, Json | None]] = [
        (svc, GLOBAL, data) for svc, data in sorted(account.get("global", {}).items())
    ]
    for region, services in sorted(account.get("regions", {}).items()):
        targets.extend((svc, region, data) for svc, data in sorted(services.items()))
    global_services.update((account_id, svc) for svc in global_names)
    for f in findings:
        if f.account == account_id and f.status is Status.UNKNOWN:
            check = checks.get(f.check_id)
            if check is None or check.over == ACCOUNT:
                continue  # account-wide checks read several services; their reason names the gap
            service = check.service
            region = GLOBAL if (account_id, service) in global_services else f.region
            unknown[(account_id, service, region)] += 1
    requested = set(account.get("regions_requested") or ())
    for region in sorted(requested.intersection(account.get("regions_disabled") or ())):
        rows.append(CoverageRow(account_id, "*", region, NOT_ENABLED, 0, ("RegionNotEnabled",), 0))
    for service, region, data in targets:
        key = (service, region)
        rows.append(
            CoverageRow(
                account_id,
                service,
                region,
                _state(data, errors[key]),
                errors[key],
                tuple(sorted(codes.get(key, ()))),
                unknown[(account_id, service, region)],
            )
        )
    return rows


def summary_counts(rows: list[CoverageRow]) -> Counter[str]:
    return Counter(row.state for row in rows)
