"""Reachability on moto VPCs: each hop that lets the internet in, and each that stops it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.network.model import RegionNetwork, build_region
from awsaudit.network.ports import TCP, AddressSet
from awsaudit.network.reach import exposures, reach
from tests.conftest import REGION

WORLD, WORLD6 = "0.0.0.0/0", "::/0"


class Lab:
    """A VPC with an internet gateway, built step by step by each test."""

    def __init__(self, client: Any) -> None:
        self.client = client
        vpc = client.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
        self.vpc = vpc["VpcId"]
        self.ipv6 = client.describe_vpcs(VpcIds=[self.vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0][
            "Ipv6CidrBlock"]
        self.igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        client.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        self.image = client.register_image(
            Name="lab", Architecture="x86_64", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]
        self._subnets = 0

    def subnet(self, *, route: str | None = WORLD, explicit: bool = True, public_ip: bool = True) -> str:
        index = self._subnets
        self._subnets += 1
        prefix = self.ipv6.split("::")[0]
        subnet = self.client.create_subnet(VpcId=self.vpc, CidrBlock=f"10.0.{index}.0/24",
                                           Ipv6CidrBlock=f"{prefix}:{index:x}::/64")["Subnet"]["SubnetId"]
        self.client.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": public_ip})
        if explicit:
            table = self.client.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
            self.client.associate_route_table(RouteTableId=table, SubnetId=subnet)
            if route is not None:
                self.route(table, route)
        return subnet

    def route(self, table: str, cidr: str, target: str | None = None) -> None:
        key = "DestinationIpv6CidrBlock" if ":" in cidr else "DestinationCidrBlock"
        gateway = target or self.igw
        kind = "EgressOnlyInternetGatewayId" if gateway.startswith("eigw-") else "GatewayId"
        self.client.create_route(RouteTableId=table, **{key: cidr, kind: gateway})

    def main_table(self) -> str:
        tables = self.client.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        [main] = [t for t in tables["RouteTables"] if any(a.get("Main") for a in t["Associations"])]
        return str(main["RouteTableId"])

    def group(self, *permissions: dict[str, Any], name: str = "g") -> str:
        group = self.client.create_security_group(GroupName=f"{name}-{self._subnets}-{id(permissions)}",
                                                  Description=name, VpcId=self.vpc)["GroupId"]
        if permissions:
            self.client.authorize_security_group_ingress(GroupId=group, IpPermissions=list(permissions))
        return str(group)

    def instance(self, subnet: str, *groups: str, ipv6: bool = False) -> str:
        extra = {"Ipv6AddressCount": 1} if ipv6 else {}
        [instance] = self.client.run_instances(ImageId=self.image, MinCount=1, MaxCount=1, SubnetId=subnet,
                                               SecurityGroupIds=list(groups), **extra)["Instances"]
        return str(instance["InstanceId"])

    def acl(self, subnet: str, *entries: tuple[int, str, bool, str, int, int]) -> str:
        """(rule, allow|deny, egress, CIDR, from, to) TCP entries in a new ACL for `subnet`."""
        acl = self.client.create_network_acl(VpcId=self.vpc)["NetworkAcl"]["NetworkAclId"]
        current = self.client.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
        [association] = [a for a in current["Associations"] if a["SubnetId"] == subnet]
        self.client.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"],
                                                    NetworkAclId=acl)
        for number, action, egress, cidr, low, high in entries:
            source = {"Ipv6CidrBlock": cidr} if ":" in cidr else {"CidrBlock": cidr}
            self.client.create_network_acl_entry(NetworkAclId=acl, RuleNumber=number, Protocol="6",
                                                 RuleAction=action, Egress=egress,
                                                 PortRange={"From": low, "To": high}, **source)
        return str(acl)


def tcp(port: int, *cidrs: str, groups: tuple[str, ...] = (),
        prefix_lists: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": c} for c in cidrs if ":" not in c],
            "Ipv6Ranges": [{"CidrIpv6": c} for c in cidrs if ":" in c],
            "UserIdGroupPairs": [{"GroupId": g} for g in groups],
            "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists]}


@pytest.fixture
def lab(session: boto3.Session) -> Lab:
    return Lab(session.client("ec2", region_name=REGION))


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
