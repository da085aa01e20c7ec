"""ec2 collector against moto: collections, ARNs, flattened instances, injected denials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from awsaudit.checks import evaluate
from awsaudit.checks._registry import REGISTRY
from awsaudit.checks.network.security_groups import ec2_sg_no_public_ssh
from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.model import Json, Severity, Status
from tests.conftest import ACCOUNT, REGION


@pytest.fixture
def client(session: boto3.Session) -> Any:
    return session.client("ec2", region_name=REGION)


def _ingress(client: Any, group_id: str, port: int, cidr: str) -> None:
    ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
    client.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **ranges}])


def _vpc_with_groups(client: Any) -> tuple[str, dict[str, str]]:
    vpc = client.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    groups = {name: client.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
              for name in ("acme-bastion", "acme-bastion-restricted", "acme-web")}
    _ingress(client, groups["acme-bastion"], 22, "0.0.0.0/0")
    _ingress(client, groups["acme-bastion-restricted"], 22, "203.0.113.0/24")
    _ingress(client, groups["acme-web"], 443, "::/0")
    return vpc, groups


def _ami(client: Any) -> str:
    image: str = client.register_image(
        Name="acme-base", Architecture="x86_64", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]
    return image


def _by(items: list[Json], field: str, value: str) -> Json:
    [item] = [i for i in items if i.get(field) == value]
    return item


def test_declares_what_it_produces_and_calls() -> None:
    assert ec2.PRODUCES == ("security_groups", "vpcs", "network_acls", "flow_logs", "network_interfaces",
                            "instances", "subnets", "route_tables", "internet_gateways", "nat_gateways",
                            "transit_gateway_attachments", "vpc_peering_connections", "vpc_endpoints",
                            "prefix_lists", "ebs")
    assert all(a.startswith(("ec2:Describe", "ec2:Get")) for a in ec2.ACTIONS)
    # + ec2:GetEbsEncryptionByDefault and ec2:GetManagedPrefixListEntries
    assert len(ec2.ACTIONS) == len(ec2.LISTINGS) + 2
    assert {c.over.split(".")[1] for c in REGISTRY.values() if c.service == "ec2"} <= set(ec2.PRODUCES)


def test_security_groups_keep_aws_fields_and_get_arns(ctx: Context, client: Any) -> None:
    vpc, groups = _vpc_with_groups(client)
    data = ec2.collect(ctx)

    assert set(ec2.PRODUCES) <= set(data)
    assert "_errors" not in data
    bastion = _by(data["security_groups"], "GroupId", groups["acme-bastion"])
    assert bastion["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{groups['acme-bastion']}"
    assert bastion["GroupName"] == "acme-bastion"
    assert bastion["VpcId"] == vpc
    [permission] = bastion["IpPermissions"]
    assert permission["IpProtocol"] == "tcp"
    assert (permission["FromPort"], permission["ToPort"]) == (22, 22)
    assert permission["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    web = _by(data["security_groups"], "GroupId", groups["acme-web"])
    assert web["IpPermissions"][0]["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]
    assert "IpPermissionsEgress" in web
    # moto, like AWS, gives each VPC (the default one and ours) a default group.
    assert sum(g["GroupName"] == "default" for g in data["security_groups"]) == 2


def test_vpcs_nacls_flow_logs_and_interfaces(ctx: Context, client: Any) -> None:
    vpc, _ = _vpc_with_groups(client)
    flow_log = client.create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName="/acme/vpc-flow-logs",
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/acme-flow-logs")["FlowLogIds"][0]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    eni = client.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    data = ec2.collect(ctx)

    ours = _by(data["vpcs"], "VpcId", vpc)
    assert ours["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc}"
    assert ours["IsDefault"] is False
    assert any(v["IsDefault"] for v in data["vpcs"])
    acl = _by(data["network_acls"], "VpcId", vpc)
    assert acl["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-acl/{acl['NetworkAclId']}"
    assert acl["Entries"]
    log = _by(data["flow_logs"], "FlowLogId", flow_log)
    assert log["ResourceId"] == vpc
    assert log["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/{flow_log}"
    assert isinstance(log["CreationTime"], str)  # jsonable: no datetimes in the snapshot
    interface = _by(data["network_interfaces"], "NetworkInterfaceId", eni)
    assert interface["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:network-interface/{eni}"
    assert interface["VpcId"] == vpc


def test_instances_are_flattened_with_unset_fields_as_none(ctx: Context, session: boto3.Session,
                                                          client: Any) -> None:
    _, groups = _vpc_with_groups(client)
    iam = session.client("iam")
    iam.create_role(RoleName="acme-web", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="acme-web")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-web", RoleName="acme-web")
    image = _ami(client)
    # One instance per call: moto attaches the profile only to the first instance of a batch.
    for _ in range(2):
        client.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             IamInstanceProfile={"Name": "acme-web"},
                             MetadataOptions={"HttpTokens": "required"})
    [bare] = client.run_instances(ImageId=image, MinCount=1, MaxCount=1,
                                  SecurityGroupIds=[groups["acme-bastion"]])["Instances"]
    data = ec2.collect(ctx)

    instances = data["instances"]
    assert len(instances) == 3
    assert all("Instances" not in i and "ReservationId" not in i for i in instances)
    profiled = [i for i in instances if i["IamInstanceProfile"] is not None]
    assert len(profiled) == 2
    assert all(i["MetadataOptions"]["HttpTokens"] == "required" for i in profiled)
    assert all(i["IamInstanceProfile"]["Arn"].endswith("instance-profile/acme-web") for i in profiled)
    plain = _by(instances, "InstanceId", bare["InstanceId"])
    assert plain["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{bare['InstanceId']}"
    assert plain["IamInstanceProfile"] is None  # AWS omits it; the snapshot says "none"
    assert plain["MetadataOptions"]["HttpTokens"] == "optional"
    assert plain["SecurityGroups"] == [{"GroupId": groups["acme-bastion"], "GroupName": "acme-bastion"}]
    assert plain["State"]["Name"] == "running"
    assert "PublicIpAddress" in plain


def test_routing_peering_endpoints_and_ebs(ctx: Context, session: boto3.Session, client: Any) -> None:
    vpc, _ = _vpc_with_groups(client)
    peer = client.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    pcx = client.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]
    client.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    table = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=table, DestinationCidrBlock="10.30.1.0/24",
                        VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    allocation = client.allocate_address(Domain="vpc")["AllocationId"]
    nat = client.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    endpoint = client.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3",
                                          VpcEndpointType="Gateway", RouteTableIds=[table])["VpcEndpoint"]
    gateway = client.create_transit_gateway(Description="acme-core")["TransitGateway"]["TransitGatewayId"]
    attachment = client.create_transit_gateway_vpc_attachment(
        TransitGatewayId=gateway, VpcId=vpc, SubnetIds=[subnet])["TransitGatewayVpcAttachment"]
    client.enable_ebs_encryption_by_default()
    session.client("ec2", region_name="us-east-1")  # the other region keeps the default (off)
    data = ec2.collect(ctx)

    assert "_errors" not in data
    assert _by(data["subnets"], "SubnetId", subnet)["_arn"] == (
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet}")
    routes = _by(data["route_tables"], "RouteTableId", table)["Routes"]
    assert {"DestinationCidrBlock": "10.30.1.0/24"}.items() <= _by(
        routes, "VpcPeeringConnectionId", pcx["VpcPeeringConnectionId"]).items()
    assert _by(data["internet_gateways"], "InternetGatewayId", igw)["Attachments"][0]["VpcId"] == vpc
    assert _by(data["nat_gateways"], "NatGatewayId", nat)["_arn"] == (
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:natgateway/{nat}")
    peering = _by(data["vpc_peering_connections"], "VpcPeeringConnectionId", pcx["VpcPeeringConnectionId"])
    assert peering["Status"]["Code"] == "active"
    assert peering["AccepterVpcInfo"]["CidrBlock"] == "10.30.0.0/16"
    assert peering["_arn"] == (f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-peering-connection/"
                               f"{pcx['VpcPeeringConnectionId']}")
    found = _by(data["vpc_endpoints"], "VpcEndpointId", endpoint["VpcEndpointId"])
    assert (found["ServiceName"], found["VpcEndpointType"], found["VpcId"]) == (
        f"com.amazonaws.{REGION}.s3", "Gateway", vpc)
    assert isinstance(found["CreationTimestamp"], str)
    tgw = _by(data["transit_gateway_attachments"], "TransitGatewayAttachmentId",
              attachment["TransitGatewayAttachmentId"])
    assert tgw["ResourceId"] == vpc
    assert tgw["_arn"].startswith(f"arn:aws:ec2:{REGION}:{ACCOUNT}:transit-gateway-attachment/")
    assert data["ebs"] == {"_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:ebs-encryption-by-default",
                           "EbsEncryptionByDefault": True}
    assert ec2.collect(ctx.for_region("us-east-1"))["ebs"]["EbsEncryptionByDefault"] is False


def test_denied_ebs_setting_and_unimplemented_transit_gateways_are_recorded(
    ctx: Context, deny: Callable[..., None],
) -> None:
    """The regional setting keeps its document with the reason; an endpoint (or moto) without transit
    gateways answers 500, which is recorded like any error and costs only that collection."""
    deny("GetEbsEncryptionByDefault")
    deny("DescribeTransitGatewayAttachments", code="InternalError", status=500)
    data = ec2.collect(ctx)
    assert data["ebs"] == {"_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:ebs-encryption-by-default",
                           "_errors": {"EbsEncryptionByDefault": "AccessDenied"}}
    assert data["_errors"] == {"transit_gateway_attachments": "InternalError"}
    assert "vpc_peering_connections" in data and "vpc_endpoints" in data
    assert sorted((e["operation"], e["code"]) for e in ctx.errors) == [
        ("DescribeTransitGatewayAttachments", "InternalError"), ("GetEbsEncryptionByDefault", "AccessDenied")]


def test_prefix_lists_carry_their_entries(ctx: Context, client: Any) -> None:
    offices = client.create_managed_prefix_list(
        PrefixListName="acme-offices", MaxEntries=5, AddressFamily="IPv4",
        Entries=[{"Cidr": "203.0.113.0/24", "Description": "Paris"}])["PrefixList"]["PrefixListId"]
    data = ec2.collect(ctx)
    mine = _by(data["prefix_lists"], "PrefixListId", offices)
    assert mine["Entries"] == [{"Cidr": "203.0.113.0/24", "Description": "Paris"}]
    assert mine["_arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:prefix-list/{offices}"
    assert all("Entries" in p for p in data["prefix_lists"])  # AWS-managed lists too


def test_denied_prefix_list_entries_leave_the_entries_absent_with_the_reason(
    ctx: Context, client: Any, deny: Callable[..., None],
) -> None:
    offices = client.create_managed_prefix_list(
        PrefixListName="acme-offices", MaxEntries=5, AddressFamily="IPv4",
        Entries=[{"Cidr": "203.0.113.0/24"}])["PrefixList"]["PrefixListId"]
    deny("GetManagedPrefixListEntries")
    data = ec2.collect(ctx)
    mine = _by(data["prefix_lists"], "PrefixListId", offices)
    assert "Entries" not in mine
    assert mine["_errors"] == {"Entries": "AccessDenied"}
    assert {(e["operation"], e["code"]) for e in ctx.errors} == {
        ("GetManagedPrefixListEntries", "AccessDenied")}
    assert any(e["resource"] == mine["_arn"] for e in ctx.errors)


def test_arns_follow_partition_and_owner(session: boto3.Session, client: Any) -> None:
    ctx = Context(session, ACCOUNT, REGION, partition="aws-us-gov")
    _vpc_with_groups(client)
    data = ec2.collect(ctx)
    assert all(g["_arn"] == f"arn:aws-us-gov:ec2:{REGION}:{g['OwnerId']}:security-group/{g['GroupId']}"
               for g in data["security_groups"])


def test_denied_listing_leaves_only_its_collection_absent(
    session: boto3.Session, client: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each listing denied in turn, on one moto account (a moto setup per listing costs seconds)."""
    _vpc_with_groups(client)
    original = BaseClient._make_api_call
    for listing in ec2.LISTINGS:
        api_name = "".join(word.capitalize() for word in listing.operation.split("_"))

        def fake(self: BaseClient, operation_name: str, api_params: Any, denied: str = api_name) -> Any:
            if operation_name == denied:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"},
                                   "ResponseMetadata": {"HTTPStatusCode": 403}}, operation_name)
            return original(self, operation_name, api_params)

        ctx = Context(session, ACCOUNT, REGION)
        with monkeypatch.context() as patch:
            patch.setattr(BaseClient, "_make_api_call", fake)
            data = ec2.collect(ctx)

        assert listing.key not in data, api_name
        assert data["_errors"] == {listing.key: "AccessDenied"}
        assert set(data) - {"_errors"} == set(ec2.PRODUCES) - {listing.key}
        [error] = ctx.errors
        assert error["service"] == "ec2"
        assert error["operation"] == api_name  # call() records the API operation name
        assert error["code"] == "AccessDenied"
        assert error["region"] == REGION


