"""elbv2 collector and the load balancer model against moto: listeners, targets, injected denials,
and a target reachable only through its internet-facing balancer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from awsaudit.checks._view import AccountView
from awsaudit.checks.network._exposure import exposure_rows
from awsaudit.collect import ec2, elbv2
from awsaudit.collect._call import Context
from awsaudit.network.balancers import add_balancers, via_balancers
from awsaudit.network.model import build_region
from awsaudit.network.ports import TCP
from awsaudit.network.reach import reach
from tests.conftest import ACCOUNT, REGION
from tests.network.lab import WORLD, Lab, tcp


@pytest.fixture
def lab(session: boto3.Session) -> Lab:
    return Lab(session.client("ec2", region_name=REGION))


def _balanced(session: boto3.Session, lab: Lab, *, web_rules: Callable[[str], list[dict[str, Any]]],
              scheme: str = "internet-facing") -> tuple[str, str]:
    """An ALB in two public subnets, listening on 443 (HTTP for moto) and forwarding to one instance
    on port 8080; returns (instance id, balancer name)."""
    a, b = lab.subnet(), lab.subnet()
    lab.client.modify_subnet_attribute(SubnetId=b, MapPublicIpOnLaunch={"Value": True})
    alb_group = lab.group(tcp(443, WORLD), name="alb")
    instance = lab.instance(a, lab.group(*web_rules(alb_group), name="web"))
    elb = session.client("elbv2", region_name=REGION)
    balancer = elb.create_load_balancer(Name="shop", Subnets=[a, b], SecurityGroups=[alb_group],
                                        Scheme=scheme, Type="application")["LoadBalancers"][0]
    group = elb.create_target_group(Name="shop-web", Protocol="HTTP", Port=8080, VpcId=lab.vpc,
                                    TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": instance}])
    elb.create_listener(LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=443,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])
    return instance, "shop"


def test_collects_balancers_with_listeners_and_target_groups_with_health(
        ctx: Context, session: boto3.Session, lab: Lab) -> None:
    instance, name = _balanced(session, lab, web_rules=lambda alb: [tcp(8080, groups=(alb,))])
    data = elbv2.collect(ctx)
    [balancer] = data["load_balancers"]
    assert balancer["LoadBalancerName"] == name and balancer["_arn"] == balancer["LoadBalancerArn"]
    assert [(listener["Port"], listener["Protocol"]) for listener in balancer["Listeners"]] == [(443, "HTTP")]
    [group] = data["target_groups"]
    assert [t["Target"]["Id"] for t in group["TargetHealth"]] == [instance]
    assert ctx.errors == []
    assert elbv2.PRODUCES == ("load_balancers", "target_groups")
    assert all(a.startswith("elasticloadbalancing:Describe") for a in elbv2.ACTIONS)


def test_denied_listeners_leave_the_key_absent_with_the_error(
        ctx: Context, session: boto3.Session, lab: Lab, deny: Callable[..., None]) -> None:
    _balanced(session, lab, web_rules=lambda alb: [tcp(8080, groups=(alb,))])
    deny("DescribeListeners", "DescribeTargetHealth")
    data = elbv2.collect(ctx)
    [balancer] = data["load_balancers"]
    [group] = data["target_groups"]
    assert "Listeners" not in balancer and balancer["_errors"]["Listeners"] == "AccessDenied"
    assert "TargetHealth" not in group and group["_errors"]["TargetHealth"] == "AccessDenied"
    assert {(e["operation"], e["code"]) for e in ctx.errors} == {
        ("DescribeListeners", "AccessDenied"), ("DescribeTargetHealth", "AccessDenied")}
    net = build_region(REGION, ec2.collect(Context(ctx.session, ctx.account, ctx.region)))
    add_balancers(net, data)
    assert via_balancers(net) == []
    assert any("AccessDenied" in gap for gap in net.balancer_gaps)  # said, not silently "unreachable"


def test_denied_listing_is_recorded(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeLoadBalancers")
    data = elbv2.collect(ctx)
    assert "load_balancers" not in data and data["_errors"]["load_balancers"] == "AccessDenied"
    assert data["target_groups"] == []


def _network(ctx: Context) -> Any:
    fresh = Context(ctx.session, ctx.account, ctx.region)
    net = build_region(REGION, ec2.collect(fresh))
    add_balancers(net, elbv2.collect(fresh))
    return net


def test_target_behind_an_internet_facing_balancer_is_reachable_via_it_only(
        ctx: Context, session: boto3.Session, lab: Lab) -> None:
    instance, name = _balanced(session, lab, web_rules=lambda alb: [tcp(8080, groups=(alb,))])
    net = _network(ctx)
    [target_iface] = [i for i in net.interfaces.values() if i.attached_to == instance]
    assert not reach(net, target_iface, TCP, 8080, 4).reachable  # not exposed to the internet
    [via] = via_balancers(net)
    target = via.target
    assert (target.interface.id, target.balancer.name, target.port) == (target_iface.id, name, 8080)
    assert via.target.listener == (TCP, 443) and "allows members of" in via.target.admitted_by
    nodes = [i for i in net.interfaces.values() if i.kind == "load_balancer"]
    assert len(nodes) == 2
    assert reach(net, nodes[0], TCP, 443, 4).reachable
    ssh = reach(net, nodes[0], TCP, 22, 4)  # no listener: the balancer does not answer
    assert not ssh.reachable and ssh.blocked is not None and ssh.blocked.kind == "load balancer"

    doc = {"regions": {REGION: {"ec2": ec2.collect(Context(ctx.session, ctx.account, ctx.region)),
                                "elbv2": elbv2.collect(Context(ctx.session, ctx.account, ctx.region))}}}
    rows, gaps = exposure_rows(AccountView(ACCOUNT, doc))
    assert gaps == []
    [through] = [r for r in rows if r.get("via")]
    assert through["interface"] == target_iface.id and through["ports"] == "tcp 8080"
    assert through["sources"] == f"load balancer {name} only"
    assert through["route"].startswith(f"via load balancer {name} (tcp 443)")
    assert sorted(r["ports"] for r in rows if not r.get("via")) == ["tcp 443", "tcp 443"]  # the two nodes


def test_internal_balancer_or_a_target_that_does_not_admit_it_is_no_path(
        ctx: Context, session: boto3.Session, lab: Lab) -> None:
    _balanced(session, lab, web_rules=lambda alb: [tcp(8080, groups=(alb,))], scheme="internal")
    assert via_balancers(_network(ctx)) == []


def test_target_whose_group_does_not_admit_the_balancer_is_not_reached(
        ctx: Context, session: boto3.Session, lab: Lab) -> None:
    _balanced(session, lab, web_rules=lambda _alb: [tcp(8080, "192.0.2.0/24")])
    assert via_balancers(_network(ctx)) == []
