"""Assumed-role credentials that expire mid-scan: botocore refreshes them through the scan's
CredentialSource; when the refresh is refused, what fails is recorded and nothing read is lost."""

from __future__ import annotations

import pytest
from botocore.credentials import RefreshableCredentials

from awsaudit.collect.task import CredentialSource
from tests.faults.conftest import Scan, Scanner
from tests.faults.harness import HOME, FaultServer, changed, made_up

ROLE = "arn:aws:iam::123456789012:role/awsaudit-audit"
LIFETIME = 3.0
"""Seconds each AssumeRole answer is valid; the server answers ExpiredToken after that."""


@pytest.fixture(autouse=True)
def _refresh_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore refreshes 15 (advisory) and 10 (mandatory) minutes before expiry; with credentials
    that live seconds, the same logic runs with windows of seconds."""
    monkeypatch.setattr(RefreshableCredentials, "_advisory_refresh_timeout", 2.0)
    monkeypatch.setattr(RefreshableCredentials, "_mandatory_refresh_timeout", 1.0)


def source() -> CredentialSource:
    return CredentialSource.assume_role(ROLE, region=HOME, session_name="faults")


def test_expiring_role_credentials_are_refreshed(fault_server: FaultServer, baseline: Scan,
                                                 scan: Scanner) -> None:
    fault_server.credentials(LIFETIME)
    refreshed = scan(source())
    stats = fault_server.stats()
    print(f"AssumeRole {stats['assume_role']} times in {refreshed.seconds:.1f} s; "
          f"{stats['expired']} requests with an expired key")
    assert stats["assume_role"] >= 2, "the scan outlived its first credentials"
    assert stats["expired"] == 0
    assert changed(baseline.keyed, refreshed.keyed) == {}


def test_a_refused_refresh_is_recorded_and_keeps_what_was_read(
    fault_server: FaultServer, baseline: Scan, scan: Scanner
) -> None:
    fault_server.credentials(LIFETIME, deny_after=1)
    stranded = scan(source(), max_attempts=2)
    stats = fault_server.stats()
    diff = changed(baseline.keyed, stranded.keyed)
    print(f"refresh refused: {len(diff)} findings changed of {len(baseline.keyed)}; "
          f"errors {sorted({e['code'] for e in stranded.account['errors']})}")
    assert stats["assume_role"] >= 2
    assert made_up(diff) == {}, "what could not be read is UNKNOWN, never a verdict"
    assert len(diff) < len(baseline.keyed), "what was read before the expiry is kept"
