"""Network checks beyond security groups: network ACLs, peering routes, VPC endpoints, and the
instance metadata service."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from awsaudit.checks._registry import check, need
from awsaudit.checks._view import AccountView
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, manual, ok

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

NACL_ADMIN_PORTS: Mapping[int, str] = {22: "SSH", 3389: "RDP"}
"""CIS 6.2 names the remote administration ports 22 and 3389."""
NACL_TCP = frozenset({"6", "tcp"})
ALL_PROTOCOLS = "-1"

INFRASTRUCTURE_INTERFACES = frozenset({
    "vpc_endpoint", "nat_gateway", "natGateway", "transit_gateway", "gateway_load_balancer_endpoint",
})
"""Interface types AWS creates for plumbing, not workloads (InterfaceType of DescribeNetworkInterfaces)."""


def regional(resource: Json, account: Json, service: str, key: str) -> Any:
    """Another collection of the resource's own region (from its ARN), read like need() reads a key."""
    region = str(resource.get("_arn", "")).split(":")[3:4]
    where = region[0] if region else ""
    return AccountView.of(account).collection(f"{service}.{key}", where)


def _network(cidr: str | None) -> Network | None:
    return ipaddress.ip_network(cidr, strict=False) if cidr else None


# --- CIS 6.2: network ACLs -------------------------------------------------------------------------

def _entry_network(entry: Json) -> Network | None:
    return _network(entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"))


def _entry_admits(entry: Json, port: int) -> bool:
    """Does this entry apply to TCP traffic to `port`? (A TCP entry without a range: all ports.)"""
    protocol = str(entry.get("Protocol", "")).lower()
    if protocol == ALL_PROTOCOLS:
        return True
    if protocol not in NACL_TCP:
        return False
    ports = entry.get("PortRange") or {}
    return int(ports.get("From", 0)) <= port <= int(ports.get("To", 65535))


def _covers_everything(networks: list[Network]) -> bool:
    """Do these networks together span a whole address family (0.0.0.0/1 + 128.0.0.0/1 do)?"""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(v4)) or any(
        n.prefixlen == 0 for n in ipaddress.collapse_addresses(v6))


def world_allows(acl: Json, port: int) -> list[tuple[Json, list[Json]]]:
    """Inbound allow entries for 0.0.0.0/0 or ::/0 that still decide some traffic to TCP `port`,
    each with the earlier entries for that port that it comes after.

    NACL entries are evaluated in ascending rule number and the first match decides, per packet.
    An allow for the whole internet is harmless only when earlier entries for the same port
    (allow or deny) already decide every address of that family: a deny 0.0.0.0/0 on 22 at rule
    90 makes an allow-all at rule 100 unreachable for port 22, a deny for one /24 does not.
    Earlier narrower allows are not counted as "the internet", as in the security group checks.
    """
    inbound = sorted((e for e in need(acl, "Entries", list) if not e.get("Egress")),
                     key=lambda e: int(e.get("RuleNumber", 0)))
    found: list[tuple[Json, list[Json]]] = []
    for version in (4, 6):
        earlier: list[tuple[Json, Network]] = []
        for entry in inbound:
            network = _entry_network(entry)
            if network is None or network.version != version or not _entry_admits(entry, port):
                continue
            if entry.get("RuleAction") == "allow" and network.prefixlen == 0:
                if not _covers_everything([n for _, n in earlier]):
                    found.append((entry, [e for e, _ in earlier]))
                break
            earlier.append((entry, network))
            if network.prefixlen == 0:  # a deny for everything: later entries are never reached
                break
    return found


