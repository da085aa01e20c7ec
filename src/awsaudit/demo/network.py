"""Acme's network: a production VPC whose security groups grew by hand, next to AWS's default VPCs.

The production VPC (10.20.0.0/16, home region) holds the web tier done right, an application
database reachable only from it, and the usual shortcuts: a bastion and a Windows jump host open
to the world, a billing database someone opened "for a migration", a legacy VNC group for a
vendor, and a rule added to the VPC's default group. The default VPCs stay as AWS creates them
(their default groups allow all outbound traffic) except in Frankfurt, the backup region, which
was locked down when Acme last went through CIS. The production VPC has flow logs; the default
VPCs do not.

Routing: the public subnet reaches the internet through a gateway and gives its instances public
IPs; the private subnet has no route to the internet and sits behind a network ACL that denies SSH
and RDP from anywhere before allowing the rest, while the public subnet's ACL lets SSH in for the
bastion (and the replies out). So the bastion is truly exposed (SSH from the internet, end to
end), while the self-managed billing MySQL in the private subnet, whose group is open to the
world, cannot be reached: the same kind of rule, two severities. The web server takes HTTP only
from an internet-facing ALB in the two public subnets: reachable through the balancer, not
exposed. Production reaches S3 through a gateway endpoint. A shared-services VPC (CI runners) is
peered with routes to single subnets; the staging VPC, peered "to copy a database", routes all of
10.0.0.0/8 over its peering, runs an app server without an S3 endpoint and has no flow log. EBS
encryption by default is on in the home region only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.literals import ResourceTypeType, RuleActionType
    from mypy_boto3_ec2.type_defs import FilterTypeDef, IpPermissionTypeDef, TagSpecificationTypeDef

VPC_CIDR = "10.20.0.0/16"
SHARED_CIDR = "10.30.0.0/16"
STAGING_CIDR = "10.40.0.0/16"
OFFICE_CIDR = "203.0.113.0/24"  # Acme's office egress range (TEST-NET-3)
WORLD, WORLD6 = "0.0.0.0/0", "::/0"
FLOW_LOG_GROUP = "/acme/vpc/flow-logs"


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    ec2 = session.client("ec2", region_name=home)
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=_tags("vpc", "acme-prod"))["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/24", AvailabilityZone=f"{home}a",
                               TagSpecifications=_tags("subnet", "acme-prod-public-a"))["Subnet"]["SubnetId"]
    public_b = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{home}b",
        TagSpecifications=_tags("subnet", "acme-prod-public-b"))["Subnet"]["SubnetId"]
    private = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.20.10.0/24", AvailabilityZone=f"{home}a",
        TagSpecifications=_tags("subnet", "acme-prod-private-a"))["Subnet"]["SubnetId"]

    # Instances launched in the public subnet get a public IPv4 address (the console's default
    # for a "public" subnet): what makes the bastion reachable.
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    groups = _security_groups(ec2, vpc)
    _open_default_group(ec2, vpc)
    _flow_logs(session, home, vpc)
    image = _instances(session, ec2, public, groups)
    _billing_database(ec2, image, private, groups["acme-billing-db"])
    tables = _routing(ec2, vpc, (public, public_b), private)
    _network_acls(ec2, vpc, (public, public_b), private)
    _load_balancer(session, home, vpc, (public, public_b), groups)
    ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Gateway", ServiceName=f"com.amazonaws.{home}.s3",
                            RouteTableIds=list(tables.values()),
                            TagSpecifications=_tags("vpc-endpoint", "acme-prod-s3"))
    _peered_vpcs(ec2, vpc, tables["private"], image)
    ec2.enable_ebs_encryption_by_default()  # home region only: the other regions were never looked at
    if len(regions) > 2:
        _lock_down_default_group(session.client("ec2", region_name=regions[2]))


def _tags(kind: ResourceTypeType, name: str) -> list[TagSpecificationTypeDef]:
    return [{"ResourceType": kind,
             "Tags": [{"Key": "Name", "Value": name}, {"Key": "environment", "Value": "prod"}]}]


def _tcp(ports: int | tuple[int, int], *cidrs: str, group: str | None = None) -> IpPermissionTypeDef:
    low, high = ports if isinstance(ports, tuple) else (ports, ports)
    permission: IpPermissionTypeDef = {
        "IpProtocol": "tcp", "FromPort": low, "ToPort": high,
        "IpRanges": [{"CidrIp": c, "Description": "anywhere" if c == WORLD else "Acme office"}
                     for c in cidrs if ":" not in c],
        "Ipv6Ranges": [{"CidrIpv6": c} for c in cidrs if ":" in c],
    }
    if group is not None:
        permission["UserIdGroupPairs"] = [{"GroupId": group, "Description": "from the web tier"}]
    return permission


def _security_groups(ec2: EC2Client, vpc: str) -> dict[str, str]:
    """The groups of the production VPC; returns name -> group id."""
    def group(name: str, description: str, *ingress: IpPermissionTypeDef) -> str:
        group_id = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc,
                                             TagSpecifications=_tags("security-group", name))["GroupId"]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(ingress))
        return group_id

    alb = group("acme-prod-alb", "Public load balancer", _tcp(80, WORLD, WORLD6), _tcp(443, WORLD, WORLD6))
    # The web servers take traffic from the load balancer only: reachable through it, not exposed.
    web = group("acme-prod-web", "Public web tier (ALB targets)", _tcp(80, group=alb))
    return {
        "acme-prod-alb": alb,
        "acme-prod-web": web,
        # Opened during an incident so the on-call engineer could get in from a hotel; never closed.
        "acme-bastion": group("acme-bastion", "SSH bastion", _tcp(22, WORLD)),
        "acme-bastion-restricted": group("acme-bastion-restricted", "SSH bastion, office only",
                                         _tcp(22, OFFICE_CIDR)),
        # "Temporary" access for a data migration by an external contractor.
        "acme-billing-db": group("acme-billing-db", "Billing MySQL", _tcp(3306, WORLD)),
        "acme-app-db": group("acme-app-db", "Application PostgreSQL", _tcp(5432, group=web)),
        "acme-legacy-vnc": group("acme-legacy-vnc", "Vendor remote support (legacy)",
                                 _tcp((5900, 5901), WORLD6)),
        # SMB was added so finance could copy exports to the jump host from home.
        "acme-windows-jump": group("acme-windows-jump", "Windows jump host for finance tools",
                                   _tcp(3389, WORLD), _tcp(445, WORLD)),
    }


def _default_group(ec2: EC2Client, vpc: str | None = None) -> str:
    filters: list[FilterTypeDef] = [{"Name": "group-name", "Values": ["default"]}]
    if vpc is not None:
        filters.append({"Name": "vpc-id", "Values": [vpc]})
    [group] = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    return group["GroupId"]


def _open_default_group(ec2: EC2Client, vpc: str) -> None:
    """Someone "fixed" connectivity by letting the whole VPC into the default group."""
    ec2.authorize_security_group_ingress(GroupId=_default_group(ec2, vpc), IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": VPC_CIDR, "Description": "allow internal"}]}])


def _lock_down_default_group(ec2: EC2Client) -> None:
    """CIS 6.5 done right: the default group of the (default) VPC keeps no rule at all."""
    [group] = ec2.describe_security_groups(GroupIds=[_default_group(ec2)])["SecurityGroups"]
    if group["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])


def _flow_logs(session: boto3.Session, region: str, vpc: str) -> None:
    """Production traffic is logged to CloudWatch Logs through a role only VPC Flow Logs can assume."""
    iam = session.client("iam", region_name=region)
    role = iam.create_role(
        RoleName="acme-vpc-flow-logs", Description="Delivers VPC flow logs to CloudWatch Logs",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole"}]}),
    )["Role"]
    account = role["Arn"].split(":")[4]
    iam.put_role_policy(RoleName="acme-vpc-flow-logs", PolicyName="deliver-flow-logs",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents",
                                       "logs:DescribeLogStreams"],
                            "Resource": f"arn:aws:logs:{region}:{account}:log-group:{FLOW_LOG_GROUP}:*"}]}))
    session.client("logs", region_name=region).create_log_group(logGroupName=FLOW_LOG_GROUP)
    session.client("ec2", region_name=region).create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
        LogGroupName=FLOW_LOG_GROUP, DeliverLogsPermissionArn=role["Arn"],
    )


def _instances(session: boto3.Session, ec2: EC2Client, subnet: str, groups: dict[str, str]) -> str:
    """A web server built from Acme's hardened image, and a bastion launched by hand the old way;
    returns the image id."""
    image = ec2.register_image(
        Name="acme-base-al2023-2025.06", Description="Acme hardened Amazon Linux 2023",
        Architecture="x86_64", RootDeviceName="/dev/xvda", VirtualizationType="hvm",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "VolumeType": "gp3"}}],
    )["ImageId"]
    iam = session.client("iam")
    iam.create_role(RoleName="acme-prod-web-instance", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="acme-prod-web-instance", PolicyName="read-artifacts",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::acme-prod-artifacts/*"}]}))
    iam.create_instance_profile(InstanceProfileName="acme-prod-web-instance")
    iam.add_role_to_instance_profile(InstanceProfileName="acme-prod-web-instance",
                                     RoleName="acme-prod-web-instance")
    ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.small", SubnetId=subnet,
        SecurityGroupIds=[groups["acme-prod-web"]], IamInstanceProfile={"Name": "acme-prod-web-instance"},
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=_tags("instance", "acme-prod-web-1"),
    )
    ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
        SecurityGroupIds=[groups["acme-bastion"]], MetadataOptions={"HttpTokens": "optional"},
        TagSpecifications=_tags("instance", "acme-bastion-1"),
    )
    return image


def _billing_database(ec2: EC2Client, image: str, subnet: str, group: str) -> None:
    """The billing MySQL runs on an instance in the private subnet; its group was opened to the
    world for the contractor's migration, but no route leads there from the internet."""
    ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.medium", SubnetId=subnet,
        SecurityGroupIds=[group], MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=_tags("instance", "acme-billing-db-1"),
    )


