"""AccessDenied on each operation `awsaudit permissions` lists, in turn, not a sample.

Each denial scan runs only the collector that owns the operation (its scan with nothing denied is
the baseline): every finding that changed must be UNKNOWN, naming the denial; none turns PASS or
FAIL; the denied call is recorded in the snapshot's errors.
"""

from __future__ import annotations

import pytest

from awsaudit.collect import COLLECTORS, required_actions
from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.collect.task import CredentialSource
from awsaudit.errors import InputError
from tests.faults.conftest import Scan, Scanner
from tests.faults.harness import HOME, FaultServer, by_resource, changed, environment, not_unknown, reworded

DENY_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
SCANNER_ACTIONS = frozenset({"sts:GetCallerIdentity", "ec2:DescribeRegions"})
"""Called by the scanner itself, not by a collector: tested on their own below."""
AMBIGUOUS = {
    "macie2:GetMacieSession": "AWS answers AccessDeniedException when Macie is off: stored as 'not "
    "enabled', and the check's message names both causes (collect/macie2.py)",
}
"""Denials that by design cannot be told from "not configured": the test asserts exactly these."""


def owner(action: str) -> str:
    (service,) = [s for s, c in COLLECTORS.items() if action in c.actions]
    return service


def test_each_collected_operation_denied_in_turn(fault_server: FaultServer, scan: Scanner) -> None:
    actions = [a for a in required_actions() if a not in SCANNER_ACTIONS]
    baselines: dict[str, Scan] = {}
    problems: dict[str, object] = {}
    unknown_per_action: dict[str, int] = {}
    rewords = 0
    for action in actions:
        service = owner(action)
        if service not in baselines:
            fault_server.clear()
            baselines[service] = scan(services=(service,))
        fault_server.rules({"kind": "deny", "actions": [action]})
        denied = scan(services=(service,), max_attempts=2)
        stats = fault_server.stats()
        operations = {op for _, op, act in stats["seen"] if act == action}
        diff = changed(by_resource(baselines[service].findings), by_resource(denied.findings))
        recorded = [e for e in denied.account["errors"]
                    if e["operation"] in operations and e["code"] in DENY_CODES]
        same_status = reworded(diff)
        wrong_reason = {k: v for k, v in diff.items() if k not in same_status and v[1] is not None
                        and (v[0] is None or v[0][0] != "UNKNOWN")
                        and not any(code in v[1][1] for code in DENY_CODES)}
        if not stats["faulted"].get("deny"):
            problems[action] = "never called by a scan of the demo account"
        elif not recorded:
            problems[action] = "denied, but not recorded in the snapshot's errors"
        elif not_unknown(diff) or wrong_reason:
            problems[action] = {"not UNKNOWN": not_unknown(diff), "reason lacks the denial": wrong_reason}
        unknown_per_action[action] = len(diff) - len(same_status)
        rewords += len(same_status)
    print(f"operations denied in turn: {len(actions)} of {len(required_actions())} listed "
          f"(+ {len(SCANNER_ACTIONS)} scanner calls below); {len(baselines)} collectors; "
          f"findings turned UNKNOWN: {sum(unknown_per_action.values())}; same status, other words: "
          f"{rewords}; operations whose denial turned no finding UNKNOWN: "
          f"{sorted(a for a, n in unknown_per_action.items() if n == 0)}")
    assert len(actions) + len(SCANNER_ACTIONS) == len(required_actions())
    assert problems == {a: "denied, but not recorded in the snapshot's errors" for a in AMBIGUOUS}


def test_denied_identity_is_one_readable_error(fault_server: FaultServer, scan: Scanner) -> None:
    fault_server.rules({"kind": "deny", "actions": ["sts:GetCallerIdentity"]})
    with pytest.raises(InputError, match="AWS rejected the credentials: AccessDenied"):
        scan()


def test_denied_region_list(fault_server: FaultServer, baseline: Scan, scan: Scanner) -> None:
    """Without --region the scan cannot know the regions: one line. With --region it goes on,
    unvalidated, and finds what the fault-free scan finds."""
    fault_server.rules({"kind": "deny", "actions": ["ec2:DescribeRegions"]})
    with environment(fault_server.env()), pytest.raises(InputError, match="ec2:DescribeRegions"):
        scan_account(CredentialSource.default_chain(HOME), ScanOptions(services=("sns",)))
    explicit = scan()
    assert fault_server.stats()["faulted"]["deny"] == 2  # once without --region, once with
    assert changed(baseline.keyed, explicit.keyed) == {}
