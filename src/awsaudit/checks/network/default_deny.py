"""NET-4, default deny assessed per VPC: nothing in the VPC answers the internet except on the ports
meant to be public, judged by the network model (address, route, network ACL, security groups)."""

from __future__ import annotations

from collections.abc import Iterable

from awsaudit.checks._missing import Missing
from awsaudit.checks._registry import check
from awsaudit.checks._view import AccountView
from awsaudit.checks.network._exposure import NETWORK_MODEL, region_of, sources_text
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok
from awsaudit.network.balancers import via_balancers
from awsaudit.network.ports import LABELS, span_text
from awsaudit.network.reach import candidate_spans, reach
from awsaudit.settings import Settings

ASSESSED = ("per VPC, by reachability from the internet (address, route table, network ACL, security groups) "
            "on every TCP and UDP port; unlike the literal CIS 6.5 text it does not require the default "
            "security group to be empty (ec2_default_sg_restricts_all does), and a rule nothing reaches "
            "does not fail it")


def beyond(low: int, high: int, public: Iterable[int]) -> list[tuple[int, int]]:
    """The parts of the port span low-high that are not public ports."""
    pieces: list[tuple[int, int]] = []
    start = low
    for port in sorted(p for p in set(public) if low <= p <= high):
        if start <= port - 1:
            pieces.append((start, port - 1))
        start = port + 1
    if start <= high:
        pieces.append((start, high))
    return pieces


@check(
    "vpc_default_deny",
    title="VPC lets the internet reach nothing but the public ports (80, 443 by default)",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.vpcs",
    remediation=Remediation(
        console=(
            "For each (interface, port) the finding names, follow its path and close the cheapest hop:",
            "EC2 console > Security Groups: remove the rule from 0.0.0.0/0 or ::/0 for that port, or narrow "
            "its source to the company ranges or a security group",
            "or VPC console > Network ACLs: deny the port inbound for the subnet",
            "or move the instance to a private subnet without a public IP, behind a load balancer",
            "If the port is public by design, add it to public_ports in awsaudit.toml",
        ),
        cli="awsaudit exposure --snapshot SNAPSHOT  # every reachable (interface, port) with its path; then "
            "aws ec2 revoke-security-group-ingress --group-id GROUP_ID --protocol tcp --port PORT "
            "--cidr 0.0.0.0/0",
    ),
)
def vpc_default_deny(vpc: Json, settings: Settings, view: AccountView) -> Outcome:
    """Default deny means the internet gets in only where it was explicitly meant to (NET-4). A
    rule-by-rule review cannot say that: an open group on a private subnet exposes nothing, while
    two narrow rules, a permissive NACL and an Elastic IP together may expose a port no single rule
    shows. So the VPC is judged by what really arrives: for every network interface in it, every
    TCP and UDP port and both IP families, through the interface's address, the subnet's route
    table, its network ACL (both ways) and the security groups.

    Decision: FAIL names each interface and port beyond `public_ports` (80 and 443 by default, TCP
    or UDP) that the internet reaches, with the path; UNKNOWN when the region's network data is
    missing or a verdict depends on data not collected (a prefix list's entries): an uncertain
    "unreachable" is never a PASS. Other IP protocols than TCP and UDP (ICMP, GRE) are not judged,
    nor paths the model leaves out (peering, transit gateways, PrivateLink, VPN). A load balancer's
    targets reached only through it are not exposed (the balancer's own ports are judged).
    """
    vpc_id = str(vpc.get("VpcId", ""))
    net = view.model(NETWORK_MODEL).region(region_of(vpc))  # Missing: the region's network is unread
    public = settings.public_ports
    interfaces = sorted((i for i in net.interfaces.values() if i.vpc == vpc_id), key=lambda i: i.id)
    found: list[Json] = []
    allowed: list[str] = []
    unsure: list[str] = []
    for iface in interfaces:
        for proto, low, high in candidate_spans(net, iface):
            for family in (4, 6):
                verdict = reach(net, iface, proto, low, family)
                if not verdict.reachable:
                    unsure += verdict.uncertain
                    continue
                label = LABELS.get(proto, proto)
                address = iface.public_ipv4 if family == 4 else ", ".join(iface.ipv6)
                allowed += [f"{iface.id} {label} {p}" for p in sorted(public) if low <= p <= high]
                for a, b in beyond(low, high, public):
                    found.append({
                        "interface": iface.id, "resource": iface.label, "address": address,
                        "ports": f"{label} {span_text(a, b)}", "family": f"IPv{family}",
                        "sources": sources_text(verdict.sources, family),
                        "path": " -> ".join(h.text() for h in verdict.path),
                    })
    via = [v for v in via_balancers(net) if v.target.interface.vpc == vpc_id]
    evidence: Json = {"VpcId": vpc_id, "interfaces": [i.id for i in interfaces],
                      "public_ports": sorted(public), "assessed": ASSESSED,
                      "via_load_balancers": [v.to_json() for v in via]}
    through = "".join(f"; {v.target.interface.label} {v.target.interface.id} is reachable only "
                      f"{v.target.text} on port {v.target.port}" for v in via)
    if found:
        lines = [f"{f['resource']} {f['interface']} {f['address']} {f['ports']} from {f['sources']} "
                 f"(path: {f['path']})" for f in found]
        return fail(f"{len(found)} (interface, port) reachable from the internet beyond the public ports "
                    f"({', '.join(map(str, sorted(public))) or 'none'}): {'; '.join(lines)}{through}",
                    evidence={**evidence, "reachable": found})
    if unsure:
        raise Missing("ec2 network", "; ".join(dict.fromkeys(unsure)))
    public_text = f"; public ports reached: {', '.join(dict.fromkeys(allowed))}" if allowed else ""
    return ok(f"{len(interfaces)} network interface(s) examined (address, route table, network ACL, "
              f"security groups; TCP and UDP, IPv4 and IPv6): the internet reaches nothing beyond the public "
              f"ports ({', '.join(map(str, sorted(public))) or 'none'}){public_text}{through}",
              evidence={**evidence, "public_reached": list(dict.fromkeys(allowed))})
