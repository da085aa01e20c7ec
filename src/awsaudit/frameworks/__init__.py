"""Framework mappings (baseline, CIS ...) as data: one TOML file per framework and version."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def frameworks() -> dict[str, dict[str, Any]]:
    """{framework id: parsed TOML} for every file shipped in this package."""
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found[data["framework"]["id"]] = data
    return found


def control_checks(fw_id: str, control_id: str) -> list[str]:
    """The checks of a control; `same_as = "ID"` borrows them from the framework's `same_checks_as`.

    Older versions of a benchmark (CIS v5.0, v6.0) renumber the same recommendations: their
    files name the equivalent current control instead of repeating its check list.
    """
    data = frameworks()[fw_id]
    control = data["controls"][control_id]
    if "same_as" in control:
        source = data["framework"]["same_checks_as"]
        return control_checks(source, control["same_as"])
    return list(control.get("checks", []))


@cache
def controls_by_check() -> dict[str, dict[str, tuple[str, ...]]]:
    """{check id: {framework id: (control ids...)}}, the reverse of the framework files."""
    result: dict[str, dict[str, list[str]]] = {}
    for fw_id, data in frameworks().items():
        for control_id in data.get("controls", {}):
            for check_id in control_checks(fw_id, control_id):
                result.setdefault(check_id, {}).setdefault(fw_id, []).append(control_id)
    return {cid: {fw: tuple(ids) for fw, ids in fws.items()} for cid, fws in result.items()}


HARDENING = "Hardening beyond"
"""How an `[outside_baseline]` reason in baseline.toml starts for a check that assesses no control
of any framework on purpose: it hardens beyond every framework's wording."""


@cache
def hardening_checks() -> frozenset[str]:
    """Checks that assess no framework control on purpose (see HARDENING); all others assess one."""
    outside: dict[str, str] = frameworks().get("baseline", {}).get("outside_baseline", {})
    return frozenset(c for c, why in outside.items() if why.startswith(HARDENING))