@check(
    "ec2_nacl_no_public_admin_ports",
    title="Network ACL does not allow ingress from 0.0.0.0/0 or ::/0 to SSH (22) or RDP (3389)",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.network_acls",
    remediation=Remediation(
        console=(
            "VPC console > Security > Network ACLs > select {NetworkAclId} > Inbound rules > Edit",
            "Add DENY entries for TCP 22 and TCP 3389 from 0.0.0.0/0 and ::/0 with rule numbers lower "
            "than the allow-all entry, or replace the allow-all entry by allows for the ports the "
            "subnets serve (and an allow for the company ranges on 22/3389 before the deny)",
            "Save; keep return traffic (ephemeral ports 1024-65535) allowed, as NACLs are stateless",
        ),
        cli="aws ec2 create-network-acl-entry --network-acl-id {NetworkAclId} --ingress --rule-number 10 "
            "--protocol tcp --port-range From=22,To=22 --cidr-block 0.0.0.0/0 --rule-action deny && "
            "aws ec2 create-network-acl-entry --network-acl-id {NetworkAclId} --ingress --rule-number 11 "
            "--protocol tcp --port-range From=3389,To=3389 --cidr-block 0.0.0.0/0 --rule-action deny && "
            "aws ec2 create-network-acl-entry --network-acl-id {NetworkAclId} --ingress --rule-number 12 "
            "--protocol tcp --port-range From=22,To=22 --ipv6-cidr-block ::/0 --rule-action deny && "
            "aws ec2 create-network-acl-entry --network-acl-id {NetworkAclId} --ingress --rule-number 13 "
            "--protocol tcp --port-range From=3389,To=3389 --ipv6-cidr-block ::/0 --rule-action deny",
        terraform='resource "aws_network_acl_rule" "deny_ssh" {\n'
                  "  network_acl_id = aws_network_acl.this.id\n"
                  "  rule_number    = 10\n"
                  "  egress         = false\n"
                  '  protocol       = "tcp"\n'
                  '  rule_action    = "deny"\n'
                  '  cidr_block     = "0.0.0.0/0"\n'
                  "  from_port      = 22\n"
                  "  to_port        = 22\n"
                  "}\n"
                  "# ... the same for 3389, and for ::/0 with ipv6_cidr_block",
    ),
)
def ec2_nacl_no_public_admin_ports(acl: Json) -> Outcome:
    """A network ACL is the subnet-wide layer under the security groups: an allow-all from the
    internet there leaves SSH and RDP guarded by the security groups alone, so one permissive
    group (or one added by mistake) exposes the hosts. Denying the admin ports in the NACL keeps
    a second, independent barrier (CIS 6.2). AWS creates every VPC's default NACL with an
    allow-all inbound entry, so this fails until someone hardens it; the usual inbound allow of
    ephemeral ports 1024-65535 from anywhere (for return traffic) includes RDP 3389 too, so it
    needs a deny for 3389 before it.
    """
    exposures = [(port, entry, earlier)
                 for port in NACL_ADMIN_PORTS for entry, earlier in world_allows(acl, port)]
    identity = {key: acl.get(key) for key in ("NetworkAclId", "VpcId", "IsDefault")}
    identity["Subnets"] = [a.get("SubnetId") for a in acl.get("Associations", [])]
    inbound = [e for e in need(acl, "Entries", list) if not e.get("Egress")]
    if not exposures:
        return ok("No inbound entry lets 0.0.0.0/0 or ::/0 reach SSH 22 or RDP 3389",
                  evidence={**identity, "Entries": inbound})
    parts: dict[str, list[str]] = {}
    for port, entry, earlier in exposures:
        cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
        label = f"entry {entry.get('RuleNumber')} allows {cidr}"
        if earlier:
            label += f" (after entries {', '.join(str(e.get('RuleNumber')) for e in earlier)})"
        parts.setdefault(label, []).append(f"{NACL_ADMIN_PORTS[port]} {port}")
    message = "; ".join(f"{label} to {', '.join(ports)}" for label, ports in parts.items())
    deciding = {id(e): e for _, entry, earlier in exposures for e in (*earlier, entry)}
    entries = sorted(deciding.values(), key=lambda e: int(e.get("RuleNumber", 0)))
    return fail(message[0].upper() + message[1:], evidence={**identity, "Entries": entries})


# --- CIS 6.6: peering routes -----------------------------------------------------------------------

def _peer_networks(side: Json) -> list[Network]:
    cidrs = [b.get("CidrBlock") for b in side.get("CidrBlockSet") or []] + [side.get("CidrBlock")]
    cidrs += [b.get("Ipv6CidrBlock") for b in side.get("Ipv6CidrBlockSet") or []]
    return list({n for n in map(_network, cidrs) if n is not None})


def _judge_route(route: Json, peer: list[Network]) -> tuple[str, str]:
    """(verdict, reason) for one route to a peering connection: "fail", "manual" or "ok"."""
    cidr = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
    if cidr is None:
        return "manual", f"prefix list {route.get('DestinationPrefixListId')}: check its entries"
    destination = ipaddress.ip_network(cidr, strict=False)
    if destination.prefixlen == 0:
        return "fail", f"{cidr} routes everything to the peer"
    same_family = [p for p in peer if p.version == destination.version]
    if any(destination != p and p.subnet_of(destination) for p in same_family):  # type: ignore[arg-type]
        return "fail", f"{cidr} is wider than the peer VPC's CIDR"
    if destination in same_family:
        return "manual", f"{cidr} is the peer VPC's whole CIDR: check that every subnet must be reachable"
    if any(destination.subnet_of(p) for p in same_family):  # type: ignore[arg-type]
        return "ok", f"{cidr} is part of the peer VPC"
    return "manual", f"{cidr} is not among the peer VPC's CIDRs"


