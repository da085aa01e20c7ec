"""The scan record every report renders: findings plus what the scan knew when it ran.

A report must look the same when it is rendered again a year later from `findings.json`, by
a newer release whose checks were re-titled, re-worded or removed. So the record keeps, as
data: the metadata of every check that ran (CheckMeta), the framework controls they were
judged by, and the per-account facts the reports show (regions, home region, collection
errors, coverage rows, the tags the mutelist matches). Renderers read only this record: never
the live registry, never the snapshot.

It is built one account at a time (ScanBuilder.add_account), so an Organization scan can
evaluate and drop each account document in turn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from awsaudit.model import Finding, Json, Objective, Remediation, Severity, Status

if TYPE_CHECKING:
    from awsaudit.checks._registry import Check
    from awsaudit.report.compliance import FrameworkResult
    from awsaudit.report.coverage import CoverageRow
    from awsaudit.report.mutelist import Mutelist, MuteReport


LEFT_OUT = ("not_assessed", "interrupted", "not_scanned")
"""Organization-scan outcomes of accounts that have no findings: each is named in every report."""


@dataclass(frozen=True, slots=True)
class AccountLeftOut:
    """An account of an Organization scan that has no findings, and why (from the snapshot's
    `organization_scan`): its role could not be assumed, the scan stopped first, or it is
    suspended or closed. Reports name it, so that no reader takes its absence for a clean bill."""

    id: str
    name: str
    outcome: str
    reason: str

    @classmethod
    def of(cls, account_id: str, entry: Json) -> AccountLeftOut:
        if entry.get("outcome") == "not_scanned":
            reason = f"account {entry.get('state') or 'not active'}"
        else:
            parts = (entry.get("operation"), entry.get("code"), entry.get("message") or entry.get("reason"))
            reason = ": ".join(str(p) for p in parts if p) or str(entry.get("outcome"))
        return cls(account_id, str(entry.get("name") or ""), str(entry.get("outcome")), reason)

    def to_json(self) -> Json:
        return {"id": self.id, "name": self.name, "outcome": self.outcome, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Json) -> AccountLeftOut:
        return cls(str(data["id"]), str(data.get("name", "")), str(data.get("outcome", "")),
                   str(data.get("reason", "")))


def left_out(organization_scan: Json | None) -> tuple[AccountLeftOut, ...]:
    """The accounts of an Organization scan's coverage that have no findings, sorted by id."""
    accounts = (organization_scan or {}).get("accounts") if isinstance(organization_scan, dict) else None
    if not isinstance(accounts, dict):
        return ()
    return tuple(AccountLeftOut.of(str(a), e) for a, e in sorted(accounts.items())
                 if isinstance(e, dict) and e.get("outcome") in LEFT_OUT)


@dataclass(frozen=True)
class ScanInfo:
    """What was audited, when and by which tool: the scope line of every report."""

    tool_version: str
    collected_at: str
    evaluated_at: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    source: str  # "scan", "demo", or the snapshot path for `audit`
    errors: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    home_regions: dict[str, str] = field(default_factory=dict)
    """{account: home region}: where account-wide ("global") findings are filed (ASFF)."""

    def to_json(self) -> Json:
        return {
            "tool_version": self.tool_version,
            "collected_at": self.collected_at,
            "evaluated_at": self.evaluated_at,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "source": self.source,
            "collection_errors": self.errors,
        }


