"""The demo's RDS instances and EFS file systems, collected for real: both outcomes for each check."""

from __future__ import annotations

import time
from collections import defaultdict

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.storage.databases import (
    efs_file_system_encrypted,
    rds_instance_auto_minor_version_upgrade,
    rds_instance_multi_az,
    rds_instance_not_publicly_accessible,
    rds_instance_storage_encrypted,
)
from awsaudit.collect import efs, rds
from awsaudit.collect._call import Context
from awsaudit.demo import databases as demo
from awsaudit.model import Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
CHECKS = (rds_instance_storage_encrypted, rds_instance_auto_minor_version_upgrade,
          rds_instance_not_publicly_accessible, rds_instance_multi_az, efs_file_system_encrypted)


def test_demo_databases_yield_pass_and_fail(ctx: Context, session: boto3.Session) -> None:
    started = time.monotonic()
    demo.build(session, REGIONS)
    assert time.monotonic() - started < 5

    regions = {r: {"rds": rds.collect(ctx.for_region(r)), "efs": efs.collect(ctx.for_region(r))}
               for r in REGIONS}
    findings = evaluate({"accounts": {ACCOUNT: {"regions": regions}}}, CHECKS)
    assert ctx.errors == []

    outcomes: dict[str, set[Status]] = defaultdict(set)
    named = {}
    for f in findings:
        outcomes[f.check_id].add(f.status)
        named[(f.check_id, f.resource.rsplit(":", 1)[1])] = f
    assert all(outcomes[c.id] == {Status.PASS, Status.FAIL} for c in CHECKS), dict(outcomes)
    legacy = {cid: f.status for (cid, name), f in named.items() if name == "acme-legacy-reports"}
    assert legacy == {c.id: Status.FAIL for c in CHECKS if c.id.startswith("rds_")}
    billing = {cid: f.status for (cid, name), f in named.items() if name == "acme-billing-db"}
    assert billing == {c.id: Status.PASS for c in CHECKS if c.id.startswith("rds_")}
    staging = named[("rds_instance_multi_az", "acme-staging-db")]
    assert staging.status is Status.FAIL
    assert "non-production" in staging.message
