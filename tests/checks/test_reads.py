"""Meta-test: every collection a check reads, through the account view or its over=, is one a
collector declares it produces; account-scoped checks included."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from awsaudit.checks import evaluate, load_all
from awsaudit.checks._view import AccountView, Location
from awsaudit.collect import COLLECTORS

CHECKS_DIR = Path(__file__).parents[2] / "src" / "awsaudit" / "checks"
LITERAL_PATH = re.compile(
    r"""\.(?:items|all|each|collection|locate|locations)\(\s*f?["']([a-z0-9]+\.[A-Za-z_]+)["']""")


def _undeclared(paths: set[str]) -> list[str]:
    def produced(path: str) -> bool:
        service, key = path.split(".", 1)
        return service in COLLECTORS and key in COLLECTORS[service].produces

    return sorted(p for p in paths if not produced(p))


def test_paths_named_in_check_modules_are_produced() -> None:
    named = {m.group(1) for path in CHECKS_DIR.rglob("*.py") for m in LITERAL_PATH.finditer(path.read_text())}
    assert len(named) >= 8
    assert _undeclared(named) == []


def test_paths_read_while_auditing_the_demo_are_produced(
    demo_snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    read: set[str] = set()
    services: set[str] = set()
    locate, locations, service = AccountView.locate, AccountView.locations, AccountView.service

    def spy_locate(self: AccountView, path: str, region: str | None = None) -> Location:
        read.add(path)
        return locate(self, path, region)

    def spy_locations(self: AccountView, path: str) -> list[Location]:
        read.add(path)
        return locations(self, path)

    def spy_service(self: AccountView, name: str, region: str | None = None) -> Any:
        services.add(name)
        return service(self, name, region)

    monkeypatch.setattr(AccountView, "locate", spy_locate)
    monkeypatch.setattr(AccountView, "locations", spy_locations)
    monkeypatch.setattr(AccountView, "service", spy_service)
    evaluate(demo_snapshot, list(load_all().values()))
    assert len(read) > 20, "the spy saw too little: is the engine still reading through the view?"
    assert _undeclared(read) == []
    assert sorted(services - set(COLLECTORS)) == []
