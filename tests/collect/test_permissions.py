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

from awsaudit.collect import iam_action, required_actions
from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.demo import REGIONS, build_account, simulated_aws

READ_ONLY = re.compile(r"^(List|Get|Describe|View|GenerateCredentialReport$)")


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
