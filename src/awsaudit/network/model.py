"""The network pieces of one region, typed: interfaces, subnets, route tables, network ACLs,
security groups, internet gateways and prefix lists, built from the collected ec2 data alone.

`build_region(data)` takes the region's ec2 collections as the collector stored them. A
collection it needs but that is absent is a `NetworkDataMissing` naming it (the check layer
turns that into UNKNOWN with the recorded reason); managed prefix lists are optional: when they
were not collected, a rule or route naming one is an uncertainty carried into every verdict
that depends on it, never a silent "unreachable".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from awsaudit.network.ports import AddressSet, Network, network, protocol

if TYPE_CHECKING:
    from awsaudit.network.balancers import Balancer, Target

REQUIRED = ("network_interfaces", "subnets", "route_tables", "network_acls", "internet_gateways",
            "security_groups")
"""The ec2 collections without which no reachability verdict can be given."""
PREFIX_LISTS = "prefix_lists"


class NetworkDataMissing(Exception):  # noqa: N818 - a gap in the data, like checks' Missing
    """A collection the model needs is not in the region's data."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SgRule:
    """One ingress permission of a security group, with its sources split by kind."""

    group: str
    protocol: str
    low: int
    high: int
    cidrs: AddressSet
    prefix_lists: tuple[str, ...]
    groups: tuple[str, ...]
    raw: Any

    def admits(self, proto: str, port: int) -> bool:
        if self.protocol == "-1":
            return True
        return self.protocol == proto and self.low <= port <= self.high


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    name: str
    vpc: str
    arn: str
    ingress: tuple[SgRule, ...]


@dataclass(frozen=True, slots=True)
class NaclEntry:
    number: int
    egress: bool
    protocol: str
    low: int
    high: int
    allow: bool
    cidr: Network

    def matches(self, proto: str, port: int) -> bool:
        if self.protocol == "-1":
            return True
        return self.protocol == proto and self.low <= port <= self.high

    def text(self) -> str:
        ports = "all" if self.protocol == "-1" else f"{_label(self.protocol)} {self.low}-{self.high}"
        return f"rule {self.number} {'allow' if self.allow else 'deny'} {self.cidr} {ports}"


@dataclass(frozen=True, slots=True)
class Nacl:
    id: str
    vpc: str
    default: bool
    subnets: tuple[str, ...]
    entries: tuple[NaclEntry, ...]
    """Sorted by rule number: the first matching entry decides, per packet."""

    def direction(self, egress: bool) -> tuple[NaclEntry, ...]:
        return tuple(e for e in self.entries if e.egress is egress)


@dataclass(frozen=True, slots=True)
class Route:
    destination: Network | None
    prefix_list: str | None
    target: str
    """The gateway, NAT, peering, ... id the route sends to ("local" for the VPC itself)."""
    active: bool


@dataclass(frozen=True, slots=True)
class RouteTable:
    id: str
    vpc: str
    main: bool
    subnets: tuple[str, ...]
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class Interface:
    id: str
    arn: str
    vpc: str
    subnet: str
    kind: str
    """InterfaceType (interface, nat_gateway, lambda, network_load_balancer, ...)."""
    description: str
    attached_to: str
    """The instance id, or who manages it (RequesterId, e.g. amazon-rds), or ""."""
    name: str
    groups: tuple[str, ...]
    public_ipv4: str | None
    ipv6: tuple[str, ...]
    private_ip: str
    listeners: tuple[tuple[str, int], ...] | None = None
    """A load balancer node: the (protocol, port) it answers on; None for any other interface."""
    balancer: str = ""

    @property
    def label(self) -> str:
        what = self.attached_to or self.kind
        return f"{self.name} ({what})" if self.name and self.name != what else what or self.id


