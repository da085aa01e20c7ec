"""Network checks beyond security groups: NACLs, peering routes, VPC endpoints, IMDSv2; EBS defaults."""

from __future__ import annotations

import pytest

from awsaudit.checks.network.vpc import (
    ec2_instance_imdsv2_required,
    ec2_nacl_no_public_admin_ports,
    vpc_peering_routes_least_access,
    vpc_s3_endpoint_used,
    world_allows,
)
from awsaudit.checks.storage.ebs import ec2_ebs_default_encryption
from awsaudit.model import Json, Status
from tests.checks.cases import Case

REGION, ACCOUNT_ID = "eu-west-1", "123456789012"
VPC, PEER = "vpc-0aaa", "vpc-0bbb"


def entry(number: int, action: str, cidr: str = "0.0.0.0/0", protocol: str = "-1",
          ports: tuple[int, int] | None = None, egress: bool = False) -> Json:
    """One NACL entry as DescribeNetworkAcls returns it."""
    out: Json = {"RuleNumber": number, "RuleAction": action, "Protocol": protocol, "Egress": egress,
                 ("Ipv6CidrBlock" if ":" in cidr else "CidrBlock"): cidr}
    if ports is not None:
        out["PortRange"] = {"From": ports[0], "To": ports[1]}
    return out


def tcp(number: int, action: str, low: int, high: int | None = None, cidr: str = "0.0.0.0/0") -> Json:
    return entry(number, action, cidr, "6", (low, low if high is None else high))


DEFAULT_DENY = entry(32767, "deny")
DEFAULT_DENY6 = entry(32768, "deny", "::/0")


def nacl(*entries: Json) -> Json:
    return {"NetworkAclId": "acl-0123", "VpcId": VPC, "IsDefault": False, "OwnerId": ACCOUNT_ID,
            "Associations": [{"SubnetId": "subnet-0a"}], "Entries": [*entries, DEFAULT_DENY, DEFAULT_DENY6]}


AWS_DEFAULT = nacl(entry(100, "allow"), entry(101, "allow", "::/0"), entry(100, "allow", egress=True))
DENY_FIRST = nacl(tcp(10, "deny", 22), tcp(11, "deny", 3389),
                  tcp(12, "deny", 22, cidr="::/0"), tcp(13, "deny", 3389, cidr="::/0"),
                  entry(100, "allow"), entry(101, "allow", "::/0"))