def _snapshot(data: Json) -> Json:
    return {"partition": "aws", "accounts": {ACCOUNT: {"global": {}, "regions": {REGION: {"ec2": data}}}}}


def test_collected_groups_evaluate(ctx: Context, client: Any) -> None:
    _, groups = _vpc_with_groups(client)
    findings = evaluate(_snapshot(ec2.collect(ctx)), [ec2_sg_no_public_ssh])

    by_group = {f.resource.rsplit("/", 1)[1]: f for f in findings}
    assert by_group[groups["acme-bastion"]].status is Status.FAIL
    assert by_group[groups["acme-bastion"]].message == (
        "SSH 22 open to 0.0.0.0/0; the group is attached to no network interface (unused)")
    assert by_group[groups["acme-bastion"]].severity is Severity.LOW
    assert by_group[groups["acme-bastion-restricted"]].status is Status.PASS
    assert by_group[groups["acme-web"]].status is Status.PASS
    assert all(f.region == REGION and f.account == ACCOUNT for f in findings)


def test_network_checks_are_unknown_when_groups_are_denied(ctx: Context, client: Any,
                                                          deny: Callable[..., None]) -> None:
    _vpc_with_groups(client)
    deny("DescribeSecurityGroups")
    network = [c for c in REGISTRY.values() if c.over == "ec2.security_groups"]
    findings = evaluate(_snapshot(ec2.collect(ctx)), network)

    assert len(findings) == len(network) == 8
    assert all(f.status is Status.UNKNOWN for f in findings)
    assert all("AccessDenied" in f.message for f in findings)
