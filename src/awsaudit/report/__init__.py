"""Renderers from the scan record (ScanResult) to the files an audit hands over.

Every format is one module with `render(report: ScanResult) -> str`, registered in FORMATS; all
of them render the same record, so every output shows the same findings, mutes and coverage.
The record holds what the scan knew (check metadata, frameworks, per-account facts): renderers
never reach back into the live registry or the snapshot, so `awsaudit report findings.json`
renders an old scan exactly as it was.
"""

from __future__ import annotations

import importlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from awsaudit import snapshot as snapshot_io
from awsaudit.errors import InputError
from awsaudit.model import Finding, Json, Status
from awsaudit.report.scan_result import ScanBuilder, ScanInfo, ScanResult, scan_result

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "ScanBuilder",
    "ScanInfo",
    "ScanResult",
    "json_array",
    "parse_formats",
    "renderer",
    "scan_result",
    "status_counts",
    "write_all",
]


def status_counts(findings: list[Finding]) -> Counter[Status]:
    return Counter(f.status for f in findings)



def json_array(items: Iterable[Any]) -> str:
    """A JSON array with one compact object per line: small, streamable, still greppable."""
    lines = (json.dumps(item, separators=(",", ":"), ensure_ascii=False, default=str) for item in items)
    return "[\n" + ",\n".join(lines) + "\n]\n"


class Renderer(Protocol):
    def render(self, report: ScanResult) -> str: ...


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
    report: ScanResult,
    formats: tuple[str, ...] = tuple(FORMATS),
    snapshot: Json | None = None,
) -> dict[str, Path]:
    """Write the text summary, each chosen format and (if given) the snapshot into out_dir.

    Returns what was written. `snapshot` is None when re-rendering a stored scan, or when the
    caller keeps the snapshot file itself (a sharded scan never holds it whole).
    """
    from awsaudit.report import summary  # noqa: PLC0415 - rich and jinja2 only when writing

    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if snapshot is not None:
        written["snapshot"] = out_dir / "snapshot.json.gz"
        snapshot_io.save(snapshot, written["snapshot"])
    written["summary"] = out_dir / "summary.txt"
    written["summary"].write_text(summary.render_text(report), encoding="utf-8")
    for name in formats:
        path = out_dir / FORMATS[name][0]
        path.write_text(renderer(name).render(report), encoding="utf-8", newline="")
        written[name] = path
    return written
