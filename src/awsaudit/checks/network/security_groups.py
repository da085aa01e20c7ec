"""Network checks on security groups: ports open to the internet, default deny, admin access from
company ranges only, and default security groups that allow traffic."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from awsaudit.checks._registry import check, need
from awsaudit.checks._view import AccountView
from awsaudit.checks.network._exposure import grade
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, manual, ok
from awsaudit.network.ports import AddressSet
from awsaudit.settings import Settings

# The fixed ports of NET-1/NET-2/RDP and CIS 6.1.2; each maps to the service shown in messages.
# The database, admin and public port lists are tunables (Settings); these names label them.
SSH_PORTS: Mapping[int, str] = {22: "SSH"}
RDP_PORTS: Mapping[int, str] = {3389: "RDP"}
VNC_PORTS: Mapping[int, str] = {5500: "VNC", **dict.fromkeys(range(5900, 5911), "VNC")}
CIFS_PORTS: Mapping[int, str] = {445: "CIFS/SMB"}
ADMIN_NAMES: Mapping[int, str] = {**SSH_PORTS, **RDP_PORTS, **VNC_PORTS, 5985: "WinRM", 5986: "WinRM"}
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
UDP = frozenset({"udp", "17"})
ICMP = frozenset({"icmp", "1", "icmpv6", "58"})
CONFIGURE_COMPANY = "configure company ranges: --company-cidrs or company_cidrs in awsaudit.toml"


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


def _named(ports: Iterable[int], names: Mapping[int, str], default: str) -> dict[int, str]:
    """Configured ports with the service name shown in messages (`default` for ports we cannot name)."""
    return {port: names.get(port, default) for port in ports}


def _port_outcome(group: Json, ports: Mapping[int, str], what: str, view: AccountView) -> Outcome:
    """The shared verdict of the port checks: FAIL naming ports and CIDRs, graded by what the
    network really lets reach (network/_exposure.grade), or PASS with the ingress rules."""
    exposures = open_to_internet(group, ports)
    if not exposures:
        return ok(f"No {what} port open to 0.0.0.0/0 or ::/0",
                  evidence={**_identity(group), "IpPermissions": need(group, "IpPermissions")})
    found_cidrs = sorted({c for e in exposures for c in e.cidrs})
    cidrs = ", ".join(found_cidrs)
    opened_ports = sorted({p for e in exposures for p in e.ports})
    graded = grade(group, view, opened_ports, found_cidrs)
    evidence = {**_identity(group), "IpPermissions": [e.permission for e in exposures], **graded.evidence}
    if any(e.permission.get("IpProtocol") == ALL_TRAFFIC for e in exposures):
        return fail(f"All traffic, every {what} port included, open to {cidrs}; {graded.message}",
                    evidence=evidence, severity=graded.severity)
    by_service: dict[str, list[int]] = {}
    for port in opened_ports:
        by_service.setdefault(ports[port], []).append(port)
    opened = ", ".join(f"{service} {_ranges(found)}" for service, found in by_service.items())
    return fail(f"{opened} open to {cidrs}; {graded.message}", evidence=evidence, severity=graded.severity)


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
def ec2_sg_no_public_ssh(group: Json, view: AccountView) -> Outcome:
    """SSH open to 0.0.0.0/0 or ::/0 is found by internet-wide scanners within minutes and brute-forced
    continuously; a leaked key or a weak password, or an sshd vulnerability, becomes a shell on the host.
    Administrative access belongs behind company ranges, a VPN or SSM Session Manager."""
    return _port_outcome(group, SSH_PORTS, "SSH", view)


@check(
    "ec2_sg_no_public_rdp",
    title="Security group does not allow RDP (3389) from the internet",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=_admin_remediation("RDP", RDP_PORTS),
)
def ec2_sg_no_public_rdp(group: Json, view: AccountView) -> Outcome:
    """RDP exposed to the internet is a leading ransomware entry point: password spraying against
    Windows accounts and pre-authentication RDP vulnerabilities (BlueKeep) need nothing but the open port."""
    return _port_outcome(group, RDP_PORTS, "RDP", view)


@check(
    "ec2_sg_no_public_vnc",
    title="Security group does not allow VNC (5500, 5900-5910) from the internet",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=_admin_remediation("VNC", VNC_PORTS),
)
def ec2_sg_no_public_vnc(group: Json, view: AccountView) -> Outcome:
    """VNC gives full desktop control, often with a short shared password or none and without
    encryption; servers open to the internet are indexed by search engines and taken over by hand."""
    return _port_outcome(group, VNC_PORTS, "VNC", view)


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
def ec2_sg_no_public_database_ports(group: Json, settings: Settings, view: AccountView) -> Outcome:
    """A database listener reachable from the internet puts the data itself one credential away, and
    several engines (Redis, Memcached, Elasticsearch, MongoDB, CouchDB) ship without authentication
    or are often run so: mass scans find and wipe or ransom them within hours. Critical, because
    the exposed asset is the data, not a host; the application tier is the only legitimate client.

    The ports are the `database_ports` setting."""
    return _port_outcome(group, _named(settings.database_ports, DATABASE_PORTS, "database"), "database", view)


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


@check(
    "ec2_sg_no_public_cifs",
    title="Security group does not allow CIFS/SMB (445) from the internet",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=Remediation(
        console=(
            "EC2 console > Network & Security > Security Groups > select {GroupId}",
            "Inbound rules > Edit inbound rules",
            "Delete the rules for TCP 445 (or All traffic) whose source is 0.0.0.0/0 or ::/0; allow 445 "
            "only from the file-server clients' security group or private ranges (reach it over VPN)",
            "Save rules",
        ),
        cli=_revoke_cli([(445, 445)]),
        terraform='resource "aws_vpc_security_group_ingress_rule" "smb" {\n'
                  "  security_group_id            = aws_security_group.file_server.id\n"
                  '  ip_protocol                  = "tcp"\n'
                  "  from_port                    = 445\n"
                  "  to_port                      = 445\n"
                  "  referenced_security_group_id = aws_security_group.clients.id\n"
                  "}",
    ),
)
def ec2_sg_no_public_cifs(group: Json, view: AccountView) -> Outcome:
    """SMB on the internet is how WannaCry and NotPetya spread: the protocol has a long history of
    pre-authentication remote code execution, and Windows shares leak NTLM hashes to anyone who
    connects. File sharing belongs to trusted networks (CIS 6.1.2)."""
    return _port_outcome(group, CIFS_PORTS, "CIFS", view)


def _minus(low: int, high: int, allowed: Iterable[int]) -> list[tuple[int, int]]:
    """The spans of low..high left once the `allowed` ports are taken out."""
    spans: list[tuple[int, int]] = []
    start = low
    for port in sorted(p for p in set(allowed) if low <= p <= high):
        if port > start:
            spans.append((start, port - 1))
        start = port + 1
    if start <= high:
        spans.append((start, high))
    return spans


def _beyond_public(permission: Json, public: Iterable[int]) -> str:
    """What this permission lets in besides the public ports ("" if nothing): "TCP 22, 8080-8090"."""
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol == ALL_TRAFFIC:
        return "all traffic"
    if protocol in ICMP:  # no ports; path MTU discovery needs some ICMP from anywhere
        return ""
    if protocol in TCP or protocol in UDP:
        # A missing bound is read as the widest range, as in _opened_ports.
        low, high = permission.get("FromPort", 0), permission.get("ToPort", 65535)
        spans = _minus(low, high, public)
        if not spans:
            return ""
        label = "TCP" if protocol in TCP else "UDP"
        return f"{label} " + ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
    return f"protocol {protocol}"  # GRE, ESP, SCTP ...: every packet of it


@check(
    "ec2_sg_no_public_all_traffic",
    title="Security group opens no port to the internet except the public ones (80, 443 by default)",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=Remediation(
        console=(
            "EC2 console > Network & Security > Security Groups > select {GroupId}",
            "Inbound rules > Edit inbound rules",
            "For every rule whose source is 0.0.0.0/0 or ::/0: keep it only for the ports meant to be "
            "public (80, 443); replace All traffic and port ranges by the exact ports the service needs, "
            "with a narrower source (a security group, the company ranges)",
            "Save rules; if a further port is public by design, add it to public_ports in awsaudit.toml",
        ),
        cli="aws ec2 describe-security-group-rules --filters Name=group-id,Values={GroupId} --query "
            "'SecurityGroupRules[?!IsEgress && (CidrIpv4==`\"0.0.0.0/0\"` || CidrIpv6==`\"::/0\"`)]"
            ".[SecurityGroupRuleId,IpProtocol,FromPort,ToPort]' --output table && "
            "aws ec2 revoke-security-group-ingress --group-id {GroupId} --security-group-rule-ids RULE_ID",
        terraform="# Open only the public ports to the internet; everything else from named sources.\n"
                  'resource "aws_vpc_security_group_ingress_rule" "https" {\n'
                  "  security_group_id = aws_security_group.web.id\n"
                  '  ip_protocol       = "tcp"\n'
                  "  from_port         = 443\n"
                  "  to_port           = 443\n"
                  '  cidr_ipv4         = "0.0.0.0/0"\n'
                  "}",
    ),
)
def ec2_sg_no_public_all_traffic(group: Json, settings: Settings) -> Outcome:
    """Default deny (NET-4): traffic from the internet should reach only what is meant to be public.
    An "All traffic" rule or a wide port range from 0.0.0.0/0 exposes every service the host runs
    now or later (debug endpoints, metrics, admin consoles, a database started for a test), so the
    security group no longer limits anything.

    Decision: an ingress rule from 0.0.0.0/0 or ::/0 fails when it opens anything beyond the
    `public_ports` setting (80 and 443 by default, TCP or UDP): all traffic, other ports, or other
    protocols. ICMP is not counted (it has no ports, and path MTU discovery needs it). Rules from
    narrower CIDRs, security groups and prefix lists are left to NET-5 and the port checks; egress
    is not judged (AWS opens it on every group by default). Default groups with any rule are
    judged by ec2_default_sg_restricts_all, which also serves NET-4.
    """
    public = settings.public_ports
    offending: list[tuple[Json, str, tuple[str, ...]]] = []
    for permission in need(group, "IpPermissions"):
        cidrs = _internet_cidrs(permission)
        if cidrs and (beyond := _beyond_public(permission, public)):
            offending.append((permission, beyond, cidrs))
    listed = ", ".join(map(str, sorted(public))) or "none"
    if not offending:
        return ok(f"Nothing beyond the public ports ({listed}) is open to 0.0.0.0/0 or ::/0",
                  evidence={**_identity(group), "IpPermissions": need(group, "IpPermissions"),
                            "public_ports": sorted(public)})
    what = "; ".join(dict.fromkeys(beyond for _, beyond, _ in offending))
    sources = ", ".join(sorted({c for _, _, found in offending for c in found}))
    return fail(f"{what} open to {sources} (public ports: {listed})",
                evidence={**_identity(group), "IpPermissions": [p for p, _, _ in offending],
                          "public_ports": sorted(public)})


def _inside(cidr: str, company: AddressSet) -> bool:
    """Is every address of `cidr` in some company range? Exact set arithmetic: a source spanning
    two adjacent or overlapping company ranges is inside, one reaching past them is not."""
    return not AddressSet.of([cidr]).difference(company)


@check(
    "ec2_sg_admin_ports_company_only",
    title="Security group opens admin and database ports only to the company's IP ranges",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.security_groups",
    remediation=Remediation(
        console=(
            "EC2 console > Network & Security > Security Groups > select {GroupId}",
            "Inbound rules > Edit inbound rules",
            "For SSH, RDP, WinRM and VNC rules, set the source to a company range (office, VPN egress) "
            "or to the bastion's security group; delete rules from any other CIDR",
            "Save rules; prefer SSM Session Manager, which needs no inbound admin port at all",
        ),
        cli="aws ec2 revoke-security-group-ingress --group-id {GroupId} --protocol tcp --port 22 "
            "--cidr OUTSIDE_CIDR && aws ec2 authorize-security-group-ingress --group-id {GroupId} "
            "--protocol tcp --port 22 --cidr COMPANY_CIDR",
        terraform='resource "aws_vpc_security_group_ingress_rule" "ssh_from_office" {\n'
                  "  security_group_id = aws_security_group.this.id\n"
                  '  ip_protocol       = "tcp"\n'
                  "  from_port         = 22\n"
                  "  to_port           = 22\n"
                  '  cidr_ipv4         = "203.0.113.0/24" # company_cidrs\n'
                  "}",
    ),
)
def ec2_sg_admin_ports_company_only(group: Json, settings: Settings) -> Outcome:
    """Administrative interfaces (SSH, RDP, WinRM, VNC) are the most attacked entry points; limited
    to the networks the company administers from (NET-5), a stolen credential or an unpatched
    daemon is out of reach from everywhere else, a partner network and a forgotten VPN range included.
    Database listeners (the `database_ports` setting) are held to the same rule: only the
    company's own networks (and application groups) may reach them.

    A CIDR source (IPv4 or IPv6) with any address outside the `company_cidrs` ranges fails (exact
    set arithmetic: nested and overlapping ranges count together), internal ranges too
    (list the VPC and VPN ranges among the company ranges if admins connect from them). Security
    group sources are internal and not judged. A prefix list's entries are not collected: MANUAL.
    With no company ranges configured, only the whole internet is a certain failure; any other
    source is MANUAL ("configure company ranges"); a group that opens no admin port to any CIDR
    passes either way, as no range setting could change that.
    """
    company = AddressSet.of(settings.company_cidrs)
    names = {**_named(settings.database_ports, DATABASE_PORTS, "database"),
             **_named(settings.admin_ports, ADMIN_NAMES, "admin")}
    outside: list[tuple[Json, tuple[int, ...], list[str]]] = []
    prefix_lists: list[tuple[Json, tuple[int, ...], list[str]]] = []
    for permission in need(group, "IpPermissions"):
        ports = _opened_ports(permission, names)
        if not ports:
            continue
        cidrs = [r["CidrIp"] for r in permission.get("IpRanges", []) if "CidrIp" in r]
        cidrs += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if "CidrIpv6" in r]
        if foreign := [c for c in cidrs if not _inside(c, company)]:
            outside.append((permission, ports, foreign))
        if lists := [p["PrefixListId"] for p in permission.get("PrefixListIds", []) if "PrefixListId" in p]:
            prefix_lists.append((permission, ports, lists))
    evidence = {**_identity(group), "company_cidrs": list(settings.company_cidrs),
                "IpPermissions": [p for p, _, _ in outside + prefix_lists]}

    def describe(found: list[tuple[Json, tuple[int, ...], list[str]]]) -> str:
        return "; ".join(f"{_service_ports(ports, names)} from {', '.join(sources)}"
                         for _, ports, sources in found)

    world = [(p, ports, [c for c in cidrs if _is_internet(c)]) for p, ports, cidrs in outside]
    world = [entry for entry in world if entry[2]]
    if world or (company and outside):
        found = outside if company else world
        return fail(f"Admin/database ports open outside the company ranges: {describe(found)}",
                    evidence=evidence)
    if outside:
        return manual(f"Admin/database ports open to {describe(outside)}: {CONFIGURE_COMPANY} to decide",
                      evidence=evidence)
    if prefix_lists:
        return manual(f"Admin/database ports open to prefix lists ({describe(prefix_lists)}): check that "
                      "their entries are company ranges", evidence=evidence)
    scope = "outside the company ranges" if company else "to any CIDR"
    return ok(f"No admin or database port is open {scope}",
              evidence={**evidence, "IpPermissions": need(group, "IpPermissions")})


def _service_ports(ports: Iterable[int], names: Mapping[int, str]) -> str:
    by_service: dict[str, list[int]] = {}
    for port in sorted(set(ports)):
        by_service.setdefault(names[port], []).append(port)
    return ", ".join(f"{service} {_ranges(found)}" for service, found in by_service.items())
