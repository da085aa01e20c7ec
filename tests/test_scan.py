"""The scanner: which regions it visits, and how a collector's crash is contained."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from awsaudit.collect import COLLECTORS
from awsaudit.collect._call import Context
from awsaudit.collect.scan import ScanOptions, enabled_regions, scan_account


def test_disabled_opt_in_regions_are_reported_not_scanned(aws_credentials: None) -> None:
    ctx = Context(boto3.Session(region_name="eu-west-1"), "123456789012", "eu-west-1")
    client = ctx.client("ec2")
    with Stubber(client) as stub:
        stub.add_response("describe_regions", {"Regions": [
            {"RegionName": "eu-west-1", "OptInStatus": "opt-in-not-required"},
            {"RegionName": "af-south-1", "OptInStatus": "not-opted-in"},
            {"RegionName": "me-south-1", "OptInStatus": "opted-in"},
            {"RegionName": "us-east-1"},
        ]}, {"AllRegions": True})
        assert enabled_regions(ctx) == (["eu-west-1", "me-south-1", "us-east-1"], ["af-south-1"])


def test_a_crashing_collector_is_recorded_and_the_rest_collected(
    session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: Context) -> Any:
        raise ValueError("unexpected shape")

    monkeypatch.setitem(COLLECTORS, "ec2", COLLECTORS["ec2"].__class__(
        "ec2", "regional", boom, COLLECTORS["ec2"].produces, COLLECTORS["ec2"].actions))
    snap = scan_account(session, ScanOptions(regions=("eu-west-1",), services=("ec2", "cloudtrail")))
    account = next(iter(snap["accounts"].values()))
    region = account["regions"]["eu-west-1"]
    assert region["ec2"] == {"_errors": {"*": "CollectorError: ValueError"}}
    assert "trails" in region["cloudtrail"]
    assert [e["code"] for e in account["errors"]] == ["CollectorError"]
