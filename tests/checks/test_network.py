"""Network checks: security groups open to the internet and default security groups."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.network.security_groups import (
    DATABASE_PORTS,
    VNC_PORTS,
    ec2_default_sg_restricts_all,
    ec2_sg_admin_ports_company_only,
    ec2_sg_no_public_all_traffic,
    ec2_sg_no_public_cifs,
    ec2_sg_no_public_database_ports,
    ec2_sg_no_public_rdp,
    ec2_sg_no_public_ssh,
    ec2_sg_no_public_vnc,
    open_to_internet,
)
from awsaudit.model import Json, Status
from awsaudit.settings import DEFAULTS, Settings
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
    # CIFS (CIS 6.1.2)
    Case(ec2_sg_no_public_cifs, Status.PASS, "private", sg(rule("tcp", (445, 445), "10.0.0.0/8"))),
    Case(ec2_sg_no_public_cifs, Status.PASS, "udp-445", sg(rule("udp", (445, 445), WORLD))),
    Case(ec2_sg_no_public_cifs, Status.FAIL, "ipv4", sg(rule("tcp", (445, 445), WORLD))),
    Case(ec2_sg_no_public_cifs, Status.FAIL, "range-ipv6", sg(rule("tcp", (135, 445), WORLD6))),
    Case(ec2_sg_no_public_cifs, Status.UNKNOWN, "rules-not-collected", denied(sg())),
    # NET-4: nothing but the public ports from the internet
    Case(ec2_sg_no_public_all_traffic, Status.PASS, "web", sg(rule("tcp", (80, 80), WORLD),
                                                             rule("tcp", (443, 443), WORLD, WORLD6))),
    Case(ec2_sg_no_public_all_traffic, Status.PASS, "quic", sg(rule("udp", (443, 443), WORLD6))),
    Case(ec2_sg_no_public_all_traffic, Status.PASS, "icmp", sg(rule("icmp", (3, 4), WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.PASS, "all-traffic-from-vpc",
         sg(rule("-1", None, "10.0.0.0/8"))),
    Case(ec2_sg_no_public_all_traffic, Status.PASS, "from-group", sg(rule("-1", None, groups=("sg-0lb",)))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "all-traffic", sg(rule("-1", None, WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "all-traffic-ipv6", sg(rule("-1", (-1, -1), WORLD6))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "all-tcp", sg(rule("tcp", (0, 65535), WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "8080", sg(rule("tcp", (8080, 8080), WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "range-around-443", sg(rule("tcp", (442, 444), WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "udp-dns", sg(rule("udp", (53, 53), WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.FAIL, "gre", sg(rule("47", None, WORLD))),
    Case(ec2_sg_no_public_all_traffic, Status.UNKNOWN, "rules-not-collected", denied(sg())),
    # NET-5 with the default settings: no company ranges configured
    Case(ec2_sg_admin_ports_company_only, Status.PASS, "no-admin-port", sg(rule("tcp", (443, 443), WORLD))),
    Case(ec2_sg_admin_ports_company_only, Status.PASS, "admin-from-group-only",
         sg(rule("tcp", (22, 22), groups=("sg-0bastion",)))),
    Case(ec2_sg_admin_ports_company_only, Status.FAIL, "ssh-from-world", sg(rule("tcp", (22, 22), WORLD))),
    Case(ec2_sg_admin_ports_company_only, Status.FAIL, "winrm-ipv6-world",
         sg(rule("tcp", (5986, 5986), WORLD6))),
    Case(ec2_sg_admin_ports_company_only, Status.MANUAL, "ssh-from-a-range",
         sg(rule("tcp", (22, 22), "203.0.113.0/24"))),
    Case(ec2_sg_admin_ports_company_only, Status.MANUAL, "prefix-list",
         sg({**rule("tcp", (3389, 3389)), "PrefixListIds": [{"PrefixListId": "pl-0office"}]})),
    Case(ec2_sg_admin_ports_company_only, Status.UNKNOWN, "rules-not-collected", denied(sg())),
]

COMPANY = Settings(company_cidrs=("203.0.113.0/24", "2001:db8::/32"))
SETTINGS_CASES = [
    # (check, settings, group, expected)
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (22, 22), "203.0.113.0/24")), Status.PASS),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (22, 22), "203.0.113.128/25")), Status.PASS),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (3389, 3389), "2001:db8:1::/48")), Status.PASS),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (22, 22), "203.0.112.0/23")), Status.FAIL),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (22, 22), "10.0.0.0/8")), Status.FAIL),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (5900, 5900), "2001:db9::/32")), Status.FAIL),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("-1", None, "198.51.100.0/24")), Status.FAIL),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (8087, 9000), "198.51.100.0/24")), Status.PASS),
    # database ports are held to the company ranges too (InfluxDB 8086, MySQL 3306)
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (8000, 9000), "198.51.100.0/24")), Status.FAIL),
    (ec2_sg_admin_ports_company_only, COMPANY, sg(rule("tcp", (3306, 3306), "198.51.100.0/24")), Status.FAIL),
    # nested and overlapping company ranges count together
    (ec2_sg_admin_ports_company_only, Settings(company_cidrs=("10.0.0.0/9", "10.128.0.0/9")),
     sg(rule("tcp", (22, 22), "10.0.0.0/8")), Status.PASS),
    (ec2_sg_admin_ports_company_only, Settings(company_cidrs=("10.0.0.0/9", "10.64.0.0/10")),
     sg(rule("tcp", (22, 22), "10.0.0.0/8")), Status.FAIL),
    (ec2_sg_admin_ports_company_only, COMPANY,
     sg({**rule("tcp", (22, 22)), "PrefixListIds": [{"PrefixListId": "pl-0office"}]}), Status.MANUAL),
    (ec2_sg_admin_ports_company_only, Settings(admin_ports=(2222,)), sg(rule("tcp", (22, 22), WORLD)),
     Status.PASS),
    (ec2_sg_admin_ports_company_only, Settings(admin_ports=(2222,)), sg(rule("tcp", (2222, 2222), WORLD)),
     Status.FAIL),
    (ec2_sg_no_public_database_ports, Settings(database_ports=(5433,)), sg(rule("tcp", (5433, 5433), WORLD)),
     Status.FAIL),
    (ec2_sg_no_public_database_ports, Settings(database_ports=(5433,)), sg(rule("tcp", (3306, 3306), WORLD)),
     Status.PASS),
    (ec2_sg_no_public_all_traffic, Settings(public_ports=(80, 443, 8443)),
     sg(rule("tcp", (8443, 8443), WORLD)), Status.PASS),
    (ec2_sg_no_public_all_traffic, Settings(public_ports=()), sg(rule("tcp", (443, 443), WORLD)),
     Status.FAIL),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize(("check", "settings", "group", "expected"), SETTINGS_CASES,
                         ids=lambda v: getattr(v, "id", None))
def test_case_with_settings(check: Any, settings: Settings, group: Json, expected: Status) -> None:
    assert check.evaluate(group, {}, settings).status is expected


def test_every_result_has_evidence() -> None:
    for case in CASES:
        outcome = case.check.evaluate(case.resource)
        assert outcome.status is Status.UNKNOWN or outcome.evidence, case.id


def test_database_ports_from_settings_keep_their_names() -> None:
    outcome = ec2_sg_no_public_database_ports.evaluate(
        sg(rule("tcp", (5432, 5433), WORLD)), {}, Settings(database_ports=(5432, 5433)))
    assert outcome.message.startswith("PostgreSQL 5432, database 5433 open to 0.0.0.0/0; ")
    assert set(DATABASE_PORTS) >= set(DEFAULTS.database_ports)


def test_all_traffic_message_names_what_is_beyond_the_public_ports() -> None:
    group = sg(rule("tcp", (80, 80), WORLD), rule("tcp", (22, 443), WORLD), rule("udp", (53, 53), WORLD6))
    outcome = ec2_sg_no_public_all_traffic.evaluate(group)
    assert outcome.message == "TCP 22-79, 81-442; UDP 53 open to 0.0.0.0/0, ::/0 (public ports: 80, 443)"
    assert outcome.evidence["IpPermissions"] == group["IpPermissions"][1:]
    assert outcome.evidence["public_ports"] == [80, 443]


def test_admin_ports_messages() -> None:
    outcome = ec2_sg_admin_ports_company_only.evaluate(sg(rule("tcp", (22, 22), "198.51.100.0/24", WORLD)))
    assert outcome.message == "Admin/database ports open outside the company ranges: SSH 22 from 0.0.0.0/0"
    outcome = ec2_sg_admin_ports_company_only.evaluate(sg(rule("tcp", (22, 22), "198.51.100.0/24")))
    assert outcome.status is Status.MANUAL
    assert "configure company ranges: --company-cidrs or company_cidrs in awsaudit.toml" in outcome.message
    outcome = ec2_sg_admin_ports_company_only.evaluate(
        sg(rule("tcp", (3389, 5986), "198.51.100.0/24", "203.0.113.0/24")), {}, COMPANY)
    assert outcome.message == ("Admin/database ports open outside the company ranges: RDP 3389, "
                               "PostgreSQL 5432, VNC 5500, 5900-5910, CouchDB 5984, WinRM 5985-5986 "
                               "from 198.51.100.0/24")
    assert outcome.evidence["company_cidrs"] == ["203.0.113.0/24", "2001:db8::/32"]


def test_every_check_has_pass_fail_unknown() -> None:
    seen = {(c.check.id, c.expected) for c in CASES}
    for check in {c.check for c in CASES}:
        assert {(check.id, s) for s in (Status.PASS, Status.FAIL, Status.UNKNOWN)} <= seen


def test_fail_message_names_service_ports_and_cidrs() -> None:
    group = sg(rule("tcp", (5900, 5901), WORLD6), rule("tcp", (5500, 5500), WORLD, "10.0.0.0/8"))
    outcome = ec2_sg_no_public_vnc.evaluate(group)
    assert outcome.status is Status.FAIL
    assert outcome.message.startswith("VNC 5500, 5900-5901 open to 0.0.0.0/0, ::/0; ")


def test_fail_message_names_each_database() -> None:
    group = sg(rule("tcp", (3306, 3306), WORLD), rule("tcp", (5432, 5432), WORLD))
    assert ec2_sg_no_public_database_ports.evaluate(group).message.startswith(
        "MySQL 3306, PostgreSQL 5432 open to 0.0.0.0/0; ")


def test_all_traffic_message() -> None:
    outcome = ec2_sg_no_public_ssh.evaluate(sg(rule("-1", None, WORLD)))
    assert outcome.message.startswith("All traffic, every SSH port included, open to 0.0.0.0/0; ")
    # without the account's network the rule keeps the check's severity and says why
    assert "reachability not assessed" in outcome.message and outcome.severity is None


def test_fail_evidence_is_the_offending_rules_and_the_group() -> None:
    bad = rule("tcp", (22, 22), WORLD)
    group = sg(rule("tcp", (443, 443), WORLD), bad, rule("tcp", (22, 22), "203.0.113.0/24"))
    outcome = ec2_sg_no_public_ssh.evaluate(group)
    assert outcome.evidence == {"GroupId": "sg-0123456789abcdef0", "GroupName": "acme-app",
                                "VpcId": "vpc-0123456789abcdef0", "IpPermissions": [bad],
                                "reachability": None}


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
                                   ec2_sg_no_public_database_ports, ec2_default_sg_restricts_all,
                                   ec2_sg_no_public_cifs, ec2_sg_no_public_all_traffic,
                                   ec2_sg_admin_ports_company_only])
def test_remediation_cli_names_the_group(check: Any) -> None:
    assert "{GroupId}" in check.remediation.cli
    assert check.remediation.console and check.remediation.terraform