@check(
    "vpc_peering_routes_least_access",
    title="Routes to a VPC peering connection cover only the peer subnets that must be reached",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.vpc_peering_connections",
    remediation=Remediation(
        console=(
            "VPC console > Route tables: find the routes whose target is the peering connection {id}",
            "Replace a route to 0.0.0.0/0, to a wide range or to the peer's whole CIDR by routes to the "
            "peer subnets (or hosts, /32) the workload needs",
            "Do the same on the peer side, and restrict the security groups to the peered addresses",
        ),
        cli="aws ec2 delete-route --route-table-id RTB_ID --destination-cidr-block WIDE_CIDR && "
            "aws ec2 create-route --route-table-id RTB_ID --destination-cidr-block PEER_SUBNET_CIDR "
            "--vpc-peering-connection-id {id}",
        terraform='resource "aws_route" "to_peer_subnet" {\n'
                  "  route_table_id            = aws_route_table.app.id\n"
                  '  destination_cidr_block    = "10.30.1.0/24" # the peer subnet, not the peer VPC\n'
                  "  vpc_peering_connection_id = aws_vpc_peering_connection.shared.id\n"
                  "}",
    ),
)
def vpc_peering_routes_least_access(peering: Json, account: Json) -> Outcome:
    """A peering connection joins two networks; its routes decide how much of each is reachable
    from the other. Routing the whole peer VPC (or more) where one subnet is needed turns a
    compromise on either side into access to everything on the other (CIS 6.6).

    Decision, per active peering connection and the route tables of this account in its region:
    a route to 0.0.0.0/0 or ::/0, or one wider than the peer VPC's CIDR, fails; a route to the
    peer's whole CIDR (or to a prefix list, or to addresses outside the peer's CIDRs) is MANUAL:
    whether every subnet must be reachable is a design question; routes to parts of the peer
    pass. The other account's routes of a cross-account peering are judged in that account.
    """
    status = (peering.get("Status") or {}).get("Code")
    summary = {"VpcPeeringConnectionId": peering.get("VpcPeeringConnectionId"), "Status": status,
               "RequesterVpc": _side(peering.get("RequesterVpcInfo") or {}),
               "AccepterVpc": _side(peering.get("AccepterVpcInfo") or {})}
    if status != "active":
        return ok(f"Peering connection is {status}: it carries no traffic", evidence=summary)
    route_tables = regional(peering, account, "ec2", "route_tables")
    pcx = peering.get("VpcPeeringConnectionId")
    requester = (peering.get("RequesterVpcInfo") or {}).get("VpcId")
    judged: list[tuple[str, str, Json]] = []
    for table in route_tables:
        peer_side = "AccepterVpcInfo" if table.get("VpcId") == requester else "RequesterVpcInfo"
        peer = _peer_networks(peering.get(peer_side) or {})
        for route in table.get("Routes", []):
            if route.get("VpcPeeringConnectionId") == pcx:
                verdict, reason = _judge_route(route, peer)
                judged.append((verdict, reason, {"RouteTableId": table.get("RouteTableId"),
                                                 "VpcId": table.get("VpcId"), **route}))
    evidence = {**summary, "Routes": [route for _, _, route in judged]}
    if not judged:
        return ok("No route table of this account in this region sends traffic over the peering",
                  evidence=evidence)
    for verdict, outcome in (("fail", fail), ("manual", manual)):
        reasons = [f"{r['RouteTableId']}: {reason}" for v, reason, r in judged if v == verdict]
        if reasons:
            return outcome("; ".join(dict.fromkeys(reasons)), evidence)
    return ok(f"{len(judged)} route(s) reach only parts of the peer VPC", evidence=evidence)


def _side(info: Json) -> Json:
    return {key: info.get(key) for key in ("VpcId", "OwnerId", "Region", "CidrBlock")}


# --- CIS 6.8: VPC endpoints ------------------------------------------------------------------------

def _service(endpoint: Json) -> str:
    """com.amazonaws.eu-west-1.s3 -> s3 (also cn.com.amazonaws... in China)."""
    return str(endpoint.get("ServiceName", "")).rsplit(".", 1)[-1]


