"""The scan's least-privilege policy is derived from the collectors' declarations: prove it is complete.

The demo exercises every collector against moto; every API operation a collector makes must be
authorized by an action in `awsaudit permissions`, and every one of them must be read-only.
"""

from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient

from awsaudit.collect import COLLECTORS, iam_action, required_actions
from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.demo import REGIONS, build_account, simulated_aws

READ_ONLY = re.compile(r"^(List|Get|Describe|View|GenerateCredentialReport$)")
SCANNER_ACTIONS = frozenset({"sts:GetCallerIdentity", "ec2:DescribeRegions"})
"""Called by the scanner itself (identity, enabled regions), not by a collector."""


def test_every_call_of_a_scan_is_declared_and_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    called: set[tuple[str, str, str]] = set()
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        model = self.meta.service_model
        called.add((model.service_name, model.signing_name, operation_name))
        return original(self, operation_name, api_params)

    with simulated_aws():
        build_account(REGIONS)
        monkeypatch.setattr(BaseClient, "_make_api_call", record)
        scan_account(boto3.Session(region_name=REGIONS[0]), ScanOptions(regions=REGIONS))

    assert len(called) > 20
    declared = set(required_actions())
    undeclared = sorted({iam_action(*c) for c in called} - declared)
    assert undeclared == [], "collectors call operations missing from their ACTIONS"
    assert sorted(op for _, _, op in called if not READ_ONLY.match(op)) == []


def test_each_collector_calls_exactly_what_it_declares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declared but never called is a permission the policy grants for nothing (or a call the demo
    does not exercise); called but undeclared would fail on a least-privilege role."""
    called: set[str] = set()
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        model = self.meta.service_model
        called.add(iam_action(model.service_name, model.signing_name, operation_name))
        return original(self, operation_name, api_params)

    mismatches: dict[str, tuple[list[str], list[str]]] = {}
    with simulated_aws():
        build_account(REGIONS)
        monkeypatch.setattr(BaseClient, "_make_api_call", record)
        for service, collector in COLLECTORS.items():
            called.clear()
            scan_account(boto3.Session(region_name=REGIONS[0]),
                         ScanOptions(regions=REGIONS, services=(service,)))
            own = called - SCANNER_ACTIONS
            declared = set(collector.actions)
            if own != declared:
                mismatches[service] = (sorted(declared - own), sorted(own - declared))
    assert mismatches == {}, "(declared but not called, called but not declared) per collector"
