"""Inline SVG charts for the HTML report: drawn in the page, no library, no network.

Labels go through markupsafe.escape; numbers are formatted here. The SVG uses presentation
attributes only (no style attributes), so the report's Content-Security-Policy can forbid
inline styles other than its own stylesheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

COLORS = {
    "FAIL": "#c62828",
    "UNKNOWN": "#e08600",
    "MANUAL": "#00838f",
    "MUTED": "#9e9e9e",
    "PASS": "#2e7d32",
    "NO RESOURCES": "#d7dbe0",
    "NOT COVERED": "#eceff1",
    "critical": "#7f1d1d",
    "high": "#c62828",
    "medium": "#e08600",
    "low": "#d4b106",
    "info": "#90a4ae",
}
LABEL_WIDTH = 130
BAR_WIDTH = 330
RATE_WIDTH = 80
ROW_HEIGHT = 24


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    counts: Mapping[str, int]
    rate: float | None
    anchor: str = ""  # where a click on the label leads (#id in the page)


def _rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def stacked_bars(rows: Sequence[BarRow], order: Sequence[str], caption: str) -> Markup:
    """One horizontal bar per row, split by status, with the pass rate at the right."""
    width = LABEL_WIDTH + BAR_WIDTH + RATE_WIDTH
    height = ROW_HEIGHT * len(rows) + 30
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(caption)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for i, row in enumerate(rows):
        y = i * ROW_HEIGHT
        total = sum(row.counts.get(s, 0) for s in order) or 1
        label = escape(row.label)
        text = f'<text x="0" y="{y + 16}" font-size="12">{label}</text>'
        if row.anchor:
            text = f'<a href="#{escape(row.anchor)}">{text}</a>'
        parts.append(text)
        x = float(LABEL_WIDTH)
        for status in order:
            n = row.counts.get(status, 0)
            if not n:
                continue
            w = BAR_WIDTH * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW_HEIGHT - 8}" '
                f'fill="{COLORS.get(status, "#607d8b")}"><title>{label}: {escape(status)} {n}</title></rect>'
            )
            x += w
        parts.append(
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 16}" font-size="12" font-weight="600">'
            f"{_rate(row.rate)}</text>"
        )
    parts.append(
        _legend([s for s in order if any(r.counts.get(s) for r in rows)], len(rows) * ROW_HEIGHT + 8)
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(statuses: Sequence[str], y: int) -> str:
    parts, x = [], 0
    for status in statuses:
        parts.append(
            f'<rect x="{x}" y="{y + 4}" width="10" height="10" fill="{COLORS.get(status, "#607d8b")}"/>'
            f'<text x="{x + 14}" y="{y + 13}" font-size="11">{escape(status)}</text>'
        )
        x += 26 + 8 * len(status)
    return "".join(parts)


def columns(counts: Sequence[tuple[str, int]], caption: str) -> Markup:
    """Vertical bars (failures by severity), the count above each bar."""
    width, height, gap, bar = 360, 170, 18, 52
    top = max((n for _, n in counts), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(caption)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for i, (label, n) in enumerate(counts):
        x = gap + i * (bar + gap)
        h = 110 * n / top
        y = 130 - h
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{COLORS.get(label, "#607d8b")}">'
            f"<title>{escape(label)}: {n}</title></rect>"
            f'<text x="{x + bar / 2}" y="{y - 4:.1f}" font-size="12" font-weight="600" '
            f'text-anchor="middle">{n}</text>'
            f'<text x="{x + bar / 2}" y="148" font-size="12" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
