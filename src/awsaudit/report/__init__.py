"""Renderers from (scan metadata, findings) to the files an audit hands over."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from awsaudit import snapshot as snapshot_io
from awsaudit.model import Finding, Json, Status


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


def write_all(out_dir: Path, snap: Json, findings: list[Finding], info: ScanInfo) -> dict[str, Path]:
    """Write snapshot, findings JSON, text summary and HTML into out_dir; return what was written."""
    from awsaudit.report import html, json_report, summary  # noqa: PLC0415 - keep import of jinja2 lazy

    out_dir.mkdir(parents=True, exist_ok=True)
    written = {
        "snapshot": out_dir / "snapshot.json.gz",
        "json": out_dir / "findings.json",
        "summary": out_dir / "summary.txt",
        "html": out_dir / "report.html",
    }
    snapshot_io.save(snap, written["snapshot"])
    written["json"].write_text(json_report.render(info, findings, snap), encoding="utf-8")
    written["summary"].write_text(summary.render_text(info, findings, snap), encoding="utf-8")
    written["html"].write_text(html.render(info, findings), encoding="utf-8")
    return written
