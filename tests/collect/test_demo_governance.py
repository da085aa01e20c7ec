"""The demo's Config, KMS, Security Hub and Access Analyzer setup, collected for real: both outcomes."""

from __future__ import annotations

import time
from collections import defaultdict

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.iam.accessanalyzer import accessanalyzer_enabled
from awsaudit.checks.logging.config import config_global_resources_recorded, config_recorder_enabled
from awsaudit.checks.logging.kms import kms_cmk_rotation_enabled
from awsaudit.checks.monitoring.securityhub import securityhub_enabled
from awsaudit.collect import accessanalyzer, config, kms, securityhub
from awsaudit.collect._call import Context
from awsaudit.demo import governance as demo
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
HOME = REGIONS[0]
CHECKS = (config_recorder_enabled, config_global_resources_recorded, kms_cmk_rotation_enabled,
          securityhub_enabled, accessanalyzer_enabled)


def collect(ctx: Context) -> Json:
    regions = {r: {m.__name__.rsplit(".", 1)[1]: m.collect(ctx.for_region(r))
                   for m in (config, kms, securityhub, accessanalyzer)} for r in REGIONS}
    return {"accounts": {ACCOUNT: {"regions": regions}}}


def test_demo_governance_yields_pass_and_fail(ctx: Context, session: boto3.Session) -> None:
    started = time.monotonic()
    demo.build(session, REGIONS)
    assert time.monotonic() - started < 5

    # moto lacks Access Analyzer: without the simulation, every region is UNKNOWN with the reason.
    unsimulated = evaluate(collect(ctx), [accessanalyzer_enabled])
    assert {(f.status, f.message) for f in unsimulated} == {
        (Status.UNKNOWN, "analyzers not collected: 404")}

    demo.simulate(session)  # before the clients are made, as the demo's scan does
    scan = Context(session, ACCOUNT, HOME)
    snapshot = collect(scan)
    findings = evaluate(snapshot, CHECKS)
    assert scan.errors == []

    outcomes: dict[str, set[Status]] = defaultdict(set)
    by_region = {}
    for f in findings:
        outcomes[f.check_id].add(f.status)
        by_region[(f.check_id, f.region)] = f.status
    for check in CHECKS:
        if check is not config_global_resources_recorded:
            assert outcomes[check.id] == {Status.PASS, Status.FAIL}, check.id
    # The account-level outcome is the realistic one: the home region records the IAM types.
    assert outcomes["config_global_resources_recorded"] == {Status.PASS}
    # Home region only: Virginia's legacy recorder is partial and stopped, Frankfurt has none.
    for per_region in ("config_recorder_enabled", "securityhub_enabled", "accessanalyzer_enabled"):
        assert [by_region[(per_region, r)] for r in REGIONS] == [Status.PASS, Status.FAIL, Status.FAIL]

    keys = snapshot["accounts"][ACCOUNT]["regions"][HOME]["kms"]["keys"]
    by_alias = {key["Aliases"][0]: kms_cmk_rotation_enabled.evaluate(key) for key in keys}
    assert by_alias["alias/acme-app-data"].status is Status.PASS
    assert by_alias["alias/acme-payments-legacy"].status is Status.FAIL
    assert by_alias["alias/acme-jwt-signing"].message.startswith("Not applicable: RSA_2048 key")
