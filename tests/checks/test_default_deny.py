"""NET-4 default deny per VPC: in-memory networks (a CASES table), and a moto VPC end to end."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from awsaudit.checks.network.default_deny import beyond, vpc_default_deny
from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.checks.cases import Case
from tests.conftest import REGION as MOTO_REGION
from tests.network.lab import WORLD, Lab, tcp

REGION, ACCOUNT_ID = "eu-west-1", "123456789012"
VPC = "vpc-0aaa"
ALLOW_ALL = [{"RuleNumber": 100, "Egress": egress, "Protocol": "-1", "RuleAction": "allow",
              "CidrBlock": WORLD} for egress in (False, True)]


def vpc(vpc_id: str = VPC) -> Json:
    return {"VpcId": vpc_id, "_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc/{vpc_id}"}


def group(*permissions: Json, group_id: str = "sg-web") -> Json:
    return {"GroupId": group_id, "GroupName": group_id, "VpcId": VPC, "IpPermissions": list(permissions)}


def network(*groups: Json, public_ip: str | None = "198.51.100.7", **override: Any) -> Json:
    """The account: one public subnet (route to an IGW, allow-all NACL), one instance in `groups`."""
    eni: Json = {"NetworkInterfaceId": "eni-1", "VpcId": VPC, "SubnetId": "subnet-1",
                 "InterfaceType": "interface", "Attachment": {"InstanceId": "i-web"},
                 "Groups": [{"GroupId": g["GroupId"]} for g in groups], "PrivateIpAddress": "10.0.0.5"}
    if public_ip:
        eni["Association"] = {"PublicIp": public_ip}
    data: Json = {
        "vpcs": [vpc()], "network_interfaces": [eni], "security_groups": list(groups),
        "subnets": [{"SubnetId": "subnet-1", "VpcId": VPC}],
        "route_tables": [{"RouteTableId": "rtb-1", "VpcId": VPC, "Associations": [{"Main": True}],
                          "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
                                     {"DestinationCidrBlock": WORLD, "GatewayId": "igw-1"}]}],
        "network_acls": [{"NetworkAclId": "acl-1", "VpcId": VPC, "IsDefault": True, "Entries": ALLOW_ALL}],
        "internet_gateways": [{"InternetGatewayId": "igw-1",
                               "Attachments": [{"VpcId": VPC, "State": "available"}]}],
        "prefix_lists": [],
        **override,
    }
    for key in [k for k, v in data.items() if v is None]:
        del data[key]
    return {"regions": {REGION: {"ec2": data}}}


WEB = group(tcp(80, WORLD), tcp(443, WORLD))

CASES = [
    Case(vpc_default_deny, Status.PASS, "only-public-ports", vpc(), network(WEB)),
    Case(vpc_default_deny, Status.PASS, "open-but-no-public-address", vpc(),
         network(group(tcp(22, WORLD)), public_ip=None)),
    Case(vpc_default_deny, Status.PASS, "other-vpc-exposed", vpc("vpc-0bbb"), network(group(tcp(22, WORLD)))),
    Case(vpc_default_deny, Status.FAIL, "ssh-reachable", vpc(),
         network(WEB, group(tcp(22, WORLD), group_id="sg-b"))),
    Case(vpc_default_deny, Status.FAIL, "all-traffic-reachable", vpc(),
         network(group({"IpProtocol": "-1", "IpRanges": [{"CidrIp": WORLD}]}))),
    Case(vpc_default_deny, Status.UNKNOWN, "interfaces-denied", vpc(),
         network(WEB, network_interfaces=None, _errors={"network_interfaces": "AccessDenied"})),
    Case(vpc_default_deny, Status.UNKNOWN, "prefix-list-entries-unread", vpc(),
         network(group(tcp(8080, prefix_lists=("pl-1",)))), ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_fail_names_the_interface_port_and_path_but_not_the_public_ports() -> None:
    wide = group({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 1000, "IpRanges": [{"CidrIp": WORLD}]})
    outcome = vpc_default_deny.evaluate(vpc(), network(wide))
    assert outcome.status is Status.FAIL
    ports = [r["ports"] for r in outcome.evidence["reachable"]]
    assert ports == ["tcp 0-79", "tcp 81-442", "tcp 444-1000"]
    assert "eni-1" in outcome.message and "198.51.100.7" in outcome.message
    assert "internet gateway igw-1" in outcome.message and "security group sg-web" in outcome.message


def test_pass_says_what_was_examined() -> None:
    outcome = vpc_default_deny.evaluate(vpc(), network(WEB))
    assert "1 network interface(s) examined" in outcome.message
    assert "eni-1 tcp 80" in outcome.message and "eni-1 tcp 443" in outcome.message


def test_prefix_list_gap_is_unknown_with_the_reason() -> None:
    account = network(group(tcp(8080, prefix_lists=("pl-1",))), prefix_lists=None,
                      _errors={"prefix_lists": "AccessDenied"})
    outcome = vpc_default_deny.evaluate(vpc(), account)
    assert outcome.status is Status.UNKNOWN and "pl-1" in outcome.message


def test_beyond_cuts_the_public_ports_out_of_a_span() -> None:
    assert beyond(0, 65535, (80, 443)) == [(0, 79), (81, 442), (444, 65535)]
    assert beyond(80, 80, (80, 443)) == []
    assert beyond(22, 22, (80,)) == [(22, 22)]


@pytest.fixture
def lab(session: boto3.Session) -> Lab:
    return Lab(session.client("ec2", region_name=MOTO_REGION))


def test_moto_vpc_fails_for_the_exposed_ssh_and_passes_once_it_is_closed(ctx: Context, lab: Lab) -> None:
    web = lab.group(tcp(443, WORLD), tcp(22, WORLD))
    lab.instance(lab.subnet(), web)
    lab.instance(lab.subnet(route=None), lab.group(tcp(3306, WORLD)))  # private subnet: not reachable
    data = ec2.collect(ctx)
    [target] = [v for v in data["vpcs"] if v["VpcId"] == lab.vpc]
    outcome = vpc_default_deny.evaluate(target, {"regions": {MOTO_REGION: {"ec2": data}}})
    assert outcome.status is Status.FAIL
    assert [(r["ports"], r["family"]) for r in outcome.evidence["reachable"]] == [("tcp 22", "IPv4")]

    lab.client.revoke_security_group_ingress(GroupId=web, IpPermissions=[tcp(22, WORLD)])
    data = ec2.collect(Context(ctx.session, ctx.account, ctx.region))
    outcome = vpc_default_deny.evaluate(target, {"regions": {MOTO_REGION: {"ec2": data}}})
    assert outcome.status is Status.PASS, outcome.message
    assert "tcp 443" in outcome.message
