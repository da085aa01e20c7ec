"""Fixtures: the Report of the hostile account, and every format written from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from awsaudit.report import FORMATS, Report, write_all
from tests.report.hostile import build_report


@pytest.fixture(scope="session")
def report() -> Report:
    return build_report()


@pytest.fixture(scope="session")
def outputs(report: Report, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report")
    return write_all(out, report.snapshot, report.findings, report.info, tuple(FORMATS), report.mutes)
