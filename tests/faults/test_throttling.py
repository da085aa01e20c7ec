"""Throttling on a fifth of all requests, in each service's own words: the scan absorbs it."""

from __future__ import annotations

from tests.faults.conftest import Scan, Scanner
from tests.faults.harness import FaultServer, changed, still_unknown

THROTTLED_SHARE = 0.2


def test_a_fifth_of_requests_throttled_gives_the_fault_free_findings(
    fault_server: FaultServer, baseline: Scan, scan: Scanner
) -> None:
    """Throttling, ThrottlingException, RequestLimitExceeded and SlowDown 503, on 20% of requests:
    botocore's standard retries absorb them (8 attempts make eight faults in a row on one call
    unlikely), and the findings, messages included, are those of the fault-free scan."""
    fault_server.rules({"kind": "throttle", "fraction": THROTTLED_SHARE}, seed=14)
    throttled = scan(max_attempts=8)
    stats = fault_server.stats()
    print(f"throttled {stats['faulted']['throttle']} of {stats['requests']} requests, "
          f"{throttled.seconds:.1f} s (fault-free {baseline.seconds:.1f} s)")
    assert stats["faulted"]["throttle"] >= 0.12 * stats["requests"] > 40  # 20% drawn, 4 sd below
    assert {code for code, _ in stats["answers"]} >= {
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown"}
    assert still_unknown(changed(baseline.keyed, throttled.keyed)) == {}
    assert throttled.failed_calls() == baseline.failed_calls(), "no throttle outlasted the retries"
