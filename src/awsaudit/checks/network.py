"""Network checks: security groups open to the internet, and default security groups that allow traffic."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from awsaudit.checks._registry import check, need
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok

# Ports are module constants until the config file arrives; each maps to the service shown in messages.
SSH_PORTS: Mapping[int, str] = {22: "SSH"}
RDP_PORTS: Mapping[int, str] = {3389: "RDP"}
VNC_PORTS: Mapping[int, str] = {5500: "VNC", **dict.fromkeys(range(5900, 5911), "VNC")}
DATABASE_PORTS: Mapping[int, str] = {
    1433: "MSSQL",
    1521: "Oracle",
    2483: "Oracle",
    2484: "Oracle",
    3306: "MySQL",
    5432: "PostgreSQL",
    5984: "CouchDB",
    6379: "Redis",
    7000: "Cassandra",
    7001: "Cassandra",
    7199: "Cassandra",
    8086: "InfluxDB",
    9042: "Cassandra",
    9160: "Cassandra",
    9200: "Elasticsearch",
    9300: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
    27018: "MongoDB",
    27019: "MongoDB",
    50000: "DB2",
}

ALL_TRAFFIC = "-1"
"""IpProtocol of an "All traffic" rule: every protocol and every port, whatever FromPort/ToPort say."""
TCP = frozenset({"tcp", "6"})  # AWS answers "tcp"; the protocol number is accepted too


@dataclass(frozen=True, slots=True)
class Exposure:
    """One ingress permission that opens some of the watched ports to the whole internet."""

    permission: Json  # as AWS returned it (IpPermissions entry)
    ports: tuple[int, ...]  # watched ports it opens
    cidrs: tuple[str, ...]  # its whole-internet ranges (0.0.0.0/0, ::/0)


def _is_internet(cidr: str) -> bool:
    # Prefix length 0 is the whole IPv4 or IPv6 space, however it is spelled (0.0.0.0/0, ::/0, 0::/0).
    return ipaddress.ip_network(cidr, strict=False).prefixlen == 0


def _internet_cidrs(permission: Json) -> tuple[str, ...]:
    ipv4 = [r["CidrIp"] for r in permission.get("IpRanges", []) if "CidrIp" in r]
    ipv6 = [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if "CidrIpv6" in r]
    return tuple(cidr for cidr in (*ipv4, *ipv6) if _is_internet(cidr))


def _opened_ports(permission: Json, ports: Iterable[int]) -> tuple[int, ...]:
    """The TCP ports among `ports` that this permission lets in (all of them for "All traffic")."""
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol == ALL_TRAFFIC:
        return tuple(sorted(ports))
    if protocol not in TCP:
        return ()
    # A TCP permission always has both ports in AWS's answer; if one is missing, assume the worst
    # (every port) rather than pass a rule we cannot read.
    low = permission.get("FromPort", 0)
    high = permission.get("ToPort", 65535)
    return tuple(sorted(p for p in ports if low <= p <= high))


def open_to_internet(group: Json, ports: Iterable[int]) -> list[Exposure]:
    """Ingress permissions of `group` that open any of `ports` (TCP) to 0.0.0.0/0 or ::/0.

    Only CIDR sources count: a source security group or a prefix list is not "the internet"
    (a customer-managed prefix list could contain 0.0.0.0/0, but its entries are not collected).
    UDP-only and ICMP rules open no TCP port.
    """
    watched = tuple(ports)
    exposures = []
    for permission in need(group, "IpPermissions"):
        cidrs = _internet_cidrs(permission)
        opened = _opened_ports(permission, watched) if cidrs else ()
        if opened:
            exposures.append(Exposure(permission, opened, cidrs))
    return exposures


def _identity(group: Json) -> Json:
    return {key: group.get(key) for key in ("GroupId", "GroupName", "VpcId")}


def _port_outcome(group: Json, ports: Mapping[int, str], what: str) -> Outcome:
    """The shared verdict of the port checks: FAIL naming ports and CIDRs, or PASS with the ingress rules."""
    exposures = open_to_internet(group, ports)
    if not exposures:
        return ok(f"No {what} port open to 0.0.0.0/0 or ::/0",
                  evidence={**_identity(group), "IpPermissions": need(group, "IpPermissions")})
    cidrs = ", ".join(sorted({c for e in exposures for c in e.cidrs}))
    evidence = {**_identity(group), "IpPermissions": [e.permission for e in exposures]}
    if any(e.permission.get("IpProtocol") == ALL_TRAFFIC for e in exposures):
        return fail(f"All traffic, every {what} port included, open to {cidrs}", evidence=evidence)
    by_service: dict[str, list[int]] = {}
    for port in sorted({p for e in exposures for p in e.ports}):
        by_service.setdefault(ports[port], []).append(port)
    opened = ", ".join(f"{service} {_ranges(found)}" for service, found in by_service.items())
    return fail(f"{opened} open to {cidrs}", evidence=evidence)


def _spans(ports: Iterable[int]) -> list[tuple[int, int]]:
    """22, 5900, 5901, 5902 -> [(22, 22), (5900, 5902)]."""
    spans: list[tuple[int, int]] = []
    for port in sorted(set(ports)):
        if spans and port == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], port)
        else:
            spans.append((port, port))
    return spans


def _ranges(ports: Iterable[int]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in _spans(ports))


def _revoke_cli(spans: Iterable[tuple[int | str, int | str]]) -> str:
    """One command revoking exactly the offending rules, found by their rule ids.

    The rule-id form covers IPv4 and IPv6 sources, port ranges and all-traffic rules alike, where
    `--protocol tcp --port N --cidr 0.0.0.0/0` only revokes an exact IPv4 match.
    """
    covers = " || ".join(f"(FromPort<=`{b}` && ToPort>=`{a}`)" for a, b in spans)
    query = ("SecurityGroupRules[?!IsEgress && (CidrIpv4==`\"0.0.0.0/0\"` || CidrIpv6==`\"::/0\"`) && "
             f"(IpProtocol==`\"-1\"` || (IpProtocol==`\"tcp\"` && ({covers})))].SecurityGroupRuleId")
    return ("aws ec2 revoke-security-group-ingress --group-id {GroupId} --security-group-rule-ids "
            "$(aws ec2 describe-security-group-rules --filters Name=group-id,Values={GroupId} "
            f"--query '{query}' --output text)")


def _admin_remediation(name: str, ports: Mapping[int, str]) -> Remediation:
    first = min(ports)
    return Remediation(
        console=(
            "EC2 console > Network & Security > Security Groups > select {GroupId}",
            "Inbound rules > Edit inbound rules",
            f"Delete the rules for {name} ({_ranges(ports)}) whose source is 0.0.0.0/0 or ::/0 (or that "
            "allow All traffic), or narrow the source to the company ranges or a VPN/bastion security "
            "group; prefer SSM Session Manager or Fleet Manager over open admin ports",
            "Save rules",
        ),
        cli=_revoke_cli(_spans(ports)),
        terraform=f'resource "aws_vpc_security_group_ingress_rule" "{name.lower()}" {{\n'
                  "  security_group_id = aws_security_group.this.id\n"
                  '  ip_protocol       = "tcp"\n'
                  f"  from_port         = {first}\n"
                  f"  to_port           = {first}\n"
                  '  cidr_ipv4         = "203.0.113.0/24" # a company range, never 0.0.0.0/0\n'
                  "}",
    )


@check(
    "ec2_sg_no_public_ssh",
    title="Security group does not allow SSH (22) from the internet",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=_admin_remediation("SSH", SSH_PORTS),
)
def ec2_sg_no_public_ssh(group: Json) -> Outcome:
    """SSH open to 0.0.0.0/0 or ::/0 is found by internet-wide scanners within minutes and brute-forced
    continuously; a leaked key or a weak password, or an sshd vulnerability, becomes a shell on the host.
    Administrative access belongs behind company ranges, a VPN or SSM Session Manager."""
    return _port_outcome(group, SSH_PORTS, "SSH")


@check(
    "ec2_sg_no_public_rdp",
    title="Security group does not allow RDP (3389) from the internet",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=_admin_remediation("RDP", RDP_PORTS),
)
def ec2_sg_no_public_rdp(group: Json) -> Outcome:
    """RDP exposed to the internet is a leading ransomware entry point: password spraying against
    Windows accounts and pre-authentication RDP vulnerabilities (BlueKeep) need nothing but the open port."""
    return _port_outcome(group, RDP_PORTS, "RDP")


@check(
    "ec2_sg_no_public_vnc",
    title="Security group does not allow VNC (5500, 5900-5910) from the internet",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=_admin_remediation("VNC", VNC_PORTS),
)
def ec2_sg_no_public_vnc(group: Json) -> Outcome:
    """VNC gives full desktop control, often with a short shared password or none and without
    encryption; servers open to the internet are indexed by search engines and taken over by hand."""
    return _port_outcome(group, VNC_PORTS, "VNC")


@check(
    "ec2_sg_no_public_database_ports",
    title="Security group does not allow database ports from the internet",
    severity=Severity.CRITICAL,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=Remediation(
        console=(
            "EC2 console > Network & Security > Security Groups > select {GroupId}",
            "Inbound rules > Edit inbound rules",
            "Replace the source 0.0.0.0/0 or ::/0 of the database port with the application's "
            "security group (or a private CIDR)",
            "Save rules",
        ),
        cli="aws ec2 authorize-security-group-ingress --group-id {GroupId} --protocol tcp --port PORT "
            "--source-group APP_SECURITY_GROUP_ID && " + _revoke_cli([("PORT", "PORT")]),
        terraform='resource "aws_vpc_security_group_ingress_rule" "db_from_app" {\n'
                  "  security_group_id            = aws_security_group.db.id\n"
                  '  ip_protocol                  = "tcp"\n'
                  "  from_port                    = 5432\n"
                  "  to_port                      = 5432\n"
                  "  referenced_security_group_id = aws_security_group.app.id\n"
                  "}",
    ),
)
def ec2_sg_no_public_database_ports(group: Json) -> Outcome:
    """A database listener reachable from the internet puts the data itself one credential away, and
    several engines (Redis, Memcached, Elasticsearch, MongoDB, CouchDB) ship without authentication
    or are often run so: mass scans find and wipe or ransom them within hours. Critical, because
    the exposed asset is the data, not a host; the application tier is the only legitimate client."""
    return _port_outcome(group, DATABASE_PORTS, "database")


@check(
    "ec2_default_sg_restricts_all",
    title="Default security group of a VPC allows no inbound or outbound traffic",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=Remediation(
        console=(
            "EC2 console > Network & Security > Security Groups > select {GroupId} (named default)",
            "Inbound rules > Edit inbound rules > delete every rule > Save rules",
            "Outbound rules > Edit outbound rules > delete every rule > Save rules",
            "Give the resources that used it their own least-privilege security groups first",
        ),
        cli="aws ec2 revoke-security-group-ingress --group-id {GroupId} --ip-permissions "
            "\"$(aws ec2 describe-security-groups --group-ids {GroupId} "
            "--query 'SecurityGroups[0].IpPermissions')\" && "
            "aws ec2 revoke-security-group-egress --group-id {GroupId} --ip-permissions "
            "\"$(aws ec2 describe-security-groups --group-ids {GroupId} "
            "--query 'SecurityGroups[0].IpPermissionsEgress')\"",
        terraform="# Adopting the default group with no ingress/egress blocks removes all its rules.\n"
                  'resource "aws_default_security_group" "default" {\n'
                  "  vpc_id = aws_vpc.main.id\n"
                  "}",
    ),
)
def ec2_default_sg_restricts_all(group: Json) -> Outcome:
    """Anything launched without an explicit security group lands in the VPC's default group, and
    AWS creates it allowing all outbound traffic and all traffic between its members. With no rules
    at all, a forgotten group choice fails closed instead of silently joining a shared, open network.

    Only groups named "default" are judged; every other group PASSes with its name as evidence, as
    the result model has no "not applicable" status.
    """
    if group.get("GroupName") != "default":
        return ok("Not a default security group; the rule applies to default groups only",
                  evidence=_identity(group))
    inbound, outbound = need(group, "IpPermissions"), need(group, "IpPermissionsEgress")
    evidence = {**_identity(group), "IpPermissions": inbound, "IpPermissionsEgress": outbound}
    if inbound or outbound:
        return fail(f"Default security group has {len(inbound)} inbound and {len(outbound)} outbound "
                    "rule(s)", evidence=evidence)
    return ok("Default security group has no inbound or outbound rules", evidence=evidence)
