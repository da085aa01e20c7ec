"""Renderers from (scan metadata, findings) to the files an audit hands over.

Every format is one module with `render(report: Report) -> str`, registered in FORMATS; all
of them render the same Report, so every output shows the same findings, mutes and coverage.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from awsaudit import snapshot as snapshot_io
from awsaudit.errors import InputError
from awsaudit.model import Finding, Json, Status

if TYPE_CHECKING:
    from awsaudit.checks._registry import Check
    from awsaudit.mutelist import MuteReport
    from awsaudit.report.compliance import FrameworkResult
    from awsaudit.report.coverage import CoverageRow


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

    @classmethod
    def from_snapshot(cls, snap: Json, source: str, evaluated_at: str) -> ScanInfo:
        accounts = snap.get("accounts", {})
        regions = sorted({r for a in accounts.values() for r in a.get("regions_scanned", [])})
        errors = sum(len(a.get("errors", [])) for a in accounts.values())
        return cls(
            str(snap.get("tool_version", "?")),
            str(snap.get("collected_at", "?")),
            evaluated_at,
            tuple(sorted(accounts)),
            tuple(regions),
            source,
            errors,
            home_regions={
                acc: str(data["home_region"]) for acc, data in accounts.items() if data.get("home_region")
            },
        )

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


def status_counts(findings: list[Finding]) -> Counter[Status]:
    return Counter(f.status for f in findings)


@dataclass(frozen=True)
class Report:
    """Everything a renderer may show, computed once and shared by all formats."""

    info: ScanInfo
    findings: list[Finding]
    snapshot: Json
    mutes: MuteReport | None = None

    @cached_property
    def totals(self) -> Counter[Status]:
        return status_counts(self.findings)

    @cached_property
    def checks(self) -> dict[str, Check]:
        from awsaudit.checks import load_all  # noqa: PLC0415 - the registry, loaded once

        return load_all()

    @cached_property
    def coverage(self) -> list[CoverageRow]:
        from awsaudit.report.coverage import coverage  # noqa: PLC0415

        return coverage(self.snapshot, self.findings)

    @cached_property
    def frameworks(self) -> list[FrameworkResult]:
        from awsaudit.report.compliance import framework_results  # noqa: PLC0415

        return framework_results(self.findings)

    def warnings(self) -> list[str]:
        """What every output must show besides the findings: expired and stale mutes."""
        return self.mutes.warnings() if self.mutes is not None else []


def json_array(items: Iterable[Any]) -> str:
    """A JSON array with one compact object per line: small, streamable, still greppable."""
    lines = (json.dumps(item, separators=(",", ":"), ensure_ascii=False, default=str) for item in items)
    return "[\n" + ",\n".join(lines) + "\n]\n"


class Renderer(Protocol):
    def render(self, report: Report) -> str: ...


FORMATS: dict[str, tuple[str, str]] = {
    "json": ("findings.json", "json_report"),
    "html": ("report.html", "html"),
    "csv": ("findings.csv", "csv_report"),
    "markdown": ("report.md", "markdown"),
    "junit": ("junit.xml", "junit"),
    "sarif": ("findings.sarif", "sarif"),
    "ocsf": ("findings.ocsf.json", "ocsf"),
    "asff": ("findings.asff.json", "asff"),
}
"""--output-formats name -> (file name, renderer module in this package)."""

DEFAULT_FORMATS = ("json", "html", "csv")
"""scan and audit: the hand-over report, our JSON and a spreadsheet; `demo` writes all formats."""


def parse_formats(text: str) -> tuple[str, ...]:
    """`json,html` -> ("json", "html"); `all` -> every format; unknown names fail (exit 2)."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return tuple(FORMATS)
    if unknown := [n for n in names if n not in FORMATS]:
        raise InputError(
            f"--output-formats: unknown format(s) {', '.join(unknown)} "
            f"(choose from {', '.join(FORMATS)}, or all)"
        )
    if not names:
        raise InputError("--output-formats: give at least one format")
    return tuple(dict.fromkeys(names))


def renderer(name: str) -> Renderer:
    module: Renderer = importlib.import_module(f"{__name__}.{FORMATS[name][1]}")
    return module


def write_all(
    out_dir: Path,
    snap: Json,
    findings: list[Finding],
    info: ScanInfo,
    formats: tuple[str, ...] = tuple(FORMATS),
    mutes: MuteReport | None = None,
) -> dict[str, Path]:
    """Write the snapshot, the text summary and each chosen format into out_dir; return what was written."""
    from awsaudit.report import summary  # noqa: PLC0415 - rich and jinja2 only when writing

    out_dir.mkdir(parents=True, exist_ok=True)
    report = Report(info, findings, snap, mutes)
    written = {"snapshot": out_dir / "snapshot.json.gz", "summary": out_dir / "summary.txt"}
    snapshot_io.save(snap, written["snapshot"])
    written["summary"].write_text(summary.render_text(report), encoding="utf-8")
    for name in formats:
        path = out_dir / FORMATS[name][0]
        path.write_text(renderer(name).render(report), encoding="utf-8", newline="")
        written[name] = path
    return written
