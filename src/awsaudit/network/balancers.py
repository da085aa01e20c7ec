"""Load balancers in the network model: an internet-facing balancer's nodes answer the internet on
its listener ports only, and its targets are reachable through it, from the balancer only.

A balancer node is an `Interface` of kind "load_balancer", one per subnet the balancer sits in,
with the balancer's security groups and its listener ports (`Interface.listeners`), so the usual
walk (address, route table, network ACL, security groups) judges it like any interface, and a
port without a listener stops at the first hop. AWS gives each node a network interface of its
own (Description "ELB app/NAME/ID"); when the ec2 data holds it, its public address is used and
the plain interface is replaced by the node, so it is not judged twice (as answering on every
port its groups allow).

A target (an instance or an IP registered in a target group a listener forwards to) is
"reachable via the balancer" when the balancer is internet-facing, the internet reaches one of
its nodes on that listener, and the target's groups let the balancer in: a rule naming one of the
balancer's groups, or a CIDR covering the balancer's subnet. Such a target is not "exposed to the
internet": only the balancer talks to it, on the target port. The network ACL between balancer
and target is not evaluated (it could only remove a via-path, never add internet exposure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from awsaudit.network.model import Interface, RegionNetwork
from awsaudit.network.ports import TCP, UDP, AddressSet, span_text
from awsaudit.network.reach import Reach, reach

PROTOCOLS = {"HTTP": (TCP,), "HTTPS": (TCP,), "TCP": (TCP,), "TLS": (TCP,), "UDP": (UDP,),
             "TCP_UDP": (TCP, UDP)}
"""Listener protocol -> the IP protocols it answers on (GENEVE, of Gateway Load Balancers: none)."""


@dataclass(frozen=True, slots=True)
class Balancer:
    name: str
    arn: str
    scheme: str
    groups: tuple[str, ...]
    subnets: tuple[str, ...]
    listeners: tuple[tuple[str, int, tuple[str, ...]], ...]
    """(IP protocol, port, target group ARNs it forwards to)"""


@dataclass(frozen=True, slots=True)
class Target:
    """A registered target of a forwarded-to target group, as the network model sees it."""

    balancer: Balancer
    listener: tuple[str, int]
    """The balancer's (IP protocol, port) the internet uses."""
    target_group: str
    interface: Interface
    port: int
    admitted_by: str

    @property
    def text(self) -> str:
        proto, front = self.listener
        label = "tcp" if proto == TCP else "udp"
        return f"via load balancer {self.balancer.name} ({label} {front})"

    @property
    def ports(self) -> str:
        return f"{'tcp' if self.listener[0] == TCP else 'udp'} {span_text(self.port, self.port)}"


def _forwards(actions: list[Any]) -> tuple[str, ...]:
    found: list[str] = []
    for action in actions or []:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn"):
            found.append(str(action["TargetGroupArn"]))
        for group in (action.get("ForwardConfig") or {}).get("TargetGroups") or []:
            if group.get("TargetGroupArn"):
                found.append(str(group["TargetGroupArn"]))
    return tuple(dict.fromkeys(found))


def _balancer(item: Mapping[str, Any]) -> Balancer:
    listeners = []
    for listener in item.get("Listeners") or []:
        for proto in PROTOCOLS.get(str(listener.get("Protocol", "")).upper(), ()):
            listeners.append((proto, int(listener.get("Port", 0)), _forwards(listener.get("DefaultActions"))))
    return Balancer(str(item.get("LoadBalancerName", "")), str(item.get("LoadBalancerArn", "")),
                    str(item.get("Scheme", "")), tuple(item.get("SecurityGroups") or ()),
                    tuple(z["SubnetId"] for z in item.get("AvailabilityZones") or [] if z.get("SubnetId")),
                    tuple(listeners))


def add_balancers(net: RegionNetwork, data: Mapping[str, Any]) -> None:
    """Add the region's balancer nodes and targets (elbv2 data as collected) to `net`.

    Balancers whose listeners were not collected are skipped, with the reason in
    `net.balancer_gaps`: their nodes stay judged as plain interfaces (when AWS listed them)."""
    groups = {str(g.get("TargetGroupArn")): g for g in data.get("target_groups") or [] if isinstance(g, dict)}
    for item in data.get("load_balancers") or []:
        if "Listeners" not in item:
            reason = (item.get("_errors") or {}).get("Listeners", "not collected")
            net.balancer_gaps.append(f"listeners of {item.get('LoadBalancerName')}: {reason}")
            continue
        balancer = _balancer(item)
        net.balancers.append(balancer)
        _nodes(net, item, balancer)
        for proto, port, target_groups in balancer.listeners:
            for arn in target_groups:
                _targets(net, balancer, (proto, port), groups.get(arn), arn)