def _routing(ec2: EC2Client, vpc: str, public: tuple[str, str], private: str) -> dict[str, str]:
    """An internet gateway for the public subnet, a private route table for the rest."""
    gateway = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", "acme-prod-igw"))
    gateway_id = gateway["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc)
    tables = {}
    for name, subnets in (("public", public), ("private", (private,))):
        table = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("route-table", f"acme-prod-{name}"))
        tables[name] = table["RouteTable"]["RouteTableId"]
        for subnet in subnets:
            ec2.associate_route_table(RouteTableId=tables[name], SubnetId=subnet)
    ec2.create_route(RouteTableId=tables["public"], DestinationCidrBlock=WORLD, GatewayId=gateway_id)
    return tables


def _nacl_entries(ec2: EC2Client, acl: str, *entries: tuple[int, RuleActionType, str, int, int],
                  egress: bool = False) -> None:
    """(rule number, allow|deny, CIDR, from port, to port) TCP entries, inbound unless `egress`."""
    for number, action, cidr, low, high in entries:
        source = {"Ipv6CidrBlock": cidr} if ":" in cidr else {"CidrBlock": cidr}
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=number, Protocol="6", RuleAction=action,
                                     Egress=egress, PortRange={"From": low, "To": high}, **source)  # type: ignore[arg-type]