@dataclass(slots=True)
class RegionNetwork:
    """Everything reachability needs in one region, indexed by id."""

    region: str
    interfaces: dict[str, Interface] = field(default_factory=dict)
    groups: dict[str, SecurityGroup] = field(default_factory=dict)
    subnets: dict[str, str] = field(default_factory=dict)
    """subnet id -> VPC id"""
    route_tables: list[RouteTable] = field(default_factory=list)
    nacls: list[Nacl] = field(default_factory=list)
    gateways: dict[str, frozenset[str]] = field(default_factory=dict)
    """internet gateway id -> the VPCs it is attached to"""
    prefix_lists: dict[str, AddressSet] | None = None
    """id -> entries; None when prefix lists were not collected."""
    prefix_list_gap: str = ""
    subnet_cidrs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    balancers: list[Balancer] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    """Load balancer targets the balancer lets in (see balancers.py): reachable through it only."""
    balancer_gaps: list[str] = field(default_factory=list)

    def route_table(self, subnet: str) -> RouteTable | None:
        """The subnet's explicit association, else its VPC's main route table."""
        vpc = self.subnets.get(subnet, "")
        for table in self.route_tables:
            if subnet in table.subnets:
                return table
        return next((t for t in self.route_tables if t.main and t.vpc == vpc), None)

    def nacl(self, subnet: str) -> Nacl | None:
        """The subnet's network ACL (every subnet has one; the VPC's default when none was chosen)."""
        vpc = self.subnets.get(subnet, "")
        for acl in self.nacls:
            if subnet in acl.subnets:
                return acl
        return next((a for a in self.nacls if a.default and a.vpc == vpc), None)

    def attached(self, group: str) -> list[Interface]:
        return [i for i in self.interfaces.values() if group in i.groups]