def arn(kind: str, resource_id: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:{kind}/{resource_id}"


def account(**ec2: object) -> Json:
    return {"regions": {REGION: {"ec2": ec2}}}


def peering(status: str = "active", peer_cidr: str = "10.30.0.0/16") -> Json:
    return {"_arn": arn("vpc-peering-connection", "pcx-1"), "VpcPeeringConnectionId": "pcx-1",
            "Status": {"Code": status},
            "RequesterVpcInfo": {"VpcId": VPC, "OwnerId": ACCOUNT_ID, "CidrBlock": "10.20.0.0/16",
                                 "CidrBlockSet": [{"CidrBlock": "10.20.0.0/16"}], "Region": REGION},
            "AccepterVpcInfo": {"VpcId": PEER, "OwnerId": ACCOUNT_ID, "CidrBlock": peer_cidr,
                                "CidrBlockSet": [{"CidrBlock": peer_cidr}], "Region": REGION}}


def routes(*destinations: str, vpc: str = VPC) -> Json:
    """The region's route tables: one in `vpc` with routes over pcx-1 to the destinations."""
    table = {"RouteTableId": "rtb-0app", "VpcId": vpc, "Routes": [
        {"DestinationCidrBlock": "10.20.0.0/16", "GatewayId": "local"},
        *({("DestinationIpv6CidrBlock" if ":" in d else "DestinationCidrBlock"): d,
           "VpcPeeringConnectionId": "pcx-1", "State": "active"} for d in destinations)]}
    return account(route_tables=[table])


def vpc(vpc_id: str = VPC) -> Json:
    return {"_arn": arn("vpc", vpc_id), "VpcId": vpc_id, "CidrBlock": "10.20.0.0/16", "IsDefault": False}


def eni(interface_type: str = "interface", vpc_id: str = VPC) -> Json:
    return {"NetworkInterfaceId": "eni-1", "VpcId": vpc_id, "InterfaceType": interface_type}


def endpoint(service: str = "s3", state: str = "available", kind: str = "Gateway") -> Json:
    return {"VpcEndpointId": f"vpce-{service}", "VpcId": VPC, "VpcEndpointType": kind, "State": state,
            "ServiceName": f"com.amazonaws.{REGION}.{service}"}


def instance(tokens: str = "required", endpoint_state: str = "enabled", state: str = "running") -> Json:
    return {"InstanceId": "i-0123", "State": {"Name": state},
            "MetadataOptions": {"HttpTokens": tokens, "HttpEndpoint": endpoint_state,
                                "HttpPutResponseHopLimit": 1}}


CASES = [
    # CIS 6.2: NACLs
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "deny-before-allow", DENY_FIRST),
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "web-only",
         nacl(tcp(100, "allow", 443), tcp(110, "allow", 80))),
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "ephemeral-after-rdp-deny",
         nacl(tcp(90, "deny", 3389), tcp(100, "allow", 443),
              tcp(110, "allow", 1024, 65535))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "ephemeral-range-includes-rdp",
         nacl(tcp(100, "allow", 443), tcp(110, "allow", 1024, 65535))),
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "ssh-from-office",
         nacl(tcp(100, "allow", 22, cidr="203.0.113.0/24"))),
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "udp-only", nacl(entry(100, "allow", protocol="17"))),
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "egress-allow-all",
         nacl(entry(100, "allow", egress=True), entry(101, "allow", "::/0", egress=True))),
    Case(ec2_nacl_no_public_admin_ports, Status.PASS, "halves-denied-first",
         nacl(entry(10, "deny", "0.0.0.0/1"), entry(11, "deny", "128.0.0.0/1"), entry(100, "allow"))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "aws-default", AWS_DEFAULT),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "ssh-open", nacl(tcp(100, "allow", 22))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "rdp-open-ipv6",
         nacl(tcp(100, "allow", 3300, 3400, cidr="::/0"))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "deny-after-allow",
         nacl(entry(100, "allow"), tcp(200, "deny", 22))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "deny-for-one-range-only",
         nacl(tcp(10, "deny", 22, cidr="198.51.100.0/24"), entry(100, "allow"))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "deny-other-port-first",
         nacl(tcp(10, "deny", 23), tcp(100, "allow", 0, 65535))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "ipv4-denied-ipv6-open",
         nacl(tcp(10, "deny", 22), tcp(11, "deny", 3389),
              entry(100, "allow"), entry(101, "allow", "::/0"))),
    Case(ec2_nacl_no_public_admin_ports, Status.FAIL, "tcp-without-range",
         nacl(entry(100, "allow", protocol="6"))),
    Case(ec2_nacl_no_public_admin_ports, Status.UNKNOWN, "entries-not-collected",
         {"NetworkAclId": "acl-0123", "_errors": {"Entries": "AccessDenied"}}),
    # CIS 6.6: peering routes
    Case(vpc_peering_routes_least_access, Status.PASS, "subnet-route", peering(), routes("10.30.1.0/24")),
    Case(vpc_peering_routes_least_access, Status.PASS, "host-routes", peering(),
         routes("10.30.1.10/32", "10.30.2.0/28")),
    Case(vpc_peering_routes_least_access, Status.PASS, "peer-side-table",
         peering(), routes("10.20.5.0/24", vpc=PEER)),
    Case(vpc_peering_routes_least_access, Status.PASS, "no-routes", peering(), routes()),
    Case(vpc_peering_routes_least_access, Status.PASS, "not-active", peering("deleted"), {}),
    Case(vpc_peering_routes_least_access, Status.FAIL, "default-route", peering(), routes("0.0.0.0/0")),
    Case(vpc_peering_routes_least_access, Status.FAIL, "ipv6-default-route", peering(), routes("::/0")),
    Case(vpc_peering_routes_least_access, Status.FAIL, "wider-than-peer", peering(), routes("10.0.0.0/8")),
    Case(vpc_peering_routes_least_access, Status.FAIL, "fail-wins-over-manual", peering(),
         routes("10.30.0.0/16", "10.0.0.0/8")),
    Case(vpc_peering_routes_least_access, Status.MANUAL, "whole-peer-vpc", peering(), routes("10.30.0.0/16")),
    Case(vpc_peering_routes_least_access, Status.MANUAL, "outside-peer", peering(), routes("192.168.0.0/24")),
    Case(vpc_peering_routes_least_access, Status.UNKNOWN, "route-tables-denied", peering(),
         account(_errors={"route_tables": "AccessDenied"})),
    Case(vpc_peering_routes_least_access, Status.UNKNOWN, "region-not-collected", peering(), {"regions": {}}),
    # CIS 6.8: S3 endpoint
    Case(vpc_s3_endpoint_used, Status.PASS, "gateway-endpoint", vpc(),
         account(network_interfaces=[eni()], vpc_endpoints=[endpoint(), endpoint("dynamodb")])),
    Case(vpc_s3_endpoint_used, Status.PASS, "interface-endpoint", vpc(),
         account(network_interfaces=[eni(), eni("vpc_endpoint")],
                 vpc_endpoints=[endpoint(kind="Interface")])),
    Case(vpc_s3_endpoint_used, Status.PASS, "no-workloads", vpc(),
         account(network_interfaces=[eni("nat_gateway"), eni(vpc_id="vpc-other")], vpc_endpoints=[])),
    Case(vpc_s3_endpoint_used, Status.FAIL, "workloads-no-endpoint", vpc(),
         account(network_interfaces=[eni()], vpc_endpoints=[endpoint("dynamodb")])),
    Case(vpc_s3_endpoint_used, Status.FAIL, "endpoint-deleted", vpc(),
         account(network_interfaces=[eni("lambda")], vpc_endpoints=[endpoint(state="deleted")])),
    Case(vpc_s3_endpoint_used, Status.UNKNOWN, "endpoints-denied", vpc(),
         account(network_interfaces=[eni()], _errors={"vpc_endpoints": "AccessDenied"})),
    # CIS 6.7: IMDSv2
    Case(ec2_instance_imdsv2_required, Status.PASS, "required", instance()),
    Case(ec2_instance_imdsv2_required, Status.PASS, "imds-off", instance("optional", "disabled")),
    Case(ec2_instance_imdsv2_required, Status.PASS, "terminated",
         {"InstanceId": "i-1", "State": {"Name": "terminated"}}),
    Case(ec2_instance_imdsv2_required, Status.FAIL, "optional", instance("optional")),
    Case(ec2_instance_imdsv2_required, Status.FAIL, "stopped-optional",
         instance("optional", state="stopped")),
    Case(ec2_instance_imdsv2_required, Status.UNKNOWN, "options-missing",
         {"InstanceId": "i-1", "State": {"Name": "running"}, "_errors": {"MetadataOptions": "x"}}),
    # CIS 6.1.1: EBS default encryption
    Case(ec2_ebs_default_encryption, Status.PASS, "on", {"EbsEncryptionByDefault": True}),
    Case(ec2_ebs_default_encryption, Status.FAIL, "off", {"EbsEncryptionByDefault": False}),
    Case(ec2_ebs_default_encryption, Status.UNKNOWN, "denied",
         {"_errors": {"EbsEncryptionByDefault": "AccessDenied"}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_result_has_evidence(case: Case) -> None:
    outcome = case.check.evaluate(case.resource, case.account)
    assert outcome.status is Status.UNKNOWN or outcome.evidence


def test_nacl_message_and_evidence_name_the_deciding_entries() -> None:
    acl = nacl(tcp(10, "deny", 22, cidr="198.51.100.0/24"), entry(100, "allow"))
    outcome = ec2_nacl_no_public_admin_ports.evaluate(acl)
    assert outcome.message == ("Entry 100 allows 0.0.0.0/0 (after entries 10) to SSH 22; "
                               "entry 100 allows 0.0.0.0/0 to RDP 3389")
    assert [e["RuleNumber"] for e in outcome.evidence["Entries"]] == [10, 100]
    assert outcome.evidence["Subnets"] == ["subnet-0a"]


def test_world_allows_ignores_entries_after_a_world_deny() -> None:
    acl = nacl(tcp(10, "deny", 0, 1023), entry(100, "allow"))
    assert world_allows(acl, 22) == []
    [(allow, earlier)] = world_allows(acl, 3389)
    assert allow["RuleNumber"] == 100 and earlier == []  # entry 10 does not cover 3389
    half_denied = nacl(tcp(10, "deny", 3389, cidr="0.0.0.0/1"), entry(100, "allow"))
    [(allow, earlier)] = world_allows(half_denied, 3389)
    assert [e["RuleNumber"] for e in earlier] == [10]


def test_peering_messages() -> None:
    outcome = vpc_peering_routes_least_access.evaluate(peering(), routes("10.0.0.0/8", "10.30.0.0/16"))
    assert outcome.message == "rtb-0app: 10.0.0.0/8 is wider than the peer VPC's CIDR"
    assert [r["DestinationCidrBlock"] for r in outcome.evidence["Routes"]] == ["10.0.0.0/8", "10.30.0.0/16"]
    outcome = vpc_peering_routes_least_access.evaluate(peering(), routes("10.30.0.0/16"))
    assert "whole CIDR" in outcome.message


def test_imds_and_endpoint_messages() -> None:
    assert ec2_instance_imdsv2_required.evaluate(instance("optional")).message == (
        "IMDSv1 is allowed (HttpTokens 'optional')")
    outcome = vpc_s3_endpoint_used.evaluate(
        vpc(), account(network_interfaces=[eni()], vpc_endpoints=[endpoint(), endpoint("dynamodb")]))
    assert outcome.message == "S3 endpoint vpce-s3 (Gateway); other endpoints: dynamodb"
