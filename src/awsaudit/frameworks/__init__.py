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


@cache
def controls_by_check() -> dict[str, dict[str, tuple[str, ...]]]:
    """{check id: {framework id: (control ids...)}}, the reverse of the framework files."""
    result: dict[str, dict[str, list[str]]] = {}
    for fw_id, data in frameworks().items():
        for control_id, control in data.get("controls", {}).items():
            for check_id in control.get("checks", []):
                result.setdefault(check_id, {}).setdefault(fw_id, []).append(control_id)
    return {cid: {fw: tuple(ids) for fw, ids in fws.items()} for cid, fws in result.items()}
