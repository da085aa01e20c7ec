"""The demo snapshot, collected once per session (moto takes ~20 s on a small machine)."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.demo import collect_demo


@pytest.fixture(scope="session")
def demo_snapshot() -> dict[str, Any]:
    return collect_demo()
