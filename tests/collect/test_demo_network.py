"""The demo's network, collected for real, gives both outcomes for each network check."""

from __future__ import annotations

import time

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.logging.access_logs import vpc_flow_logs_enabled
from awsaudit.checks.network.default_deny import (
    vpc_default_deny,
)
from awsaudit.checks.network.security_groups import (
    ec2_default_sg_restricts_all,
    ec2_sg_admin_ports_company_only,
    ec2_sg_no_public_all_traffic,
    ec2_sg_no_public_cifs,
    ec2_sg_no_public_database_ports,
    ec2_sg_no_public_rdp,
    ec2_sg_no_public_ssh,
    ec2_sg_no_public_vnc,
)
from awsaudit.checks.network.vpc import (
    ec2_instance_imdsv2_required,
    ec2_nacl_no_public_admin_ports,
    vpc_peering_routes_least_access,
    vpc_s3_endpoint_used,
)
from awsaudit.checks.storage.ebs import ec2_ebs_default_encryption
from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.demo import network as demo
from awsaudit.model import Finding, Json, Severity, Status
from awsaudit.settings import Settings
from tests.conftest import ACCOUNT

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
GROUP_CHECKS = (ec2_sg_no_public_ssh, ec2_sg_no_public_rdp, ec2_sg_no_public_vnc,
                ec2_sg_no_public_database_ports, ec2_default_sg_restricts_all, ec2_sg_no_public_cifs,
                ec2_sg_no_public_all_traffic, ec2_sg_admin_ports_company_only)
CHECKS = (*GROUP_CHECKS, ec2_nacl_no_public_admin_ports, vpc_peering_routes_least_access,
          vpc_s3_endpoint_used, ec2_instance_imdsv2_required, ec2_ebs_default_encryption,
          vpc_flow_logs_enabled, vpc_default_deny)

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
    (ec2_sg_no_public_cifs, "acme-windows-jump"): Status.FAIL,
    (ec2_sg_no_public_cifs, "acme-prod-web"): Status.PASS,
    (ec2_sg_no_public_all_traffic, "acme-prod-web"): Status.PASS,
    (ec2_sg_no_public_all_traffic, "acme-bastion-restricted"): Status.PASS,
    (ec2_sg_no_public_all_traffic, "acme-billing-db"): Status.FAIL,
    (ec2_sg_admin_ports_company_only, "acme-bastion"): Status.FAIL,
    (ec2_sg_admin_ports_company_only, "acme-bastion-restricted"): Status.MANUAL,  # no company ranges yet
    (ec2_sg_admin_ports_company_only, "acme-prod-web"): Status.PASS,
}


def _collect(ctx: Context) -> Json:
    regions = {r: {"ec2": ec2.collect(ctx.for_region(r))} for r in REGIONS}
    assert ctx.errors == []
    return {"partition": "aws", "accounts": {ACCOUNT: {"global": {}, "regions": regions}}}


def _names(snapshot: Json) -> dict[str, str]:
    """ARN -> Name tag (or group name) of every collected EC2 resource."""
    names = {}
    for data in snapshot["accounts"][ACCOUNT]["regions"].values():
        for collection in data["ec2"].values():
            for item in collection if isinstance(collection, list) else [collection]:
                tags = {t["Key"]: t["Value"] for t in item.get("Tags") or []}
                names[item["_arn"]] = tags.get("Name") or item.get("GroupName") or item["_arn"]
    return names


def _by_name(findings: list[Finding], names: dict[str, str], check: object) -> dict[str, Status]:
    return {names[f.resource]: f.status for f in findings if f.check_id == getattr(check, "id", "")}