@check(
    "vpc_s3_endpoint_used",
    title="VPC with workloads reaches S3 through a VPC endpoint",
    severity=Severity.LOW,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.vpcs",
    remediation=Remediation(
        console=(
            "VPC console > Endpoints > Create endpoint",
            "Service category AWS services; choose com.amazonaws.{region}.s3 of type Gateway (free)",
            "Select VPC {VpcId} and the route tables of its subnets; keep or tighten the endpoint policy",
            "Add a DynamoDB gateway endpoint the same way if the workloads use DynamoDB",
        ),
        cli="aws ec2 create-vpc-endpoint --vpc-id {VpcId} --vpc-endpoint-type Gateway "
            "--service-name com.amazonaws.{region}.s3 --route-table-ids RTB_ID [RTB_ID ...]",
        terraform='resource "aws_vpc_endpoint" "s3" {\n'
                  "  vpc_id            = aws_vpc.main.id\n"
                  '  service_name      = "com.amazonaws.${var.region}.s3"\n'
                  '  vpc_endpoint_type = "Gateway"\n'
                  "  route_table_ids   = aws_route_table.private[*].id\n"
                  "}",
    ),
)
def vpc_s3_endpoint_used(vpc: Json, account: Json) -> Outcome:
    """Without an endpoint, traffic from the VPC to AWS services goes out through an internet or
    NAT gateway: data leaves the private network, NAT costs grow, and bucket policies cannot pin
    access to the VPC (aws:SourceVpce), so stolen credentials work from anywhere (CIS 6.8).

    Decision: S3 is the service nearly every workload uses, so a VPC with workloads (a network
    interface other than endpoints and gateways) needs an S3 endpoint (gateway or interface) to
    pass. Which other services the workloads call is not visible in the configuration: the
    evidence lists every endpoint of the VPC for that review. A VPC without workloads passes.
    """
    vpc_id = vpc.get("VpcId")
    interfaces = [i for i in regional(vpc, account, "ec2", "network_interfaces")
                  if i.get("VpcId") == vpc_id and i.get("InterfaceType") not in INFRASTRUCTURE_INTERFACES]
    endpoints = [{key: e.get(key) for key in ("VpcEndpointId", "ServiceName", "VpcEndpointType", "State")}
                 for e in regional(vpc, account, "ec2", "vpc_endpoints") if e.get("VpcId") == vpc_id]
    live = [e for e in endpoints if str(e.get("State", "")).lower() == "available"]
    evidence = {"VpcId": vpc_id, "WorkloadInterfaces": len(interfaces), "VpcEndpoints": endpoints}
    if s3 := [e for e in live if _service(e) == "s3"]:
        others = sorted({_service(e) for e in live} - {"s3"})
        return ok(f"S3 endpoint {s3[0]['VpcEndpointId']} ({s3[0]['VpcEndpointType']})"
                  + (f"; other endpoints: {', '.join(others)}" if others else ""), evidence=evidence)
    if not interfaces:
        return ok("No workloads in this VPC (no network interface besides endpoints and gateways)",
                  evidence=evidence)
    return fail(f"{len(interfaces)} workload network interface(s) and no S3 endpoint: S3 traffic leaves "
                "the VPC through an internet or NAT gateway", evidence=evidence)


# --- CIS 6.7: IMDSv2 -------------------------------------------------------------------------------

GONE = frozenset({"terminated", "shutting-down"})


@check(
    "ec2_instance_imdsv2_required",
    title="EC2 instance requires IMDSv2 (session tokens) or has the metadata service off",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.instances",
    remediation=Remediation(
        console=(
            "EC2 console > Instances > select {InstanceId}",
            "Actions > Instance settings > Modify instance metadata options",
            "Instance metadata service: Enable; IMDSv2: Required; Save (check first that the software "
            "on the instance uses a current AWS SDK or agent)",
            "For new instances, set the account default: EC2 > Settings > Data protection and security "
            "> IMDS defaults",
        ),
        cli="aws ec2 modify-instance-metadata-options --instance-id {InstanceId} --http-tokens required "
            "--http-endpoint enabled",
        terraform='resource "aws_instance" "this" {\n'
                  "  # ...\n"
                  "  metadata_options {\n"
                  '    http_endpoint = "enabled"\n'
                  '    http_tokens   = "required"\n'
                  "  }\n"
                  "}",
    ),
)
def ec2_instance_imdsv2_required(instance: Json) -> Outcome:
    """IMDSv1 answers any plain GET to 169.254.169.254, so one server-side request forgery (SSRF)
    in a web application hands out the instance role's temporary credentials (the Capital One
    breach). IMDSv2 needs a session token obtained with a PUT and a hop limit, which SSRF and
    open proxies cannot produce (CIS 6.7). Terminated instances pass: they run nothing."""
    state = (instance.get("State") or {}).get("Name")
    identity = {"InstanceId": instance.get("InstanceId"), "State": state}
    if state in GONE:
        return ok(f"Instance is {state}", evidence=identity)
    options = need(instance, "MetadataOptions")
    evidence = {**identity, "MetadataOptions": options}
    if options.get("HttpEndpoint") == "disabled":
        return ok("The instance metadata service is disabled", evidence=evidence)
    if options.get("HttpTokens") == "required":
        return ok("IMDSv2 is required (HttpTokens required)", evidence=evidence)
    return fail(f"IMDSv1 is allowed (HttpTokens {options.get('HttpTokens')!r})", evidence=evidence)
