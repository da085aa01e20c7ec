"""AccessDenied on each operation `awsaudit permissions` lists, in turn, not a sample.

Each denial scan runs only the collector that owns the operation, and its data replaces that
collector's part of the fault-free full scan (see spliced), so every check sees the denial,
cross-service ones included. Every finding whose status changed must be UNKNOWN naming the
denial; none turns PASS or FAIL; the denied call is recorded in the snapshot's errors.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from awsaudit.checks import evaluate
from awsaudit.collect import COLLECTORS, required_actions
from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.collect.task import CredentialSource
from awsaudit.errors import InputError
from awsaudit.model import Json
from tests.faults.conftest import Scan, Scanner
from tests.faults.harness import (
    HOME,
    KNOWN_DEFECTS,
    FaultServer,
    by_resource,
    changed,
    environment,
    not_unknown,
    reworded,
)

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


def spliced(full: Scan, parts: dict[str, tuple[Scan, Scan]]) -> Json:
    """The full scan with each named collector's part replaced by its denied scan's: what a whole
    scan with those operations denied collects (collectors are independent tasks, merged by the
    scanner), at the cost of one collector each. parts: {service: (alone, denied)}."""
    account = full.account
    regions = {r: dict(data) for r, data in account["regions"].items()}
    glob = dict(account["global"])
    errors = list(account["errors"])
    for service, (alone, denied) in parts.items():
        if COLLECTORS[service].scope == "global":
            glob[service] = denied.account["global"][service]
        else:
            for region, data in regions.items():
                data[service] = denied.account["regions"][region][service]
        own = Counter(json.dumps(e, sort_keys=True) for e in alone.account["errors"])
        errors = [e for e in errors if not own[json.dumps(e, sort_keys=True)]] + denied.account["errors"]
    merged = {**account, "global": glob, "regions": regions, "errors": errors}
    return {**full.snapshot, "accounts": {account["account_id"]: merged}}


def check_diff(diff: dict[str, Any]) -> dict[str, Any]:
    """What is wrong in a denial's diff: a status made up, or an UNKNOWN not naming the denial."""
    same_status = reworded(diff)
    wrong_reason = {k: v for k, v in diff.items() if k not in same_status and v[1] is not None
                    and (v[0] is None or v[0][0] != "UNKNOWN")
                    and not any(code in v[1][1] for code in DENY_CODES)}
    return {"not UNKNOWN": not_unknown(diff), "reason lacks the denial": wrong_reason} if (
        not_unknown(diff) or wrong_reason) else {}


def test_each_collected_operation_denied_in_turn(
    fault_server: FaultServer, baseline: Scan, scan: Scanner
) -> None:
    """Attribution per operation on its collector's own scan; then every check, cross-service ones
    included, on the full scan with one denied operation of each collector spliced in per round."""
    actions = [a for a in required_actions() if a not in SCANNER_ACTIONS]
    alone: dict[str, Scan] = {}
    denied: dict[str, Scan] = {}
    problems: dict[str, object] = {}
    unknown_per_action: dict[str, int] = {}
    rewords = 0
    for action in actions:
        service = owner(action)
        if service not in alone:
            fault_server.clear()
            alone[service] = scan(services=(service,))
        fault_server.rules({"kind": "deny", "actions": [action]})
        denied[action] = scan(services=(service,), max_attempts=2)
        stats = fault_server.stats()
        operations = {op for _, op, act in stats["seen"] if act == action}
        diff = changed(by_resource(alone[service].findings), by_resource(denied[action].findings))
        recorded = [e for e in denied[action].account["errors"]
                    if e["operation"] in operations and e["code"] in DENY_CODES]
        if not stats["faulted"].get("deny"):
            problems[action] = "never called by a scan of the demo account"
        elif not recorded:
            problems[action] = "denied, but not recorded in the snapshot's errors"
        elif wrong := check_diff(diff):
            problems[action] = wrong
        same_status = len(reworded(diff))
        unknown_per_action[action] = len(diff) - same_status
        rewords += same_status
    full = by_resource(baseline.findings)
    nothing_denied = spliced(baseline, {s: (a, a) for s, a in alone.items()})
    assert changed(full, by_resource(evaluate(nothing_denied))) == {}, "the splice itself changes nothing"
    per_service = {s: [a for a in actions if owner(a) == s] for s in alone}
    rounds = max(len(v) for v in per_service.values())
    spliced_unknown = 0
    defects: set[str] = set()
    for k in range(rounds):
        parts = {s: (alone[s], denied[ops[k]]) for s, ops in per_service.items()
                 if k < len(ops) and ops[k] not in AMBIGUOUS}
        diff = changed(full, by_resource(evaluate(spliced(baseline, parts))))
        spliced_unknown += len(diff) - len(reworded(diff))
        made_up = not_unknown(diff)  # the attribution was checked above, per collector
        defects.update(after[2] for _, after in made_up.values() if after and after[2] in KNOWN_DEFECTS)
        made_up = {key: v for key, v in made_up.items() if not (v[1] and v[1][2] in KNOWN_DEFECTS)}
        if made_up:
            problems[f"round {k}: {sorted(per_service[s][k] for s in parts)}"] = made_up
    print(f"operations denied in turn: {len(actions)} of {len(required_actions())} listed "
          f"(+ {len(SCANNER_ACTIONS)} scanner calls below); {len(alone)} collectors; findings turned "
          f"UNKNOWN on the collector's own scan: {sum(unknown_per_action.values())}, same status in "
          f"other words: {rewords}; on the full scan, {rounds} rounds: {spliced_unknown}; operations "
          f"whose denial turned no finding of their collector UNKNOWN: "
          f"{sorted(a for a, n in unknown_per_action.items() if n == 0)}")
    assert len(actions) + len(SCANNER_ACTIONS) == len(required_actions())
    assert problems == dict.fromkeys(AMBIGUOUS, "denied, but not recorded in the snapshot's errors")
    assert defects == set(KNOWN_DEFECTS)


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
