"""Reachability from the internet: for one interface, protocol, port and IP family, the internet
addresses whose packets get in *and* whose replies get out, with the path they take or the hop
that stops them.

The hops, in the order a packet meets them (each narrows the set of sources still in the game):
1. an address the internet can send to: a public IPv4 (auto-assigned or Elastic IP: both show as
   the interface's `Association.PublicIp`) or an IPv6 address;
2. the subnet's route table (its explicit association, else the VPC's main table) must send the
   replies for those sources to an internet gateway attached to the VPC, by longest prefix match
   (a more specific route to a NAT, a peering or a blackhole wins); an egress-only internet
   gateway lets nothing in;
3. the subnet's network ACL, inbound for the port, in rule-number order (first match decides);
4. the same ACL outbound, for the replies to the client's ephemeral ports (NACLs are stateless);
5. the union of the interface's security groups (stateful: replies need no rule): CIDRs and
   prefix lists let the internet in; a referenced group lets in only that group's members.
A load balancer node (balancers.py) answers only on its listener ports: any other port stops at
the first hop. Left out: transit gateways, VPC peering, PrivateLink, Network Firewall and Gateway
Load Balancer inspection.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from awsaudit.network.model import Interface, NaclEntry, RegionNetwork, Route
from awsaudit.network.ports import (
    ALL,
    EPHEMERAL,
    INTERNET,
    LABELS,
    NOTHING,
    TCP,
    UDP,
    AddressSet,
    span_text,
)


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of the path: what it is, its id, and what it let through (or why it stopped)."""

    kind: str
    id: str
    detail: str

    def text(self) -> str:
        return f"{self.kind} {self.id}: {self.detail}"

    def to_json(self) -> dict[str, str]:
        return {"hop": self.kind, "id": self.id, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Reach:
    """The verdict for one (interface, protocol, port, family)."""

    interface: Interface
    protocol: str
    port: int
    family: int
    sources: AddressSet
    """Internet addresses that get through every hop (empty: unreachable)."""
    path: tuple[Hop, ...]
    """The hops passed, in order; the last one is the blocking hop when `blocked` is set."""
    blocked: Hop | None
    uncertain: tuple[str, ...] = ()
    """What could not be read (a prefix list's entries, a group of another account): an
    unreachable verdict with uncertainties is not proof that nothing gets in."""

    @property
    def reachable(self) -> bool:
        return bool(self.sources)

    @property
    def proven_unreachable(self) -> bool:
        return not self.sources and not self.uncertain

    def to_json(self) -> dict[str, object]:
        address = self.interface.public_ipv4 if self.family == 4 else ", ".join(self.interface.ipv6)
        return {"interface": self.interface.id, "resource": self.interface.label, "address": address,
                "protocol": LABELS.get(self.protocol, self.protocol),
                "port": self.port, "family": f"IPv{self.family}", "reachable": self.reachable,
                "sources": self.sources.cidrs(), "path": [h.to_json() for h in self.path],
                "blocked_by": self.blocked.to_json() if self.blocked else None,
                "uncertain": list(self.uncertain)}


def _first_match(entries: tuple[NaclEntry, ...], proto: str, port: int,
                 incoming: AddressSet) -> tuple[AddressSet, list[NaclEntry], list[NaclEntry]]:
    """NACL evaluation for every source in `incoming` at once: each entry, in rule order, decides
    the sources it matches that no earlier entry decided. Returns (allowed, allows, denies)."""
    remaining, allowed = incoming, NOTHING
    allows: list[NaclEntry] = []
    denies: list[NaclEntry] = []
    for entry in entries:
        if not remaining:
            break
        if not entry.matches(proto, port):
            continue
        hit = remaining.intersection(AddressSet.of([entry.cidr]))
        if not hit:
            continue
        if entry.allow:
            allowed = allowed.union(hit)
            allows.append(entry)
        else:
            denies.append(entry)
        remaining = remaining.difference(hit)
    return allowed, allows, denies


def _return_ports(entries: tuple[NaclEntry, ...], proto: str) -> list[int]:
    """One port per stretch of the ephemeral range where every entry matches alike."""
    low, high = EPHEMERAL
    cuts = {low}
    for e in entries:
        if e.protocol == ALL:
            continue
        cuts.update(p for p in (e.low, e.high + 1) if low < p <= high)
    return sorted(cuts)


def _routed_to_gateway(
    routes: tuple[Route, ...], gateways: set[str], family: int, prefix_lists: dict[str, AddressSet] | None
) -> tuple[AddressSet, list[Route], list[str]]:
    """The addresses whose replies the table sends to one of `gateways` (longest prefix wins)."""
    remaining = INTERNET.family(family)
    routed = NOTHING
    used: list[Route] = []
    uncertain: list[str] = []
    by_length = sorted((r for r in routes if r.destination is not None and r.destination.version == family),
                       key=lambda r: -r.destination.prefixlen if r.destination else 0)
    for route in by_length:
        assert route.destination is not None
        hit = remaining.intersection(AddressSet.of([route.destination]))
        if not hit:
            continue
        if route.active and route.target in gateways:
            routed = routed.union(hit)
            used.append(route)
        remaining = remaining.difference(hit)
    for route in routes:  # prefix-list destinations: AWS gives them no precedence over CIDRs here
        if route.prefix_list and route.active and route.target in gateways:
            if prefix_lists is None or route.prefix_list not in prefix_lists:
                uncertain.append(f"route to prefix list {route.prefix_list}: entries not collected")
                continue
            hit = remaining.intersection(prefix_lists[route.prefix_list].family(family))
            if hit:
                routed, remaining = routed.union(hit), remaining.difference(hit)
                used.append(route)
    return routed, used, uncertain


def _entries_text(entries: list[NaclEntry]) -> str:
    return "; ".join(e.text() for e in entries)


class _Walk:
    """One packet's walk through the hops: the sources still in the game, the path so far and
    what could not be read."""

    def __init__(self, net: RegionNetwork, interface: Interface, proto: str, port: int, family: int) -> None:
        self.net, self.interface, self.proto, self.port, self.family = net, interface, proto, port, family
        self.what = f"{LABELS.get(proto, proto)} {port}"
        self.path: list[Hop] = []
        self.uncertain: list[str] = []
        self.sources = INTERNET.family(family)

    def address(self) -> Hop | None:
        iface = self.interface
        if iface.listeners is not None and (self.proto, self.port) not in iface.listeners:
            listening = ", ".join(f"{LABELS.get(p, p)} {n}" for p, n in iface.listeners) or "none"
            return Hop("load balancer", iface.balancer,
                       f"no listener on {self.what} (listeners: {listening})")
        if self.family == 4:
            if not iface.public_ipv4:
                return Hop("address", iface.id, "no public IPv4 address (no public IP, no Elastic IP)")
            self.path.append(Hop("address", iface.id, f"public IPv4 {iface.public_ipv4}"))
            return None
        if not iface.ipv6:
            return Hop("address", iface.id, "no IPv6 address")
        self.path.append(Hop("address", iface.id, f"IPv6 {', '.join(iface.ipv6)}"))
        return None

    def route(self) -> Hop | None:
        iface = self.interface
        table = self.net.route_table(iface.subnet)
        if table is None:
            return Hop("route table", iface.subnet, "no route table found for the subnet or its VPC")
        how = "explicit association" if iface.subnet in table.subnets else "the VPC's main route table"
        gateways = {g for g, vpcs in self.net.gateways.items() if iface.vpc in vpcs}
        routed, used, unsure = _routed_to_gateway(table.routes, gateways, self.family, self.net.prefix_lists)
        self.uncertain += unsure
        self.sources = self.sources.intersection(routed)
        if not self.sources:
            everything = "0.0.0.0/0" if self.family == 4 else "::/0"
            others = [f"{r.destination} -> {r.target}" for r in table.routes if r.destination is not None
                      and r.destination.version == self.family and r.destination.prefixlen == 0]
            detail = (f"no route to an internet gateway for {everything} ({how}"
                      + (f"; {', '.join(others)}" if others else "") + ")")
            if not gateways:
                detail += f"; no internet gateway is attached to {iface.vpc}"
            return Hop("route table", table.id, detail)
        self.path.append(Hop("internet gateway", ", ".join(sorted({r.target for r in used})),
                             f"attached to {iface.vpc}"))
        routes = ", ".join(f"{r.destination or r.prefix_list} -> {r.target}" for r in used)
        self.path.append(Hop("route table", table.id, f"{routes} ({how})"))
        return None

    def nacl(self) -> Hop | None:
        acl = self.net.nacl(self.interface.subnet)
        if acl is None:
            self.uncertain.append(f"no network ACL found for {self.interface.subnet}: read as allowing all")
            self.path.append(Hop("network ACL", self.interface.subnet, "none found (read as allowing all)"))
            return None
        inbound, allows, denies = _first_match(acl.direction(False), self.proto, self.port, self.sources)
        if not inbound:
            why = f"denied by {_entries_text(denies)}" if denies else "no inbound entry allows it"
            return Hop("network ACL", acl.id, f"inbound {self.what}: {why}")
        replies = NOTHING
        out_allows: list[NaclEntry] = []
        out_denies: list[NaclEntry] = []
        outbound = acl.direction(True)
        for reply_port in _return_ports(outbound, self.proto):
            allowed, a, d = _first_match(outbound, self.proto, reply_port, inbound)
            replies = replies.union(allowed)
            out_allows += [e for e in a if e not in out_allows]
            out_denies += [e for e in d if e not in out_denies]
        if not replies:
            why = f"denied by {_entries_text(out_denies)}" if out_denies else "no outbound entry allows them"
            return Hop("network ACL", acl.id,
                       f"inbound {self.what} allowed ({_entries_text(allows)}), but the replies to ephemeral "
                       f"ports {span_text(*EPHEMERAL)} are not: {why}")
        self.sources = replies
        self.path.append(Hop("network ACL", acl.id,
                             f"inbound {_entries_text(allows)}; replies: {_entries_text(out_allows)}"))
        return None

    def security_groups(self) -> Hop | None:
        net, iface = self.net, self.interface
        admitted = NOTHING
        reasons: list[str] = []
        members: list[str] = []
        for group_id in iface.groups:
            group = net.groups.get(group_id)
            if group is None:
                self.uncertain.append(f"security group {group_id} not among the collected groups")
                continue
            for rule in group.ingress:
                if not rule.admits(self.proto, self.port):
                    continue
                found = rule.cidrs
                for pl in rule.prefix_lists:
                    if net.prefix_lists is None or pl not in net.prefix_lists:
                        gap = f" ({net.prefix_list_gap})" if net.prefix_list_gap else ""
                        self.uncertain.append(f"{group_id} allows prefix list {pl}, whose entries were not "
                                              f"collected{gap}")
                        continue
                    found = found.union(net.prefix_lists[pl])
                hit = self.sources.intersection(found)
                if hit:
                    admitted = admitted.union(hit)
                    named = ", ".join(rule.cidrs.cidrs() + [f"prefix list {p}" for p in rule.prefix_lists])
                    reasons.append(f"{group_id} ({group.name}) allows {named}")
                members += [f"{group_id} allows members of {g}" for g in rule.groups]
        if not iface.groups and iface.listeners is not None:
            # A network load balancer without security groups answers anyone on its listeners.
            self.path.append(Hop("security group", "none", "load balancer without security groups"))
            return None
        if not admitted:
            detail = f"no rule lets the internet in on {self.what}"
            if members:
                detail += f" ({'; '.join(dict.fromkeys(members))} only)"
            return Hop("security group", ", ".join(iface.groups) or "none", detail)
        self.sources = admitted
        self.path.append(Hop("security group", ", ".join(iface.groups), "; ".join(dict.fromkeys(reasons))))
        return None


def reach(net: RegionNetwork, interface: Interface, proto: str, port: int, family: int) -> Reach:
    """Can the internet reach `interface` on `proto`/`port` over IPv`family`? See the module doc."""
    walk = _Walk(net, interface, proto, port, family)
    for hop in (walk.address, walk.route, walk.nacl, walk.security_groups):
        blocked = hop()
        if blocked is not None:
            return Reach(interface, proto, port, family, NOTHING, (*walk.path, blocked), blocked,
                         tuple(dict.fromkeys(walk.uncertain)))
    return Reach(interface, proto, port, family, walk.sources, tuple(walk.path), None,
                 tuple(dict.fromkeys(walk.uncertain)))


@dataclass(frozen=True, slots=True)
class Exposure:
    """A span of ports of one interface the internet reaches, with the same sources and path."""

    interface: Interface
    protocol: str
    low: int
    high: int
    family: int
    verdict: Reach

    @property
    def ports(self) -> str:
        return f"{LABELS.get(self.protocol, self.protocol)} {span_text(self.low, self.high)}"


def candidate_spans(net: RegionNetwork, interface: Interface) -> list[tuple[str, int, int]]:
    """(protocol, first port) of every stretch over which the interface's groups and its NACL
    treat all ports alike: enough to find every exposed port without trying 65,536 of them."""
    if interface.listeners is not None:
        return sorted({(proto, port, port) for proto, port in interface.listeners})
    spans: dict[str, set[int]] = {TCP: set(), UDP: set()}
    for group_id in interface.groups:
        group = net.groups.get(group_id)
        for rule in group.ingress if group else ():
            if not rule.cidrs and not rule.prefix_lists:
                continue
            for proto in ((TCP, UDP) if rule.protocol == ALL else (rule.protocol,)):
                if proto in spans:
                    spans[proto].update((rule.low, rule.high + 1))
    acl = net.nacl(interface.subnet)
    for entry in acl.direction(False) if acl else ():
        if entry.protocol in spans:
            spans[entry.protocol].update((entry.low, entry.high + 1))
    result: list[tuple[str, int, int]] = []
    for proto, cuts in spans.items():
        points = sorted(p for p in cuts if 0 <= p <= 65536)
        result += [(proto, a, b - 1) for a, b in itertools.pairwise(points) if a <= b - 1]
    return result


def exposures(net: RegionNetwork, interface: Interface) -> list[Exposure]:
    """Every (protocol, port span, family) on which the internet reaches the interface."""
    found: list[Exposure] = []
    for proto, low, high in candidate_spans(net, interface):
        for family in (4, 6):
            verdict = reach(net, interface, proto, low, family)
            if not verdict.reachable:
                continue
            last = found[-1] if found else None
            if (last and last.protocol == proto and last.family == family and last.high + 1 == low
                    and last.verdict.sources == verdict.sources):
                found[-1] = Exposure(interface, proto, last.low, high, family, last.verdict)
            else:
                found.append(Exposure(interface, proto, low, high, family, verdict))
    return found
