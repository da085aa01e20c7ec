"""The demo's network, collected for real, gives both outcomes for each network check."""

from __future__ import annotations

import time

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks._registry import REGISTRY
from awsaudit.checks.network import (
    ec2_default_sg_restricts_all,
    ec2_sg_no_public_database_ports,
    ec2_sg_no_public_rdp,
    ec2_sg_no_public_ssh,
    ec2_sg_no_public_vnc,
)
from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.demo import network as demo
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
CHECKS = (ec2_sg_no_public_ssh, ec2_sg_no_public_rdp, ec2_sg_no_public_vnc, ec2_sg_no_public_database_ports,
          ec2_default_sg_restricts_all)

# (check, group name) -> expected status, for the groups of the production VPC.
EXPECTED = {
    (ec2_sg_no_public_ssh, "acme-bastion"): Status.FAIL,
    (ec2_sg_no_public_ssh, "acme-bastion-restricted"): Status.PASS,
    (ec2_sg_no_public_ssh, "acme-prod-web"): Status.PASS,
    (ec2_sg_no_public_database_ports, "acme-billing-db"): Status.FAIL,
    (ec2_sg_no_public_database_ports, "acme-app-db"): Status.PASS,
    (ec2_sg_no_public_database_ports, "acme-prod-web"): Status.PASS,
    (ec2_sg_no_public_vnc, "acme-legacy-vnc"): Status.FAIL,
    (ec2_sg_no_public_vnc, "acme-bastion"): Status.PASS,
    (ec2_sg_no_public_rdp, "acme-windows-jump"): Status.FAIL,
    (ec2_sg_no_public_rdp, "acme-bastion"): Status.PASS,
    (ec2_default_sg_restricts_all, "acme-prod-web"): Status.PASS,
}


def _collect(ctx: Context) -> Json:
    regions = {r: {"ec2": ec2.collect(ctx.for_region(r))} for r in REGIONS}
    assert ctx.errors == []
    return {"partition": "aws", "accounts": {ACCOUNT: {"global": {}, "regions": regions}}}


def test_demo_network_yields_pass_and_fail(ctx: Context, session: boto3.Session) -> None:
    started = time.monotonic()
    demo.build(session, REGIONS)
    assert time.monotonic() - started < 5

    snapshot = _collect(ctx)
    findings = evaluate(snapshot, CHECKS)
    assert {c.id for c in REGISTRY.values() if c.area == "network"} == {c.id for c in CHECKS}
    for check in CHECKS:
        assert {f.status for f in findings if f.check_id == check.id} == {Status.PASS, Status.FAIL}, check.id

    names = {g["_arn"]: (region, g["GroupName"], g["VpcId"])
             for region, data in snapshot["accounts"][ACCOUNT]["regions"].items()
             for g in data["ec2"]["security_groups"]}
    status = {(f.check_id, names[f.resource][1]): f.status
              for f in findings if names[f.resource][0] == REGIONS[0]}
    for (check, group), expected in EXPECTED.items():
        assert status[(check.id, group)] is expected, (check.id, group)

    # Default groups: the production VPC's (a rule added) and untouched ones fail; Frankfurt's passes.
    defaults = {(names[f.resource][0], names[f.resource][2]): f for f in findings
                if f.check_id == ec2_default_sg_restricts_all.id and names[f.resource][1] == "default"}
    assert len(defaults) == 4
    by_region = {region: {f.status for (r, _), f in defaults.items() if r == region} for region in REGIONS}
    assert by_region == {REGIONS[0]: {Status.FAIL}, REGIONS[1]: {Status.FAIL}, REGIONS[2]: {Status.PASS}}
    [prod_default] = [f for f in defaults.values() if f.evidence["IpPermissions"]]
    assert prod_default.evidence["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == demo.VPC_CIDR


def test_demo_network_instances_and_flow_logs(ctx: Context, session: boto3.Session) -> None:
    demo.build(session, REGIONS)
    home = _collect(ctx)["accounts"][ACCOUNT]["regions"][REGIONS[0]]["ec2"]

    [prod_vpc] = [v for v in home["vpcs"] if v["CidrBlock"] == demo.VPC_CIDR]
    assert [f["ResourceId"] for f in home["flow_logs"]] == [prod_vpc["VpcId"]]
    instances = {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i for i in home["instances"]}
    assert set(instances) == {"acme-prod-web-1", "acme-bastion-1"}
    web, bastion = instances["acme-prod-web-1"], instances["acme-bastion-1"]
    assert web["MetadataOptions"]["HttpTokens"] == "required"
    assert web["IamInstanceProfile"]["Arn"].endswith(":instance-profile/acme-prod-web-instance")
    assert bastion["MetadataOptions"]["HttpTokens"] == "optional"
    assert bastion["IamInstanceProfile"] is None
    assert [g["GroupName"] for g in bastion["SecurityGroups"]] == ["acme-bastion"]