def _network_acls(ec2: EC2Client, vpc: str, public: tuple[str, str], private: str) -> None:
    """The private subnet denies admin ports from anywhere first (CIS 6.2 done right); the public
    subnet's ACL was opened for SSH to the bastion, with the usual ephemeral-port allow."""
    def acl(name: str, *subnets: str) -> str:
        acl_id = ec2.create_network_acl(VpcId=vpc, TagSpecifications=_tags("network-acl", name))[
            "NetworkAcl"]["NetworkAclId"]
        for subnet in subnets:
            by_subnet: list[FilterTypeDef] = [{"Name": "association.subnet-id", "Values": [subnet]}]
            [current] = ec2.describe_network_acls(Filters=by_subnet)["NetworkAcls"]
            [association] = [a for a in current["Associations"] if a["SubnetId"] == subnet]
            ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"],
                                                NetworkAclId=acl_id)
        return acl_id

    private_acl = acl("acme-prod-private", private)
    _nacl_entries(ec2, private_acl, (10, "deny", WORLD, 22, 22), (11, "deny", WORLD, 3389, 3389),
                  (12, "deny", WORLD6, 22, 22), (13, "deny", WORLD6, 3389, 3389),
                  (100, "allow", WORLD, 0, 65535), (101, "allow", WORLD6, 0, 65535))
    public_acl = acl("acme-prod-public", *public)
    _nacl_entries(ec2, public_acl, (100, "allow", WORLD, 80, 80), (110, "allow", WORLD, 443, 443),
                  (120, "allow", WORLD, 22, 22), (130, "allow", WORLD, 1024, 65535))
    # NACLs are stateless: the replies to clients' ephemeral ports, and the servers' own updates.
    _nacl_entries(ec2, public_acl, (100, "allow", WORLD, 80, 80), (110, "allow", WORLD, 443, 443),
                  (120, "allow", WORLD, 1024, 65535), egress=True)


