"""The demo's account structure, collected for real, gives Acme's realistic outcome for each
account check (each runs once per account; here, on the management account the demo scans first).
"""

from __future__ import annotations

import time
from typing import Any

import boto3

from awsaudit.checks import evaluate, load_all
from awsaudit.collect import account, budgets, organizations, rds
from awsaudit.collect._call import Context
from awsaudit.demo import account as demo
from awsaudit.demo import databases
from awsaudit.model import Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
EXPECTED = {
    "organizations_multi_account_organization": Status.PASS,  # 4 accounts, run from this one
    "organizations_management_account_no_workloads": Status.FAIL,  # Acme's databases live here
    "budgets_budget_with_notification": Status.PASS,  # finance is alerted at 80%
    "organizations_root_credentials_centralized": Status.FAIL,  # never enabled
    "organizations_guardrails_on_every_account": Status.FAIL,  # the SCP misses the Security OU
    "organizations_ou_structure": Status.MANUAL,  # Workloads/Prod, Workloads/Staging, Security
    "organizations_policy_management_delegated": Status.FAIL,  # no delegation policy
    "organizations_integrated_services_delegated": Status.FAIL,  # Access Analyzer not delegated
    "account_contact_details_current": Status.MANUAL,  # the auditor confirms them with Acme
    "account_security_contact_registered": Status.FAIL,  # billing and operations only
}


def test_demo_account_structure(session: boto3.Session) -> None:
    session.client("sts").get_caller_identity()
    started = time.monotonic()
    demo.build(session, REGIONS)
    assert time.monotonic() - started < 3
    databases.build(session, REGIONS)  # the workloads Acme runs in its management account

    scanner = boto3.Session(region_name=REGIONS[0])
    demo.simulate(scanner)
    ctx = Context(scanner, ACCOUNT, REGIONS[0])
    services = {"organizations": organizations.collect(ctx), "budgets": budgets.collect(ctx),
                "account": account.collect(ctx)}
    regions = {r: {"rds": rds.collect(ctx.for_region(r))} for r in REGIONS}
    assert ctx.errors == []
    snapshot = {"accounts": {ACCOUNT: {"account_id": ACCOUNT, "global": services, "regions": regions}}}

    checks = [c for c in load_all().values() if c.id in EXPECTED]
    all_findings = evaluate(snapshot, checks)
    findings: dict[str, Any] = {}
    for finding in all_findings:  # the account-wide finding comes before the per-offender ones
        findings.setdefault(finding.check_id, finding)

    assert {cid: f.status for cid, f in findings.items()} == EXPECTED
    assert "acme-security" in findings["organizations_guardrails_on_every_account"].message
    assert "access-analyzer" in findings["organizations_integrated_services_delegated"].message
    workloads = findings["organizations_management_account_no_workloads"].evidence
    assert "eu-west-1: acme-billing-db" in workloads["RDS DB instances"]["items"]
    assert any(f.check_id == "organizations_management_account_no_workloads" and f.resource.endswith(
        ":db:acme-billing-db") and f.region == "eu-west-1" for f in all_findings)
    tree = findings["organizations_ou_structure"].evidence["tree"]
    assert tree["Root/Workloads/Prod"] == [f"acme-prod ({_id(services, 'acme-prod')})"]
    assert findings["account_contact_details_current"].evidence["ContactInformation"]["City"] == "Dublin"


def _id(services: dict[str, dict[str, list[dict[str, str]]]], name: str) -> str:
    return next(a["Id"] for a in services["organizations"]["accounts"] if a["Name"] == name)
