"""Address sets, port spans and protocol numbers: the arithmetic under the reachability rules.

Security groups, network ACLs and route tables all speak in CIDRs that may overlap or nest
(0.0.0.0/1 + 128.0.0.0/1 is the whole internet; a deny for a /24 carves a hole in an allow for
/0). Reasoning per rule misses those; an `AddressSet` keeps the exact set of addresses instead,
as collapsed `ipaddress` networks, so union, intersection and difference are exact.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALL = "-1"
"""Protocol "-1": every protocol and every port (security groups and NACLs alike)."""
TCP, UDP, ICMP, ICMPV6 = "6", "17", "1", "58"
_NAMES = {"tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6, "all": ALL}
LABELS = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6", ALL: "all"}

EPHEMERAL = (1024, 65535)
"""Where return traffic goes: the client's ephemeral port. AWS's NACL guide recommends allowing
1024-65535 outbound; the client (an attacker included) picks the port, so one allowed port in
that span is enough for the replies to get out."""

_NOT_INTERNET_V4 = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")


def protocol(value: object) -> str:
    """AWS spells protocols as names ("tcp") or numbers ("6", 6); one spelling: the number."""
    text = str(value).strip().lower()
    return _NAMES.get(text, text)


def network(cidr: str | Network) -> Network:
    return cidr if not isinstance(cidr, str) else ipaddress.ip_network(cidr, strict=False)


@dataclass(frozen=True, slots=True)
class AddressSet:
    """A set of IPv4 and IPv6 addresses, held as sorted, collapsed networks."""

    networks: tuple[Network, ...] = ()

    @classmethod
    def of(cls, cidrs: Iterable[str | Network]) -> AddressSet:
        nets = [network(c) for c in cidrs]
        v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
        v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
        return cls((*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6)))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def family(self, version: int) -> AddressSet:
        return AddressSet(tuple(n for n in self.networks if n.version == version))

    def union(self, other: AddressSet) -> AddressSet:
        return AddressSet.of((*self.networks, *other.networks))

    def intersection(self, other: AddressSet) -> AddressSet:
        # Two CIDR blocks either nest or are disjoint: the intersection is the smaller one.
        found: list[Network] = []
        for a in self.networks:
            for b in other.networks:
                if a.version != b.version:
                    continue
                if a.subnet_of(b):  # type: ignore[arg-type]  # same version checked
                    found.append(a)
                elif b.subnet_of(a):  # type: ignore[arg-type]
                    found.append(b)
        return AddressSet.of(found)

    def difference(self, other: AddressSet) -> AddressSet:
        left = list(self.networks)
        for b in other.networks:
            kept: list[Network] = []
            for a in left:
                if a.version != b.version or not a.overlaps(b):
                    kept.append(a)
                elif not a.subnet_of(b):  # type: ignore[arg-type]  # b lies inside a: cut it out
                    kept.extend(a.address_exclude(b))  # type: ignore[arg-type]
            left = kept
        return AddressSet.of(left)

    def covers(self, other: AddressSet) -> bool:
        return not other.difference(self)

    def cidrs(self) -> list[str]:
        return [str(n) for n in self.networks]

    def describe(self, limit: int = 4) -> str:
        shown = self.cidrs()
        if not shown:
            return "nothing"
        more = len(shown) - limit
        return ", ".join(shown[:limit]) + (f" and {more} more range(s)" if more > 0 else "")


EVERYWHERE = AddressSet.of(["0.0.0.0/0", "::/0"])
NOTHING = AddressSet()
INTERNET = AddressSet.of(["0.0.0.0/0"]).difference(AddressSet.of(_NOT_INTERNET_V4)).union(
    AddressSet.of(["2000::/3"]))
"""Where internet traffic can come from: public IPv4 (not private, shared, loopback, link-local,
multicast or reserved) and IPv6 global unicast (2000::/3)."""


def everyone(version: int) -> AddressSet:
    return EVERYWHERE.family(version)


def is_everyone(cidr: str) -> bool:
    """0.0.0.0/0 or ::/0, however it is spelled."""
    return network(cidr).prefixlen == 0


def spans(ports: Iterable[int]) -> list[tuple[int, int]]:
    """22, 5900, 5901, 5902 -> [(22, 22), (5900, 5902)]."""
    found: list[tuple[int, int]] = []
    for port in sorted(set(ports)):
        if found and port == found[-1][1] + 1:
            found[-1] = (found[-1][0], port)
        else:
            found.append((port, port))
    return found


def span_text(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def outside(cidrs: Iterable[str], company: Iterable[str]) -> AddressSet:
    """The addresses of `cidrs` that lie in no company range: nested and overlapping ranges are
    handled exactly (10.0.0.0/8 is inside 10.0.0.0/9 + 10.128.0.0/9 together)."""
    return AddressSet.of(cidrs).difference(AddressSet.of(company))
