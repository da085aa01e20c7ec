"""The fault suite's fixtures: one fault server holding the demo account for the whole suite, a
fault-free baseline scan of it, and a scanner pointed at the server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff

from awsaudit.checks import evaluate
from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.collect.task import CredentialSource, clear_process_cache
from awsaudit.demo import REGIONS
from awsaudit.model import Finding, Json
from tests.faults.harness import HOME, FaultServer, Keyed, environment, keyed


@dataclass
class Scan:
    snapshot: Json
    findings: list[Finding]
    seconds: float
    stats: Json
    """The fault server's counts for this scan (requests, faults, every operation seen)."""

    @property
    def account(self) -> Json:
        return dict(next(iter(self.snapshot["accounts"].values())))

    @property
    def keyed(self) -> Keyed:
        return keyed(self.findings)

    def error_codes(self) -> set[tuple[str, str, str]]:
        return {(e["service"], e["operation"], e["code"]) for e in self.account["errors"]}

    def failed_calls(self) -> set[tuple[str, str, str]]:
        """(service, region, operation) of every recorded error, whatever its last code."""
        return {(e["service"], e["region"], e["operation"]) for e in self.account["errors"]}


Scanner = Callable[..., Scan]

BACKOFF_SCALE = 0.05
"""botocore waits rand(0, 1) x 2^attempt seconds after a throttle; scaled to 1/20 here, so that a
fifth of all requests throttled costs seconds, not a minute. Which errors are retried, how often
and when a call gives up stay botocore's own decisions: only the sleeps are shorter."""


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExponentialBackoff, "_DEFAULT_BACKOFF_CONFIG",
                        {"throttling_base_scale": BACKOFF_SCALE, "non_throttling_base_scale": BACKOFF_SCALE})


@pytest.fixture(scope="package")
def fault_server() -> Iterator[FaultServer]:
    """The demo account (three regions) in moto, behind the fault layer, in its own process."""
    server = FaultServer(demo=REGIONS)
    try:
        yield server
    finally:
        server.stop()


def run_scan(server: FaultServer, source: CredentialSource | None = None, **options: Any) -> Scan:
    """One scan of the server's account, with a fresh client cache (no retry quota carried over)."""
    options.setdefault("regions", REGIONS)
    with environment(server.env()):
        clear_process_cache()
        started = time.perf_counter()
        try:
            snap = scan_account(source or CredentialSource.default_chain(HOME), ScanOptions(**options))
        finally:
            clear_process_cache()
        seconds = time.perf_counter() - started
    return Scan(snap, evaluate(snap), seconds, server.stats())


@pytest.fixture
def scan(fault_server: FaultServer) -> Iterator[Scanner]:
    """scan(**ScanOptions fields): a scan of the fault server's account; rules are cleared after."""
    yield lambda source=None, **options: run_scan(fault_server, source, **options)
    fault_server.clear()
    fault_server.credentials(None)


@pytest.fixture(scope="package")
def baseline(fault_server: FaultServer) -> Scan:
    """The fault-free scan every faulted one is compared with."""
    fault_server.clear()
    return run_scan(fault_server)
