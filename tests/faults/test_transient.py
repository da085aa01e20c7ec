"""Server errors, dropped connections, answers too slow to wait for, an endpoint that hangs:
bounded by the timeouts, retried, recorded when they outlast the retries; the scan's total time
stays bounded, and nothing it could not read turns PASS."""

from __future__ import annotations

import time

from tests.faults.conftest import Scan, Scanner
from tests.faults.harness import FaultServer, changed, not_unknown, still_unknown

READ_TIMEOUT = 5.0
"""Long enough for moto's slowest answer on a loaded machine (IAM's authorization details with
every managed policy); a slow fault answers after 1.2 x this, a hang never."""


def test_transient_faults_on_a_tenth_of_requests_are_retried_away(
    fault_server: FaultServer, baseline: Scan, scan: Scanner
) -> None:
    """500, 503 and a dropped connection, each on 3% of requests; a read timeout on 6% of
    EC2's (each costs a read timeout of waiting)."""
    fault_server.rules(
        {"kind": "slow", "fraction": 0.06, "services": ["ec2"], "seconds": 1.2 * READ_TIMEOUT},
        {"kind": "error500", "fraction": 0.03}, {"kind": "error503", "fraction": 0.03},
        {"kind": "drop", "fraction": 0.03}, seed=5,
    )
    faulted = scan(max_attempts=8, read_timeout=READ_TIMEOUT, connect_timeout=READ_TIMEOUT)
    stats = fault_server.stats()
    print(f"transient faults {stats['faulted']} on {stats['requests']} requests: {faulted.seconds:.1f} s")
    assert set(stats["faulted"]) == {"error500", "error503", "drop", "slow"}
    assert still_unknown(changed(baseline.keyed, faulted.keyed)) == {}
    assert faulted.failed_calls() == baseline.failed_calls()
    assert faulted.seconds < 90


def test_a_hanging_endpoint_is_bounded_retried_and_recorded(
    fault_server: FaultServer, baseline: Scan, scan: Scanner
) -> None:
    """Every KMS call hangs: each attempt ends at the read timeout, the call is recorded as
    failed after its attempts, the other services are collected as usual."""
    fault_server.rules({"kind": "hang", "services": ["kms"], "seconds": 60})
    attempts = 2
    started = time.perf_counter()
    hung = scan(max_attempts=attempts, read_timeout=READ_TIMEOUT)
    seconds = time.perf_counter() - started
    stats = fault_server.stats()
    kms_errors = [e for e in hung.account["errors"] if e["service"] == "kms"]
    print(f"hanging kms: {stats['faulted']['hang']} requests hung, scan {seconds:.1f} s")
    assert kms_errors and {e["code"] for e in kms_errors} == {"ReadTimeoutError"}
    assert stats["faulted"]["hang"] == attempts * len(kms_errors)  # each call tried, then given up
    diff = changed(baseline.keyed, hung.keyed)
    assert diff and not_unknown(diff) == {}
    assert all("kms" in after[1] for _, after in diff.values() if after is not None), "only KMS is missing"
    # three regions' KMS tasks in parallel, each call attempts x read timeout: not the hang's 60 s
    assert seconds < baseline.seconds + attempts * READ_TIMEOUT * 2 + 15
