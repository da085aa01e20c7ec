"""Reachability on moto VPCs: each hop that lets the internet in, and each that stops it."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.network.model import RegionNetwork, build_region
from awsaudit.network.ports import TCP, AddressSet
from awsaudit.network.reach import exposures, reach
from tests.conftest import REGION
from tests.network.lab import WORLD, WORLD6, Lab, tcp


def network(ctx: Context, data: dict[str, Any] | None = None) -> RegionNetwork:
    collected = ec2.collect(ctx) if data is None else data
    return build_region(REGION, collected)


def interface_of(net: RegionNetwork, instance: str) -> Any:
    [found] = [i for i in net.interfaces.values() if i.attached_to == instance]
    return found


def test_public_subnet_with_an_open_group_is_exposed_with_its_path(ctx: Context, lab: Lab) -> None:
    instance = lab.instance(lab.subnet(), lab.group(tcp(22, WORLD)))
    net = network(ctx)
    iface = interface_of(net, instance)
    verdict = reach(net, iface, TCP, 22, 4)
    assert verdict.reachable and verdict.blocked is None
    assert [h.kind for h in verdict.path] == ["address", "internet gateway", "route table", "network ACL",
                                              "security group"]
    assert verdict.path[1].id == lab.igw
    assert "explicit association" in verdict.path[2].detail
    assert AddressSet.of(["8.8.8.0/24"]).intersection(verdict.sources)  # a public source gets in
    assert not AddressSet.of(["10.0.0.0/8"]).intersection(verdict.sources)  # private: not the internet
    assert not reach(net, iface, TCP, 23, 4).reachable
    [exposure] = exposures(net, iface)
    assert (exposure.ports, exposure.family) == ("tcp 22", 4)


def test_private_subnet_without_a_default_route_is_not_exposed(ctx: Context, lab: Lab) -> None:
    instance = lab.instance(lab.subnet(route=None), lab.group(tcp(22, WORLD)))
    net = network(ctx)
    verdict = reach(net, interface_of(net, instance), TCP, 22, 4)
    assert verdict.proven_unreachable
    assert verdict.blocked is not None and verdict.blocked.kind == "route table"
    assert "no route to an internet gateway for 0.0.0.0/0" in verdict.blocked.detail


def test_main_route_table_serves_a_subnet_without_an_explicit_association(ctx: Context, lab: Lab) -> None:
    subnet = lab.subnet(explicit=False)
    instance = lab.instance(subnet, lab.group(tcp(22, WORLD)))
    net = network(ctx)
    assert not reach(net, interface_of(net, instance), TCP, 22, 4).reachable  # main table: local only
    lab.route(lab.main_table(), WORLD)
    net = network(Context(ctx.session, ctx.account, ctx.region))
    verdict = reach(net, interface_of(net, instance), TCP, 22, 4)
    assert verdict.reachable
    assert "the VPC's main route table" in verdict.path[2].detail


def test_nacl_deny_before_allow_blocks(ctx: Context, lab: Lab) -> None:
    subnet = lab.subnet()
    lab.acl(subnet, (10, "deny", False, WORLD, 22, 22), (100, "allow", False, WORLD, 0, 65535),
            (100, "allow", True, WORLD, 0, 65535))
    instance = lab.instance(subnet, lab.group(tcp(22, WORLD), tcp(443, WORLD)))
    net = network(ctx)
    iface = interface_of(net, instance)
    verdict = reach(net, iface, TCP, 22, 4)
    assert verdict.proven_unreachable
    assert verdict.blocked is not None and verdict.blocked.kind == "network ACL"
    assert "denied by rule 10 deny 0.0.0.0/0" in verdict.blocked.detail
    assert reach(net, iface, TCP, 443, 4).reachable  # the allow after the deny still serves 443


def test_nacl_deny_for_part_of_the_internet_leaves_the_rest_in(ctx: Context, lab: Lab) -> None:
    subnet = lab.subnet()
    lab.acl(subnet, (10, "deny", False, "0.0.0.0/1", 22, 22), (100, "allow", False, WORLD, 22, 22),
            (100, "allow", True, WORLD, 1024, 65535))
    instance = lab.instance(subnet, lab.group(tcp(22, WORLD)))
    net = network(ctx)
    verdict = reach(net, interface_of(net, instance), TCP, 22, 4)
    assert verdict.reachable
    assert not AddressSet.of(["8.8.8.8/32"]).intersection(verdict.sources)
    assert AddressSet.of(["198.51.100.7/32"]).intersection(verdict.sources)


def test_nacl_allowing_the_port_but_not_the_ephemeral_replies_blocks(ctx: Context, lab: Lab) -> None:
    subnet = lab.subnet()
    lab.acl(subnet, (100, "allow", False, WORLD, 22, 22), (100, "allow", True, WORLD, 443, 443))
    instance = lab.instance(subnet, lab.group(tcp(22, WORLD)))
    net = network(ctx)
    verdict = reach(net, interface_of(net, instance), TCP, 22, 4)
    assert verdict.proven_unreachable
    assert verdict.blocked is not None
    assert "replies to ephemeral ports 1024-65535 are not" in verdict.blocked.detail


def test_ipv6_only_exposure(ctx: Context, lab: Lab) -> None:
    subnet = lab.subnet(route=None, public_ip=False)
    table = lab.client.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"][0]["RouteTableId"]
    lab.route(table, WORLD6)
    # moto's default ACL has IPv4 entries only (AWS adds ::/0 ones in an IPv6 VPC): say it here
    lab.acl(subnet, (100, "allow", False, WORLD, 0, 65535), (101, "allow", False, WORLD6, 0, 65535),
            (100, "allow", True, WORLD, 0, 65535), (101, "allow", True, WORLD6, 0, 65535))
    instance = lab.instance(subnet, lab.group(tcp(22, WORLD, WORLD6)), ipv6=True)
    net = network(ctx)
    iface = interface_of(net, instance)
    assert iface.public_ipv4 is None and iface.ipv6
    v4, v6 = reach(net, iface, TCP, 22, 4), reach(net, iface, TCP, 22, 6)
    assert not v4.reachable and v4.blocked is not None and v4.blocked.kind == "address"
    assert v6.reachable
    # the VPC's own range routes locally (longest prefix): the rest of the global unicast space gets in
    assert v6.sources == AddressSet.of(["2000::/3"]).difference(AddressSet.of([lab.ipv6]))
    [exposure] = exposures(net, iface)
    assert exposure.family == 6


def test_egress_only_gateway_lets_nothing_in(ctx: Context, lab: Lab) -> None:
    eigw = lab.client.create_egress_only_internet_gateway(VpcId=lab.vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    subnet = lab.subnet(route=None, public_ip=False)
    table = lab.client.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"][0]["RouteTableId"]
    lab.route(table, WORLD6, eigw)
    lab.acl(subnet, (101, "allow", False, WORLD6, 0, 65535), (101, "allow", True, WORLD6, 0, 65535))
    instance = lab.instance(subnet, lab.group(tcp(22, WORLD6)), ipv6=True)
    net = network(ctx)
    verdict = reach(net, interface_of(net, instance), TCP, 22, 6)
    assert verdict.proven_unreachable
    assert verdict.blocked is not None and f"::/0 -> {eigw}" in verdict.blocked.detail


def test_a_group_referencing_another_group_admits_only_its_members(ctx: Context, lab: Lab) -> None:
    web = lab.group(tcp(443, WORLD), name="web")
    db = lab.group(tcp(5432, groups=(web,)), name="db")
    instance = lab.instance(lab.subnet(), db)
    net = network(ctx)
    verdict = reach(net, interface_of(net, instance), TCP, 5432, 4)
    assert verdict.proven_unreachable
    assert verdict.blocked is not None and verdict.blocked.kind == "security group"
    assert f"allows members of {web}" in verdict.blocked.detail


def test_prefix_lists_admit_their_entries(ctx: Context, lab: Lab) -> None:
    partners = lab.client.create_managed_prefix_list(
        PrefixListName="partners", MaxEntries=5, AddressFamily="IPv4",
        Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    instance = lab.instance(lab.subnet(), lab.group(tcp(22, prefix_lists=(partners,))))
    data = ec2.collect(ctx)
    net = network(ctx, data)
    verdict = reach(net, interface_of(net, instance), TCP, 22, 4)
    assert verdict.sources == AddressSet.of(["198.51.100.0/24"])
    assert f"prefix list {partners}" in verdict.path[-1].detail
    # Entries that could not be read: not proof of anything
    for item in data["prefix_lists"]:
        item.pop("Entries", None)
    verdict = reach(build_region(REGION, data), interface_of(net, instance), TCP, 22, 4)
    assert not verdict.reachable and not verdict.proven_unreachable
    assert any(partners in u for u in verdict.uncertain)


def test_an_unattached_open_group_has_no_interface(ctx: Context, lab: Lab) -> None:
    group = lab.group(tcp(3306, WORLD), name="unused")
    net = network(ctx)
    assert group in net.groups and net.attached(group) == []


def test_a_missing_collection_is_named() -> None:
    from awsaudit.network.model import NetworkDataMissing  # noqa: PLC0415

    with pytest.raises(NetworkDataMissing) as raised:
        build_region(REGION, {"security_groups": [], "_errors": {"route_tables": "AccessDenied"}})
    assert raised.value.key in {"network_interfaces", "subnets", "route_tables"}
