"""Fixtures: the ScanResult of the hostile account, and every format written from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsaudit.report import FORMATS, ScanResult, write_all
from tests.report.hostile import build_report, hostile_snapshot


@pytest.fixture(scope="session")
def report() -> ScanResult:
    return build_report()


@pytest.fixture(scope="session")
def outputs(report: ScanResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report")
    return write_all(out, report, tuple(FORMATS), snapshot=hostile_snapshot())
