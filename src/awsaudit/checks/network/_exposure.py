"""The account's network model for checks (built once per account, shared by every network
check) and the grading of an open security group rule by what it really exposes.

An open rule is graded by the interfaces its group is attached to: critical when the internet
reaches one of them on the opened port (the evidence is the path), lower when every attached
interface is unreachable (the evidence names the hop that blocks each), lowest when the group is
attached to nothing. When the region's network could not be read, or a verdict depends on data
that was not collected, the rule keeps the check's own severity: an uncertain "unreachable"
must never soften a finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from awsaudit.checks._missing import Missing
from awsaudit.checks._view import AccountView, ModelSpec
from awsaudit.model import Json, Severity
from awsaudit.network.balancers import add_balancers, via_balancers
from awsaudit.network.model import REQUIRED, NetworkDataMissing, RegionNetwork, build_region
from awsaudit.network.ports import INTERNET, TCP, AddressSet, network
from awsaudit.network.reach import Hop, Reach, exposures, reach

REACHABLE = Severity.CRITICAL
UNREACHABLE = Severity.MEDIUM
UNUSED = Severity.LOW


@dataclass(slots=True)
class AccountNetwork:
    """Each scanned region's network, or why it could not be built."""

    regions: dict[str, RegionNetwork] = field(default_factory=dict)
    gaps: dict[str, str] = field(default_factory=dict)

    def region(self, region: str) -> RegionNetwork:
        if region in self.regions:
            return self.regions[region]
        raise Missing("ec2 network", self.gaps.get(region, f"region {region or '?'} was not scanned"))


def _build(view: AccountView) -> AccountNetwork:
    model = AccountNetwork()
    for region in view.regions:
        try:
            for key in REQUIRED:
                view.collection(f"ec2.{key}", region)  # Missing with the collector's reason
            net = model.regions[region] = build_region(region, view.service("ec2", region))
            _balancers(view, region, net)
        except Missing as missing:
            model.gaps[region] = str(missing)
        except NetworkDataMissing as missing:
            model.gaps[region] = f"ec2.{missing.key}: {missing.reason}"
    return model


def _balancers(view: AccountView, region: str, net: RegionNetwork) -> None:
    """Load balancers, when elbv2 was collected: without them a target reachable through a
    balancer is simply not listed as such (its own exposure is judged all the same)."""
    try:
        data = view.service("elbv2", region)
    except Missing:
        return
    for key in ("load_balancers", "target_groups"):
        if key not in data:
            net.balancer_gaps.append(f"elbv2.{key}: {(data.get('_errors') or {}).get(key, 'not collected')}")
    add_balancers(net, data)


NETWORK_MODEL = ModelSpec("network", _build)
"""Every region's interfaces, routes, ACLs and groups: built once per account."""


def region_of(resource: Json) -> str:
    parts = str(resource.get("_arn", "")).split(":")
    return parts[3] if len(parts) > 3 else ""


@dataclass(frozen=True, slots=True)
class Grade:
    """What an open rule really exposes: the severity (None: the check's), a sentence, evidence."""

    severity: Severity | None
    message: str
    evidence: Json


def _families(cidrs: Iterable[str]) -> list[int]:
    return sorted({network(c).version for c in cidrs})


def grade(group: Json, view: AccountView, ports: Iterable[int], cidrs: Iterable[str]) -> Grade:
    """Grade a group whose ingress opens TCP `ports` to `cidrs` (whole-internet ranges)."""
    try:
        net = view.model(NETWORK_MODEL).region(region_of(group))
    except Missing as missing:
        return Grade(None, f"reachability not assessed ({missing})", {"reachability": None})
    interfaces = net.attached(str(group.get("GroupId")))
    if not interfaces:
        return Grade(UNUSED, "the group is attached to no network interface (unused)",
                     {"reachability": {"attached_interfaces": []}})
    verdicts: list[Reach] = [reach(net, iface, TCP, port, family)
                             for iface in interfaces for port in sorted(set(ports))
                             for family in _families(cidrs)]
    open_ = [v for v in verdicts if v.reachable]
    evidence = {"attached_interfaces": [i.id for i in interfaces]}
    if open_:
        first = open_[0]
        where = sorted({f"{v.interface.label} {v.interface.public_ipv4 or ', '.join(v.interface.ipv6)}"
                        f" tcp {v.port}" for v in open_})
        path = " -> ".join(h.text() for h in first.path)
        return Grade(REACHABLE, f"reachable from the internet: {'; '.join(where)} (path: {path})",
                     {"reachability": {**evidence, "reachable": [v.to_json() for v in open_]}})
    if all(v.proven_unreachable for v in verdicts):
        blocks = sorted({f"{v.interface.label}: {v.blocked.text()}" for v in verdicts if v.blocked})
        return Grade(UNREACHABLE, f"not reachable from the internet ({'; '.join(blocks)})",
                     {"reachability": {**evidence, "blocked": [v.to_json() for v in verdicts]}})
    unsure = sorted({u for v in verdicts for u in v.uncertain})
    return Grade(None, f"reachability uncertain: {'; '.join(unsure)}",
                 {"reachability": {**evidence, "uncertain": [v.to_json() for v in verdicts]}})


def sources_text(sources: AddressSet, family: int) -> str:
    """"anywhere" for the whole internet (less the VPC's own range, routed locally), else the ranges."""
    missing = INTERNET.family(family).difference(sources)
    if not missing:
        return "anywhere"
    if len(missing.networks) <= 2:
        return f"anywhere except {missing.describe()}"
    return sources.describe()


def _compact(path: Iterable[Hop]) -> str:
    """IGW -> route table -> NACL -> security group, by id: the path as the table shows it."""
    return " -> ".join(h.id for h in path if h.kind != "address")


def exposure_rows(view: AccountView) -> tuple[list[Json], list[str]]:
    """Every (interface, port span, IP family) the internet reaches in the account, with the
    path; and the regions whose network could not be read (nothing there is claimed safe)."""
    model = view.model(NETWORK_MODEL)
    rows: list[Json] = []
    for region, net in sorted(model.regions.items()):
        for iface in sorted(net.interfaces.values(), key=lambda i: i.id):
            for found in exposures(net, iface):
                verdict = found.verdict
                rows.append({
                    "account": view.id, "region": region, "resource": iface.label, "interface": iface.id,
                    "arn": iface.arn, "kind": iface.kind,
                    "address": iface.public_ipv4 if found.family == 4 else ", ".join(iface.ipv6),
                    "family": f"IPv{found.family}", "ports": found.ports,
                    "sources": sources_text(verdict.sources, found.family), "route": _compact(verdict.path),
                    "path": [h.to_json() for h in verdict.path], "uncertain": list(verdict.uncertain),
                })
        for via in via_balancers(net):
            target, node = via.target, via.node
            rows.append({
                "account": view.id, "region": region, "resource": target.interface.label,
                "interface": target.interface.id, "arn": target.interface.arn, "kind": target.interface.kind,
                "address": f"{target.interface.private_ip or '-'} (private)", "family": f"IPv{node.family}",
                "ports": target.ports,
                "sources": f"load balancer {target.balancer.name} only", "via": target.balancer.name,
                "route": f"{target.text} -> {target.admitted_by}",
                "path": [h.to_json() for h in node.path], "uncertain": list(node.uncertain),
            })
    gaps = [f"{region}: {gap}" for region, gap in sorted(model.gaps.items())]
    gaps += [f"{region}: load balancers: {gap}" for region, net in sorted(model.regions.items())
             for gap in net.balancer_gaps]
    return rows, gaps
