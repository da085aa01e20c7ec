"""The report's "Internet exposure" table, read from the findings' own evidence.

The port checks (NET-1/2/3) put their reachability verdict in the evidence: the path that lets
the internet in, or the hop that blocks it. This module only reads that back, so an old
findings.json renders the same table and the report never needs the snapshot or the checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from awsaudit.model import Status

if TYPE_CHECKING:
    from awsaudit.model import Finding


def _route(path: list[dict[str, Any]]) -> str:
    return " -> ".join(str(h.get("id")) for h in path if h.get("hop") != "address")


def exposure_rows(findings: list[Finding]) -> list[dict[str, Any]]:
    """One row per (finding, interface, port): reachable rows first, then the blocked ones."""
    rows: list[dict[str, Any]] = []
    for f in findings:
        if f.status is not Status.FAIL or not isinstance(f.evidence, dict):
            continue
        reach = f.evidence.get("reachability")
        if not isinstance(reach, dict):
            continue
        for state in ("reachable", "blocked"):
            for verdict in reach.get(state) or []:
                blocked = verdict.get("blocked_by") or {}
                rows.append({
                    "state": state, "severity": str(f.severity), "check": f.check_id,
                    "group": f.evidence.get("GroupName") or f.resource, "region": f.region,
                    "resource": verdict.get("resource") or verdict.get("interface"),
                    "interface": verdict.get("interface"), "address": verdict.get("address") or "",
                    "ports": f"{verdict.get('protocol')} {verdict.get('port')} ({verdict.get('family')})",
                    "path": _route(verdict.get("path") or []) if state == "reachable"
                    else f"{blocked.get('hop')} {blocked.get('id')}: {blocked.get('detail')}",
                })
    unique = {tuple(r.values()): r for r in rows}
    return sorted(unique.values(), key=lambda r: (r["state"] != "reachable", r["region"], r["resource"],
                                                  r["ports"]))