@dataclass(frozen=True, slots=True)
class CheckMeta:
    """A check's metadata as it was when the scan ran (the attributes renderers use of a Check)."""

    id: str
    title: str
    severity: Severity
    objective: Objective
    area: str
    over: str
    rationale: str
    remediation: Remediation
    controls: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.over.split(".", 1)[0]

    @classmethod
    def of(cls, check: Check, controls: Mapping[str, tuple[str, ...]]) -> CheckMeta:
        return cls(
            check.id,
            check.title,
            check.severity,
            check.objective,
            check.area,
            check.over,
            check.rationale,
            check.remediation,
            dict(controls),
        )

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "title": self.title,
            "severity": str(self.severity),
            "objective": str(self.objective),
            "area": self.area,
            "over": self.over,
            "rationale": self.rationale,
            "remediation": {
                "console": list(self.remediation.console),
                "cli": self.remediation.cli,
                "terraform": self.remediation.terraform,
            },
            "controls": {fw: list(ids) for fw, ids in sorted(self.controls.items())},
        }

    @classmethod
    def from_json(cls, data: Json) -> CheckMeta:
        fix = data.get("remediation") or {}
        return cls(
            str(data["id"]),
            str(data["title"]),
            Severity(data["severity"]),
            Objective(data["objective"]),
            str(data.get("area", "")),
            str(data.get("over", "")),
            str(data.get("rationale", "")),
            Remediation(
                tuple(fix.get("console", ())), str(fix.get("cli", "")), str(fix.get("terraform", ""))
            ),
            {fw: tuple(ids) for fw, ids in (data.get("controls") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the reports show of one account besides its findings, kept once its document is gone."""

    id: str
    home_region: str
    regions: tuple[str, ...]
    errors: int
    coverage: tuple[CoverageRow, ...]
    tags: dict[str, dict[str, str]]
    """{ARN: tags} of this account's resources that have findings: what the mutelist matches."""
    name: str = ""
    """The account's name in its Organization (as the management account lists it), or ""."""

    @classmethod
    def of(
        cls, account_id: str, account: Json, findings: Sequence[Finding], checks: Mapping[str, CheckMeta]
    ) -> AccountFacts:
        """The facts of one evaluated account document (its findings are those of this account)."""
        from awsaudit.report.coverage import account_coverage  # noqa: PLC0415
        from awsaudit.report.mutelist import account_tags  # noqa: PLC0415 - yaml only when used

        resources = {f.resource for f in findings}
        return cls(
            account_id,
            str(account.get("home_region") or ""),
            tuple(sorted(account.get("regions_scanned", []))),
            len(account.get("errors", [])),
            tuple(account_coverage(account_id, account, findings, checks)),
            {arn: tags for arn, tags in account_tags(account).items() if arn in resources},
        )

    def to_json(self) -> Json:
        """Coverage rows are stored once, in findings.json's top-level `coverage`."""
        found: Json = {
            "id": self.id,
            "home_region": self.home_region,
            "regions": list(self.regions),
            "collection_errors": self.errors,
            "resource_tags": self.tags,
        }
        if self.name:
            found["name"] = self.name
        return found


@dataclass(frozen=True, slots=True)
class MuteSummary:
    """The mutelist's effect as a report shows it: the file, its warnings and the stored document."""

    origin: str
    warning_texts: tuple[str, ...]
    document: Json

    @classmethod
    def of(cls, mutes: MuteReport) -> MuteSummary:
        warnings = tuple(mutes.warnings())
        return cls(mutes.origin, warnings, {**mutes.to_json(), "warnings": list(warnings)})

    @classmethod
    def from_json(cls, data: Json) -> MuteSummary:
        return cls(str(data.get("file", "")), tuple(str(w) for w in data.get("warnings", ())), data)

    def warnings(self) -> list[str]:
        return list(self.warning_texts)

    def to_json(self) -> Json:
        return self.document


@dataclass(frozen=True)
class ScanResult:
    """Everything a renderer may show, as stored data; derived views are computed once."""

    info: ScanInfo
    findings: list[Finding]
    checks: dict[str, CheckMeta]
    """Every check that ran, by id, with its metadata at the time of the scan."""
    accounts: tuple[AccountFacts, ...] = ()
    mutes: MuteSummary | None = None
    framework_definitions: dict[str, Json] | None = None
    """As compliance.framework_definitions() returns them; None: the shipped frameworks."""
    history: Json | None = None
    """What changed since the last audit and the pass-rate trend (awsaudit.store), when the scan
    was compared with the history store: {"accounts": [drift per account], "totals", "trend"}."""
    left_out: tuple[AccountLeftOut, ...] = ()
    """Accounts of an Organization scan without findings (not assessed, interrupted, suspended)."""

    @cached_property
    def totals(self) -> Counter[Status]:
        return Counter(f.status for f in self.findings)

    @cached_property
    def coverage(self) -> list[CoverageRow]:
        return [row for account in self.accounts for row in account.coverage]

    @cached_property
    def frameworks(self) -> list[FrameworkResult]:
        from awsaudit.report.compliance import framework_results  # noqa: PLC0415

        return framework_results(self.findings, self.framework_definitions)

    @cached_property
    def resource_tags(self) -> dict[str, dict[str, str]]:
        return {arn: tags for account in self.accounts for arn, tags in account.tags.items()}

    def warnings(self) -> list[str]:
        """What every output must show besides the findings: expired and stale mutes."""
        return self.mutes.warnings() if self.mutes is not None else []


def check_metadata(checks: Iterable[Check] | None = None) -> dict[str, CheckMeta]:
    """CheckMeta of the given checks (default: every registered check), with their controls."""
    from awsaudit.checks import load_all  # noqa: PLC0415 - the registry, loaded once
    from awsaudit.frameworks import controls_by_check  # noqa: PLC0415

    controls = controls_by_check()
    chosen = checks if checks is not None else load_all().values()
    return {c.id: CheckMeta.of(c, controls.get(c.id, {})) for c in sorted(chosen, key=lambda c: c.id)}


class ScanBuilder:
    """Accumulates a ScanResult one evaluated account at a time.

    >>> builder = ScanBuilder.for_snapshot(snap, "audit", evaluated_at)   # header only
    >>> for account_id, account in iter_accounts(path):                   # doctest: +SKIP
    ...     builder.add_account(account_id, account, evaluate_one(account))
    >>> scan = builder.build(mutelist)

    Only the findings and the small AccountFacts are kept; the account document can be
    dropped as soon as add_account returns.
    """

    def __init__(
        self,
        *,
        tool_version: str,
        collected_at: str,
        source: str,
        evaluated_at: str,
        checks: Iterable[Check] | None = None,
    ) -> None:
        from awsaudit.report.compliance import framework_definitions  # noqa: PLC0415

        self.tool_version = tool_version
        self.collected_at = collected_at
        self.source = source
        self.evaluated_at = evaluated_at
        self.checks = check_metadata(checks)
        self.frameworks = framework_definitions()
        self.findings: list[Finding] = []
        self.accounts: dict[str, AccountFacts] = {}
        self.names: dict[str, str] = {}
        """Account names from the management account's shard, whichever shard comes first."""
        self.left_out: tuple[AccountLeftOut, ...] = ()

    @classmethod
    def for_snapshot(
        cls, snap: Json, source: str, evaluated_at: str, checks: Iterable[Check] | None = None
    ) -> ScanBuilder:
        """A builder for a snapshot's header (tool version, collection time); add accounts after."""
        return cls(
            tool_version=str(snap.get("tool_version", "?")),
            collected_at=str(snap.get("collected_at", "?")),
            source=source,
            evaluated_at=evaluated_at,
            checks=checks,
        )

    def add_account(self, account_id: str, account: Json, findings: Sequence[Finding]) -> None:
        """Keep one evaluated account: its findings and its facts (coverage, regions, tags)."""
        if account_id in self.accounts:
            raise ValueError(f"account {account_id} was added twice")
        self.accounts[account_id] = AccountFacts.of(account_id, account, findings, self.checks)
        self.findings.extend(findings)
        listed = ((account.get("global") or {}).get("organizations") or {}).get("accounts")
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and item.get("Id") and item.get("Name"):
                self.names[str(item["Id"])] = str(item["Name"])

    def build(self, mutelist: Mutelist | None = None) -> ScanResult:
        """The scan record; the mutelist (if any) is applied here, to every account's findings."""
        accounts = tuple(dataclasses.replace(self.accounts[a], name=self.names.get(a, ""))
                         for a in sorted(self.accounts))
        info = ScanInfo(
            self.tool_version,
            self.collected_at,
            self.evaluated_at,
            tuple(a.id for a in accounts),
            tuple(sorted({r for a in accounts for r in a.regions})),
            self.source,
            sum(a.errors for a in accounts),
            home_regions={a.id: a.home_region for a in accounts if a.home_region},
        )
        # Accounts in order, each account's findings in evaluation order (a stable sort), so a
        # sharded evaluation gives exactly the findings of a whole-snapshot one.
        findings, mutes = sorted(self.findings, key=lambda f: f.account), None
        if mutelist is not None:
            from awsaudit.report.mutelist import apply  # noqa: PLC0415

            tags = {arn: t for a in accounts for arn, t in a.tags.items()}
            findings, report = apply(mutelist, findings, tags, _day(self.evaluated_at))
            mutes = MuteSummary.of(report)
        return ScanResult(info, list(findings), dict(self.checks), accounts, mutes, self.frameworks,
                          left_out=self.left_out)


def _day(iso: str) -> dt.date:
    """The evaluation day (UTC) that decides which mutes have expired."""
    return dt.datetime.fromisoformat(iso).date()


def scan_result(
    snap: Json,
    findings: Sequence[Finding],
    source: str,
    evaluated_at: str,
    mutelist: Mutelist | None = None,
    checks: Iterable[Check] | None = None,
) -> ScanResult:
    """The record of a whole snapshot already evaluated (tests, `audit` of a small snapshot)."""
    builder = ScanBuilder.for_snapshot(snap, source, evaluated_at, checks)
    by_account: dict[str, list[Finding]] = {}
    for f in findings:
        by_account.setdefault(f.account, []).append(f)
    for account_id, account in sorted(snap.get("accounts", {}).items()):
        builder.add_account(account_id, account, by_account.pop(account_id, []))
    builder.findings.extend(f for rest in by_account.values() for f in rest)
    return builder.build(mutelist)


def from_json(document: Json) -> ScanResult:
    """The scan record stored in findings.json (format_version 2): the inverse of json_report.render."""
    from awsaudit.report.coverage import CoverageRow  # noqa: PLC0415

    rows: dict[str, list[CoverageRow]] = {}
    for row in document.get("coverage", []):
        rows.setdefault(str(row["account"]), []).append(CoverageRow.from_json(row))
    accounts = tuple(
        AccountFacts(
            str(a["id"]),
            str(a.get("home_region", "")),
            tuple(a.get("regions", ())),
            int(a.get("collection_errors", 0)),
            tuple(rows.get(str(a["id"]), ())),
            {str(arn): dict(tags) for arn, tags in (a.get("resource_tags") or {}).items()},
            str(a.get("name", "")),
        )
        for a in document.get("accounts", [])
    )
    scan: dict[str, Any] = document["scan"]
    info = ScanInfo(
        str(scan["tool_version"]),
        str(scan["collected_at"]),
        str(scan["evaluated_at"]),
        tuple(scan["accounts"]),
        tuple(scan["regions"]),
        str(scan["source"]),
        int(scan.get("collection_errors", 0)),
        home_regions={a.id: a.home_region for a in accounts if a.home_region},
    )
    mutes = MuteSummary.from_json(document["mutelist"]) if document.get("mutelist") else None
    return ScanResult(
        info,
        [Finding.from_json(f) for f in document["findings"]],
        {c["id"]: CheckMeta.from_json(c) for c in document.get("checks", [])},
        accounts,
        mutes,
        document.get("framework_definitions"),
        document.get("history"),
        tuple(AccountLeftOut.from_json(a) for a in document.get("accounts_not_assessed") or ()),
    )
