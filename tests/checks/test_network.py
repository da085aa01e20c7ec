"""Network checks: security groups open to the internet and default security groups."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.network import (
    DATABASE_PORTS,
    VNC_PORTS,
    ec2_default_sg_restricts_all,
    ec2_sg_no_public_database_ports,
    ec2_sg_no_public_rdp,
    ec2_sg_no_public_ssh,
    ec2_sg_no_public_vnc,
    open_to_internet,
)
from awsaudit.model import Json, Status
from tests.checks.cases import Case


def rule(protocol: str = "tcp", ports: tuple[int, int] | None = None, *cidrs: str,
         groups: tuple[str, ...] = ()) -> Json:
    """One IpPermissions entry as DescribeSecurityGroups returns it."""
    permission: Json = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c} for c in cidrs if ":" not in c],
        "Ipv6Ranges": [{"CidrIpv6": c} for c in cidrs if ":" in c],
        "PrefixListIds": [],
        "UserIdGroupPairs": [{"GroupId": g, "UserId": "123456789012"} for g in groups],
    }
    if ports is not None:
        permission["FromPort"], permission["ToPort"] = ports
    return permission


def sg(*ingress: Json, name: str = "acme-app", egress: tuple[Json, ...] = (), **extra: Any) -> Json:
    return {
        "GroupId": "sg-0123456789abcdef0", "GroupName": name, "VpcId": "vpc-0123456789abcdef0",
        "OwnerId": "123456789012", "Description": name, "IpPermissions": list(ingress),
        "IpPermissionsEgress": list(egress), **extra,
    }


WORLD = "0.0.0.0/0"
WORLD6 = "::/0"
ALL_OUT = rule("-1", None, WORLD)


def denied(group: Json, key: str = "IpPermissions") -> Json:
    """The group as the snapshot holds it when `key` could not be read."""
    return {**{k: v for k, v in group.items() if k != key}, "_errors": {key: "AccessDenied"}}


CASES = [
    # SSH
    Case(ec2_sg_no_public_ssh, Status.PASS, "no-rules", sg()),
    Case(ec2_sg_no_public_ssh, Status.PASS, "company-range", sg(rule("tcp", (22, 22), "203.0.113.0/24"))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "from-security-group",
         sg(rule("tcp", (22, 22), groups=("sg-0bastion",)))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "web-ports-only",
         sg(rule("tcp", (80, 80), WORLD), rule("tcp", (443, 443), WORLD, WORLD6))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "udp-range", sg(rule("udp", (0, 65535), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "icmp", sg(rule("icmp", (-1, -1), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "range-above", sg(rule("tcp", (23, 1024), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "wide-but-not-world", sg(rule("tcp", (22, 22), "0.0.0.0/1"))),
    Case(ec2_sg_no_public_ssh, Status.PASS, "egress-only", sg(egress=(rule("tcp", (22, 22), WORLD),))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "ipv4", sg(rule("tcp", (22, 22), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "ipv6", sg(rule("tcp", (22, 22), WORLD6))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "ipv6-spelled-long", sg(rule("tcp", (22, 22), "0::/0"))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "mixed-sources",
         sg(rule("tcp", (22, 22), "10.0.0.0/8", WORLD))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "port-range", sg(rule("tcp", (0, 1024), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "all-tcp", sg(rule("tcp", (0, 65535), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "all-traffic", sg(rule("-1", None, WORLD))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "protocol-number", sg(rule("6", (22, 22), WORLD))),
    Case(ec2_sg_no_public_ssh, Status.FAIL, "tcp-without-ports", sg(rule("tcp", None, WORLD))),
    Case(ec2_sg_no_public_ssh, Status.UNKNOWN, "rules-not-collected", denied(sg())),
    # RDP
    Case(ec2_sg_no_public_rdp, Status.PASS, "vpn-range", sg(rule("tcp", (3389, 3389), "10.8.0.0/16"))),
    Case(ec2_sg_no_public_rdp, Status.PASS, "udp-3389", sg(rule("udp", (3389, 3389), WORLD))),
    Case(ec2_sg_no_public_rdp, Status.FAIL, "ipv4", sg(rule("tcp", (3389, 3389), WORLD))),
    Case(ec2_sg_no_public_rdp, Status.FAIL, "all-traffic-ipv6", sg(rule("-1", (-1, -1), WORLD6))),
    Case(ec2_sg_no_public_rdp, Status.UNKNOWN, "rules-not-collected", denied(sg())),
    # VNC
    Case(ec2_sg_no_public_vnc, Status.PASS, "ssh-only", sg(rule("tcp", (22, 22), "203.0.113.0/24"))),
    Case(ec2_sg_no_public_vnc, Status.PASS, "between-ranges", sg(rule("tcp", (5501, 5899), WORLD))),
    Case(ec2_sg_no_public_vnc, Status.PASS, "just-above", sg(rule("tcp", (5911, 5999), WORLD))),
    Case(ec2_sg_no_public_vnc, Status.FAIL, "5500", sg(rule("tcp", (5500, 5500), WORLD))),
    Case(ec2_sg_no_public_vnc, Status.FAIL, "5910", sg(rule("tcp", (5910, 5910), WORLD))),
    Case(ec2_sg_no_public_vnc, Status.FAIL, "range-ipv6", sg(rule("tcp", (5900, 5901), WORLD6))),
    Case(ec2_sg_no_public_vnc, Status.UNKNOWN, "rules-not-collected", denied(sg())),
    # databases
    Case(ec2_sg_no_public_database_ports, Status.PASS, "from-app-group",
         sg(rule("tcp", (5432, 5432), groups=("sg-0web",)))),
    Case(ec2_sg_no_public_database_ports, Status.PASS, "private-cidr",
         sg(rule("tcp", (3306, 3306), "10.20.0.0/16"))),
    Case(ec2_sg_no_public_database_ports, Status.PASS, "web", sg(rule("tcp", (443, 443), WORLD))),
    Case(ec2_sg_no_public_database_ports, Status.FAIL, "mysql", sg(rule("tcp", (3306, 3306), WORLD))),
    Case(ec2_sg_no_public_database_ports, Status.FAIL, "mssql", sg(rule("tcp", (1433, 1433), WORLD))),
    Case(ec2_sg_no_public_database_ports, Status.FAIL, "redis-ipv6", sg(rule("tcp", (6379, 6379), WORLD6))),
    Case(ec2_sg_no_public_database_ports, Status.FAIL, "mongodb-range",
         sg(rule("tcp", (27000, 28000), WORLD))),
    Case(ec2_sg_no_public_database_ports, Status.FAIL, "all-traffic", sg(rule("-1", None, WORLD))),
    Case(ec2_sg_no_public_database_ports, Status.UNKNOWN, "rules-not-collected", denied(sg())),
    # default security groups
    Case(ec2_default_sg_restricts_all, Status.PASS, "default-empty", sg(name="default")),
    Case(ec2_default_sg_restricts_all, Status.PASS, "not-default", sg(rule("tcp", (22, 22), WORLD),
                                                                       egress=(ALL_OUT,))),
    Case(ec2_default_sg_restricts_all, Status.FAIL, "aws-as-created",
         sg(rule("-1", None, groups=("sg-0123456789abcdef0",)), name="default", egress=(ALL_OUT,))),
    Case(ec2_default_sg_restricts_all, Status.FAIL, "egress-only", sg(name="default", egress=(ALL_OUT,))),
    Case(ec2_default_sg_restricts_all, Status.FAIL, "ingress-only",
         sg(rule("tcp", (443, 443), "10.0.0.0/8"), name="default")),
    Case(ec2_default_sg_restricts_all, Status.UNKNOWN, "ingress-not-collected", denied(sg(name="default"))),
    Case(ec2_default_sg_restricts_all, Status.UNKNOWN, "egress-not-collected",
         denied(sg(name="default"), "IpPermissionsEgress")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_every_check_has_pass_fail_unknown() -> None:
    seen = {(c.check.id, c.expected) for c in CASES}
    for check in {c.check for c in CASES}:
        assert {(check.id, s) for s in (Status.PASS, Status.FAIL, Status.UNKNOWN)} <= seen


def test_fail_message_names_service_ports_and_cidrs() -> None:
    group = sg(rule("tcp", (5900, 5901), WORLD6), rule("tcp", (5500, 5500), WORLD, "10.0.0.0/8"))
    outcome = ec2_sg_no_public_vnc.evaluate(group)
    assert outcome.status is Status.FAIL
    assert outcome.message == "VNC 5500, 5900-5901 open to 0.0.0.0/0, ::/0"


def test_fail_message_names_each_database() -> None:
    group = sg(rule("tcp", (3306, 3306), WORLD), rule("tcp", (5432, 5432), WORLD))
    assert ec2_sg_no_public_database_ports.evaluate(group).message == (
        "MySQL 3306, PostgreSQL 5432 open to 0.0.0.0/0")


def test_all_traffic_message() -> None:
    outcome = ec2_sg_no_public_ssh.evaluate(sg(rule("-1", None, WORLD)))
    assert outcome.message == "All traffic, every SSH port included, open to 0.0.0.0/0"


def test_fail_evidence_is_the_offending_rules_and_the_group() -> None:
    bad = rule("tcp", (22, 22), WORLD)
    group = sg(rule("tcp", (443, 443), WORLD), bad, rule("tcp", (22, 22), "203.0.113.0/24"))
    outcome = ec2_sg_no_public_ssh.evaluate(group)
    assert outcome.evidence == {"GroupId": "sg-0123456789abcdef0", "GroupName": "acme-app",
                                "VpcId": "vpc-0123456789abcdef0", "IpPermissions": [bad]}


def test_pass_evidence_is_the_ingress_rules() -> None:
    group = sg(rule("tcp", (443, 443), WORLD))
    evidence = ec2_sg_no_public_ssh.evaluate(group).evidence
    assert evidence["IpPermissions"] == group["IpPermissions"]
    assert evidence["GroupId"] == "sg-0123456789abcdef0"


def test_default_sg_evidence_has_both_directions() -> None:
    outcome = ec2_default_sg_restricts_all.evaluate(sg(name="default", egress=(ALL_OUT,)))
    assert outcome.message == "Default security group has 0 inbound and 1 outbound rule(s)"
    assert outcome.evidence["IpPermissionsEgress"] == [ALL_OUT]
    assert outcome.evidence["IpPermissions"] == []


def test_open_to_internet_reports_ports_and_cidrs_per_rule() -> None:
    group = sg(rule("tcp", (5900, 5905), WORLD, WORLD6, "10.0.0.0/8"), rule("udp", (5900, 5910), WORLD))
    [exposure] = open_to_internet(group, VNC_PORTS)
    assert exposure.ports == (5900, 5901, 5902, 5903, 5904, 5905)
    assert exposure.cidrs == (WORLD, WORLD6)
    assert exposure.permission is group["IpPermissions"][0]


def test_all_traffic_opens_every_watched_port() -> None:
    [exposure] = open_to_internet(sg(rule("-1", (-1, -1), WORLD)), DATABASE_PORTS)
    assert exposure.ports == tuple(sorted(DATABASE_PORTS))


@pytest.mark.parametrize("check", [ec2_sg_no_public_ssh, ec2_sg_no_public_rdp, ec2_sg_no_public_vnc,
                                   ec2_sg_no_public_database_ports, ec2_default_sg_restricts_all])
def test_remediation_cli_names_the_group(check: Any) -> None:
    assert "{GroupId}" in check.remediation.cli
    assert check.remediation.console and check.remediation.terraform