def test_demo_network_yields_pass_and_fail(ctx: Context, session: boto3.Session) -> None:
    started = time.monotonic()
    demo.build(session, REGIONS)
    assert time.monotonic() - started < 5

    snapshot = _collect(ctx)
    findings = evaluate(snapshot, CHECKS)
    for check in CHECKS:
        statuses = {f.status for f in findings if f.check_id == check.id}
        assert {Status.PASS, Status.FAIL} <= statuses, check.id
        assert statuses <= {Status.PASS, Status.FAIL, Status.MANUAL}, check.id

    home = [f for f in findings if f.region == REGIONS[0]]
    home_ec2 = snapshot["accounts"][ACCOUNT]["regions"][REGIONS[0]]["ec2"]
    groups = {g["_arn"]: g["GroupName"] for g in home_ec2["security_groups"]}
    status = {(f.check_id, groups[f.resource]): f.status for f in home if f.resource in groups}
    for (check, group), expected in EXPECTED.items():
        assert status[(check.id, group)] is expected, (check.id, group)

    names = _names(snapshot)
    assert _by_name(home, names, ec2_nacl_no_public_admin_ports)["acme-prod-private"] is Status.PASS
    assert _by_name(home, names, ec2_nacl_no_public_admin_ports)["acme-prod-public"] is Status.FAIL
    assert _by_name(home, names, vpc_peering_routes_least_access) == {
        "acme-prod-to-shared": Status.PASS, "acme-staging-to-prod": Status.FAIL}
    endpoints = _by_name(home, names, vpc_s3_endpoint_used)
    assert (endpoints["acme-prod"], endpoints["acme-staging"]) == (Status.PASS, Status.FAIL)
    assert _by_name(home, names, ec2_instance_imdsv2_required) == {
        "acme-prod-web-1": Status.PASS, "acme-bastion-1": Status.FAIL, "acme-staging-app-1": Status.PASS,
        "acme-billing-db-1": Status.PASS}
    deny = _by_name(home, names, vpc_default_deny)
    assert (deny["acme-prod"], deny["acme-staging"]) == (Status.FAIL, Status.PASS)
    [prod_deny] = [f for f in home
                   if f.check_id == vpc_default_deny.id and names.get(f.resource) == "acme-prod"]
    # The bastion's SSH, not the web tier's 80/443, nor the billing MySQL behind the private subnet.
    assert [r["ports"] for r in prod_deny.evidence["reachable"]] == ["tcp 22"]
    flow = _by_name(home, names, vpc_flow_logs_enabled)
    assert (flow["acme-prod"], flow["acme-staging"]) == (Status.PASS, Status.FAIL)
    ebs = {f.region: f.status for f in findings if f.check_id == ec2_ebs_default_encryption.id}
    assert ebs == {REGIONS[0]: Status.PASS, REGIONS[1]: Status.FAIL, REGIONS[2]: Status.FAIL}

    # Default groups: production's (a rule added) and untouched ones fail; Frankfurt's passes.
    defaults = [f for f in findings if f.check_id == ec2_default_sg_restricts_all.id
                and f.evidence.get("GroupName") == "default"]
    by_region = {region: {f.status for f in defaults if f.region == region} for region in REGIONS}
    assert by_region == {REGIONS[0]: {Status.FAIL}, REGIONS[1]: {Status.FAIL}, REGIONS[2]: {Status.PASS}}
    [prod_default] = [f for f in defaults if f.evidence["IpPermissions"]
                      and f.evidence["IpPermissions"][0].get("IpRanges")]
    assert prod_default.evidence["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == demo.VPC_CIDR

    # With Acme's office range configured, the office-only bastion passes NET-5.
    office = evaluate(snapshot, [ec2_sg_admin_ports_company_only],
                      settings=Settings(company_cidrs=(demo.OFFICE_CIDR,)))
    net5 = {groups[f.resource]: f.status for f in office if f.resource in groups}
    assert (net5["acme-bastion-restricted"], net5["acme-bastion"]) == (Status.PASS, Status.FAIL)


def test_demo_network_instances_and_flow_logs(ctx: Context, session: boto3.Session) -> None:
    demo.build(session, REGIONS)
    home = _collect(ctx)["accounts"][ACCOUNT]["regions"][REGIONS[0]]["ec2"]

    [prod_vpc] = [v for v in home["vpcs"] if v["CidrBlock"] == demo.VPC_CIDR]
    assert [f["ResourceId"] for f in home["flow_logs"]] == [prod_vpc["VpcId"]]
    instances = {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i for i in home["instances"]}
    assert set(instances) == {"acme-prod-web-1", "acme-bastion-1", "acme-staging-app-1",
                              "acme-billing-db-1"}
    web, bastion = instances["acme-prod-web-1"], instances["acme-bastion-1"]
    assert web["MetadataOptions"]["HttpTokens"] == "required"
    assert web["IamInstanceProfile"]["Arn"].endswith(":instance-profile/acme-prod-web-instance")
    assert bastion["MetadataOptions"]["HttpTokens"] == "optional"
    assert bastion["IamInstanceProfile"] is None
    assert [g["GroupName"] for g in bastion["SecurityGroups"]] == ["acme-bastion"]
    assert [e["ServiceName"] for e in home["vpc_endpoints"]] == [f"com.amazonaws.{REGIONS[0]}.s3"]
    assert [g["Attachments"][0]["VpcId"] for g in home["internet_gateways"]] == [prod_vpc["VpcId"]]
    assert home["ebs"]["EbsEncryptionByDefault"] is True


def test_demo_shows_an_exposed_instance_and_an_unreachable_open_group(
    ctx: Context, session: boto3.Session,
) -> None:
    """The same kind of open rule, graded by what the network lets through: the bastion's SSH is
    reachable end to end (critical, with the path); the billing MySQL sits in the private subnet
    without a route to the internet (lower, naming the route table); the vendor's VNC group is
    attached to nothing (lowest, unused)."""
    demo.build(session, REGIONS)
    snapshot = _collect(ctx)
    findings = evaluate(snapshot, [ec2_sg_no_public_ssh, ec2_sg_no_public_database_ports,
                                   ec2_sg_no_public_vnc])
    names = _names(snapshot)
    failed = {(f.check_id, names[f.resource]): f for f in findings if f.status is Status.FAIL}
    ssh = failed[(ec2_sg_no_public_ssh.id, "acme-bastion")]
    mysql = failed[(ec2_sg_no_public_database_ports.id, "acme-billing-db")]
    vnc = failed[(ec2_sg_no_public_vnc.id, "acme-legacy-vnc")]
    assert (ssh.severity, mysql.severity, vnc.severity) == (Severity.CRITICAL, Severity.MEDIUM, Severity.LOW)
    assert "reachable from the internet: acme-bastion-1" in ssh.message
    assert "internet gateway igw-" in ssh.message and "network ACL acl-" in ssh.message
    [path] = ssh.evidence["reachability"]["reachable"]
    assert [hop["hop"] for hop in path["path"]] == [
        "address", "internet gateway", "route table", "network ACL", "security group"]
    assert "not reachable from the internet" in mysql.message
    assert "acme-billing-db-1" in mysql.message and "no public IPv4 address" in mysql.message
    assert "attached to no network interface (unused)" in vnc.message