def _load_balancer(session: boto3.Session, region: str, vpc: str, subnets: tuple[str, str],
                   groups: dict[str, str]) -> None:
    """An internet-facing ALB in the two public subnets, forwarding HTTP to the web server: the web
    tier is reachable through it (port 80, from the balancer's group only), not from the internet."""
    ec2 = session.client("ec2", region_name=region)
    elb = session.client("elbv2", region_name=region)
    balancer = elb.create_load_balancer(Name="acme-prod-web", Subnets=list(subnets), Scheme="internet-facing",
                                        SecurityGroups=[groups["acme-prod-alb"]], Type="application")
    target_group = elb.create_target_group(Name="acme-prod-web", Protocol="HTTP", Port=80, VpcId=vpc,
                                           TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    web = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["acme-prod-web-1"]}])
    instance = web["Reservations"][0]["Instances"][0]["InstanceId"]
    elb.register_targets(TargetGroupArn=target_group, Targets=[{"Id": instance, "Port": 80}])
    elb.create_listener(LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"], Protocol="HTTP",
                        Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}])


def _peered_vpcs(ec2: EC2Client, prod: str, prod_private_table: str, image: str) -> None:
    """Shared services peered with least-access routes; staging peered with a route to all of 10/8."""
    def vpc(name: str, cidr: str, subnet_cidr: str) -> tuple[str, str, str]:
        vpc_id = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tags("vpc", name))["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=subnet_cidr,
                                   TagSpecifications=_tags("subnet", f"{name}-a"))["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_tags("route-table", name))
        table_id = table["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)
        return vpc_id, subnet, table_id

    def peer(name: str, requester: str, accepter: str) -> str:
        connection = ec2.create_vpc_peering_connection(
            VpcId=requester, PeerVpcId=accepter, TagSpecifications=_tags("vpc-peering-connection", name))
        pcx = connection["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        return pcx

    shared, _, shared_table = vpc("acme-shared-services", SHARED_CIDR, "10.30.1.0/24")
    to_shared = peer("acme-prod-to-shared", prod, shared)
    ec2.create_route(RouteTableId=prod_private_table, DestinationCidrBlock="10.30.1.0/24",
                     VpcPeeringConnectionId=to_shared)  # the CI runners' subnet only
    ec2.create_route(RouteTableId=shared_table, DestinationCidrBlock="10.20.10.0/24",
                     VpcPeeringConnectionId=to_shared)  # production's private subnet only

    staging, staging_subnet, staging_table = vpc("acme-staging", STAGING_CIDR, "10.40.1.0/24")
    to_staging = peer("acme-staging-to-prod", staging, prod)
    ec2.create_route(RouteTableId=staging_table, DestinationCidrBlock="10.0.0.0/8",
                     VpcPeeringConnectionId=to_staging)  # "so staging reaches everything at Acme"
    ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.small", SubnetId=staging_subnet,
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=_tags("instance", "acme-staging-app-1"),
    )