def _label(proto: str) -> str:
    return {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(proto, f"protocol {proto}")


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    if key not in data:
        reason = (data.get("_errors") or {}).get(key, "not collected")
        raise NetworkDataMissing(key, str(reason))
    value = data[key]
    if not isinstance(value, list):
        raise NetworkDataMissing(key, f"malformed ({type(value).__name__})")
    return value


def _name(item: Mapping[str, Any]) -> str:
    tags = item.get("Tags") or item.get("TagSet") or []
    return next((str(t.get("Value")) for t in tags if t.get("Key") == "Name"), "")


def _sg_rules(group: Mapping[str, Any]) -> tuple[SgRule, ...]:
    rules = []
    for permission in group.get("IpPermissions") or []:
        proto = protocol(permission.get("IpProtocol", ""))
        # A TCP/UDP permission without bounds is read as every port (the widest reading).
        low = int(permission.get("FromPort", 0)) if proto != "-1" else 0
        high = int(permission.get("ToPort", 65535)) if proto != "-1" else 65535
        if proto in {"6", "17"} and (low < 0 or high < 0):
            low, high = 0, 65535
        cidrs = [r["CidrIp"] for r in permission.get("IpRanges") or [] if "CidrIp" in r]
        cidrs += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges") or [] if "CidrIpv6" in r]
        rules.append(SgRule(
            str(group.get("GroupId")), proto, low, high, AddressSet.of(cidrs),
            tuple(p["PrefixListId"] for p in permission.get("PrefixListIds") or [] if "PrefixListId" in p),
            tuple(p["GroupId"] for p in permission.get("UserIdGroupPairs") or [] if "GroupId" in p),
            permission))
    return tuple(rules)


def _nacl_entry(entry: Mapping[str, Any]) -> NaclEntry | None:
    cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
    if not cidr:
        return None
    ports = entry.get("PortRange") or {}
    return NaclEntry(int(entry.get("RuleNumber", 0)), bool(entry.get("Egress")),
                     protocol(entry.get("Protocol", "-1")), int(ports.get("From", 0)),
                     int(ports.get("To", 65535)), entry.get("RuleAction") == "allow", network(cidr))


_TARGETS = ("GatewayId", "EgressOnlyInternetGatewayId", "NatGatewayId", "TransitGatewayId",
            "VpcPeeringConnectionId", "NetworkInterfaceId", "InstanceId", "LocalGatewayId",
            "CarrierGatewayId", "CoreNetworkArn", "VpcEndpointId")


def _route(route: Mapping[str, Any]) -> Route:
    cidr = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
    target = next((str(route[k]) for k in _TARGETS if route.get(k)), "")
    return Route(network(cidr) if cidr else None, route.get("DestinationPrefixListId"), target,
                 route.get("State", "active") != "blackhole")


def build_region(region: str, data: Mapping[str, Any]) -> RegionNetwork:
    """The region's network from its ec2 collections; NetworkDataMissing if one is absent."""
    net = RegionNetwork(region)
    for item in _list(data, "security_groups"):
        net.groups[item["GroupId"]] = SecurityGroup(item["GroupId"], str(item.get("GroupName", "")),
                                                    str(item.get("VpcId", "")), str(item.get("_arn", "")),
                                                    _sg_rules(item))
    for item in _list(data, "subnets"):
        net.subnets[item["SubnetId"]] = str(item.get("VpcId", ""))
        ipv6 = [a["Ipv6CidrBlock"] for a in item.get("Ipv6CidrBlockAssociationSet") or []
                if a.get("Ipv6CidrBlock")]
        net.subnet_cidrs[item["SubnetId"]] = (*([item["CidrBlock"]] if item.get("CidrBlock") else []), *ipv6)
    for item in _list(data, "route_tables"):
        associations = item.get("Associations") or []
        net.route_tables.append(RouteTable(
            item["RouteTableId"], str(item.get("VpcId", "")), any(a.get("Main") for a in associations),
            tuple(a["SubnetId"] for a in associations if a.get("SubnetId")),
            tuple(_route(r) for r in item.get("Routes") or [])))
    for item in _list(data, "network_acls"):
        entries = sorted(filter(None, map(_nacl_entry, item.get("Entries") or [])), key=lambda e: e.number)
        subnets = tuple(a["SubnetId"] for a in item.get("Associations") or [] if a.get("SubnetId"))
        net.nacls.append(Nacl(item["NetworkAclId"], str(item.get("VpcId", "")), bool(item.get("IsDefault")),
                              subnets, tuple(entries)))
    for item in _list(data, "internet_gateways"):
        net.gateways[item["InternetGatewayId"]] = frozenset(
            a["VpcId"] for a in item.get("Attachments") or []
            if a.get("VpcId") and a.get("State", "available") in {"available", "attached"})
    # Interfaces rarely carry a Name tag; their instance usually does (instances are optional).
    instance_names = {i.get("InstanceId"): _name(i) for i in data.get("instances") or []
                      if isinstance(i, dict)}
    for item in _list(data, "network_interfaces"):
        association = item.get("Association") or {}
        attachment = item.get("Attachment") or {}
        net.interfaces[item["NetworkInterfaceId"]] = Interface(
            item["NetworkInterfaceId"], str(item.get("_arn", "")), str(item.get("VpcId", "")),
            str(item.get("SubnetId", "")), str(item.get("InterfaceType", "interface")),
            str(item.get("Description", "")),
            str(attachment.get("InstanceId") or item.get("RequesterId") or ""),
            _name(item) or instance_names.get(attachment.get("InstanceId"), ""),
            tuple(g["GroupId"] for g in item.get("Groups") or [] if "GroupId" in g),
            association.get("PublicIp"),
            tuple(a["Ipv6Address"] for a in item.get("Ipv6Addresses") or [] if "Ipv6Address" in a),
            str(item.get("PrivateIpAddress", "")))
    if PREFIX_LISTS in data and isinstance(data[PREFIX_LISTS], list):
        net.prefix_lists = {}
        for item in data[PREFIX_LISTS]:
            if "Entries" in item:
                net.prefix_lists[item["PrefixListId"]] = AddressSet.of(
                    e["Cidr"] for e in item["Entries"] or [] if e.get("Cidr"))
    else:
        net.prefix_list_gap = str((data.get("_errors") or {}).get(PREFIX_LISTS, "not collected"))
    return net
