"""The "since the last audit" section of the HTML report, and the pass-rate trend chart.

Kept apart from html.py (which only includes the partial `_history.html.j2` and passes this
context) so the section evolves without touching the rest of the report. Its input is the
scan record's `history` (stored data, set by the CLI from the history store); all text goes
through Jinja2's autoescaping, and the chart through markupsafe.escape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from awsaudit.model import Json
    from awsaudit.report.scan_result import ScanResult

LINE_COLORS = ("#1565c0", "#c62828", "#2e7d32", "#e08600", "#6a1b9a", "#00838f", "#5d4037", "#455a64")
LIST_LIMIT = 200
"""Rows listed per category and account; the counts stay exact."""


def context(report: ScanResult) -> dict[str, Any]:
    """What the partial needs: None when the scan was not compared with a history store."""
    history = report.history
    if not history:
        return {"history": None}
    accounts = []
    for drift in history.get("accounts", []):
        f = drift.get("findings") or {}
        r = drift.get("resources") or {}
        accounts.append({
            "account": drift["account"],
            "baseline": drift.get("baseline"),
            "new": f.get("new", [])[:LIST_LIMIT],
            "resolved": f.get("resolved", [])[:LIST_LIMIT],
            "status_changed": f.get("status_changed", [])[:LIST_LIMIT],
            "evidence_changed": [x for x in f.get("still_open", [])
                                 if x.get("evidence_changed")][:LIST_LIMIT],
            "counts": {k: len(v) for k, v in f.items()},
            "resources": {k: v[:LIST_LIMIT] for k, v in r.items()},
            "resource_counts": {k: len(v) for k, v in r.items()},
        })
    trend = history.get("trend", [])
    return {"history": {"accounts": accounts, "totals": history.get("totals", {}),
                        "trend_chart": trend_chart(trend) if len(trend) > 1 else None,
                        "trend_scans": len(trend)}}


def trend_chart(points: Sequence[Json]) -> Markup:
    """One line per area: its pass rate over the scans, oldest at the left (the last is this scan)."""
    areas = sorted({a for p in points for a in p.get("areas", {})})
    width, height, left, top, plot_h = 560, 200, 40, 10, 140
    step = (width - left - 130) / max(len(points) - 1, 1)
    caption = "Pass rate per area over the recorded scans"
    parts = [f'<svg class="chart" role="img" aria-label="{escape(caption)}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(caption)}</title>"]
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 130}" y2="{y:.1f}" stroke="#d7dbe0"/>'
                     f'<text x="0" y="{y + 4:.1f}" font-size="11">{pct}%</text>')
    for i, area in enumerate(areas):
        color = LINE_COLORS[i % len(LINE_COLORS)]
        coords = []
        for j, point in enumerate(points):
            rate = point.get("areas", {}).get(area)
            if rate is not None:
                coords.append((left + j * step, top + plot_h * (1 - float(rate))))
        if not coords:
            continue
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        parts.append(f'<text x="{width - 120}" y="{top + 14 * i + 8}" font-size="11" fill="{color}">'
                     f"{escape(area)}</text>")
    parts.append(f'<text x="{left}" y="{top + plot_h + 20}" font-size="11">'
                 f"{escape(str(points[0].get('collected_at', '')))}</text>"
                 f'<text x="{width - 130}" y="{top + plot_h + 20}" font-size="11" '
                 'text-anchor="end">this scan</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
