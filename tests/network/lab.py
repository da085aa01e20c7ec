"""A moto VPC built step by step by the network tests (Lab), and TCP permissions (tcp)."""

from __future__ import annotations

from typing import Any

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