def _nodes(net: RegionNetwork, item: Mapping[str, Any], balancer: Balancer) -> None:
    suffix = balancer.arn.split(":loadbalancer/", 1)[-1]
    own = {i.subnet: i for i in net.interfaces.values() if i.description == f"ELB {suffix}"}
    dns = str(item.get("DNSName", ""))
    public = balancer.scheme == "internet-facing"
    dualstack = str(item.get("IpAddressType", "")).startswith("dualstack")
    listeners = tuple((proto, port) for proto, port, _ in balancer.listeners)
    for subnet in balancer.subnets:
        existing = own.get(subnet)
        if existing is not None:
            del net.interfaces[existing.id]
        node_id = existing.id if existing else f"{balancer.name}@{subnet}"
        net.interfaces[node_id] = Interface(
            node_id, balancer.arn, net.subnets.get(subnet, ""), subnet, "load_balancer",
            f"ELB {suffix}", f"load balancer {balancer.name}", balancer.name, balancer.groups,
            (existing.public_ipv4 if existing and existing.public_ipv4 else dns) if public else None,
            ((existing.ipv6 if existing and existing.ipv6 else (dns,)) if public and dualstack else ()),
            existing.private_ip if existing else "", listeners=listeners, balancer=balancer.name)


def _targets(net: RegionNetwork, balancer: Balancer, listener: tuple[str, int], group: Any, arn: str) -> None:
    if not isinstance(group, dict):
        net.balancer_gaps.append(f"target group {arn} of {balancer.name}: not collected")
        return
    if "TargetHealth" not in group:
        reason = (group.get("_errors") or {}).get("TargetHealth", "not collected")
        net.balancer_gaps.append(f"targets of {group.get('TargetGroupName')}: {reason}")
        return
    for described in group["TargetHealth"] or []:
        target = described.get("Target") or {}
        key = str(target.get("Id", ""))
        port = int(target.get("Port") or group.get("Port") or listener[1])
        for iface in net.interfaces.values():
            if iface.kind == "load_balancer" or key not in (iface.attached_to, iface.private_ip):
                continue
            admitted = _admits_balancer(net, iface, balancer, listener[0], port)
            if admitted:
                net.targets.append(Target(balancer, listener, str(group.get("TargetGroupName", arn)), iface,
                                          port, admitted))


def _admits_balancer(net: RegionNetwork, iface: Interface, balancer: Balancer, proto: str, port: int) -> str:
    """Which of the target's rules let the balancer in on `port` ("" when none does)."""
    subnets = AddressSet.of(c for s in balancer.subnets for c in net.subnet_cidrs.get(s, ()))
    for group_id in iface.groups:
        group = net.groups.get(group_id)
        for rule in group.ingress if group else ():
            if not rule.admits(proto, port):
                continue
            if named := [g for g in rule.groups if g in balancer.groups]:
                return f"{group_id} allows members of {', '.join(named)}"
            if subnets and rule.cidrs.covers(subnets):
                return f"{group_id} allows {', '.join(rule.cidrs.cidrs())}"
            if not balancer.groups and rule.cidrs:  # a balancer without groups keeps the client's address
                return f"{group_id} allows {', '.join(rule.cidrs.cidrs())}"
    return ""


@dataclass(frozen=True, slots=True)
class Via:
    """A target the internet reaches through a balancer: the target, and the node's verdict."""

    target: Target
    node: Reach

    def to_json(self) -> dict[str, object]:
        t = self.target
        return {"interface": t.interface.id, "resource": t.interface.label, "via": t.balancer.name,
                "balancer_arn": t.balancer.arn, "listener": f"{t.ports.split()[0]} {t.listener[1]}",
                "target_group": t.target_group, "target_port": t.port, "admitted_by": t.admitted_by,
                "text": f"reachable {t.text} on port {t.port}",
                "balancer_path": [h.to_json() for h in self.node.path]}


def via_balancers(net: RegionNetwork) -> list[Via]:
    """Every target the internet reaches through an internet-facing balancer (a node of it is
    reachable on the listener that forwards to the target's group)."""
    found: list[Via] = []
    for target in net.targets:
        proto, port = target.listener
        nodes = [i for i in net.interfaces.values() if i.balancer == target.balancer.name
                 and i.kind == "load_balancer"]
        verdict = next((v for node in nodes for family in (4, 6)
                        if (v := reach(net, node, proto, port, family)).reachable), None)
        if verdict is not None:
            found.append(Via(target, verdict))
    return found
