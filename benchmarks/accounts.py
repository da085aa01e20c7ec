"""Benchmark accounts: their sizes, how they are generated through the server, and their inventory.

An account is generated through the latency server's HTTP endpoint with boto3 (latency 0, many
threads), like any client would. Afterwards `survey()` counts what the server actually holds
(moto adds default VPCs, groups, NACLs, ENIs ...): the minimum number of calls is computed from that
inventory, not from what we meant to create. Nothing here is counted: the benchmark resets the
server's counters after the survey.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ACCOUNT_ID = "123456789012"  # moto's default account

# The 17 commercial regions enabled by default in every account (no opt-in), home first.
DEFAULT_REGIONS: tuple[str, ...] = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
)

# The CIS "monitoring" metric filters and alarms (CIS 4.x): one log group carries them all.
METRIC_FILTERS: tuple[tuple[str, str], ...] = (
    ("unauthorized-api-calls",
     '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'),
    ("console-signin-without-mfa",
     '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'),
    ("root-usage", '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'),
    ("iam-policy-changes", '{ ($.eventName = DeleteGroupPolicy) || ($.eventName = PutUserPolicy) }'),
    ("cloudtrail-changes", '{ ($.eventName = CreateTrail) || ($.eventName = StopLogging) }'),
    ("console-auth-failures",
     '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    ("cmk-disable-or-deletion", '{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKey) }'),
    ("s3-bucket-policy-changes", '{ ($.eventSource = s3.amazonaws.com) && ($.eventName = PutBucketPolicy) }'),
    ("config-changes",
     '{ ($.eventSource = config.amazonaws.com) && ($.eventName = StopConfigurationRecorder) }'),
    ("security-group-changes", '{ ($.eventName = AuthorizeSecurityGroupIngress) }'),
    ("nacl-changes", '{ ($.eventName = CreateNetworkAclEntry) }'),
    ("network-gateway-changes", '{ ($.eventName = CreateCustomerGateway) }'),
    ("route-table-changes", '{ ($.eventName = CreateRoute) }'),
    ("vpc-changes", '{ ($.eventName = CreateVpc) }'),
)


@dataclass(frozen=True)
class Size:
    name: str
    regions: tuple[str, ...]  # home first
    users: int
    groups: int
    roles: int
    policies: int  # customer-managed
    buckets: int  # plus the trail's bucket and one access-log bucket per region
    security_groups: int  # besides each VPC's default group
    instances: int
    org_accounts: int  # member accounts of the organization; 0 = a standalone account
    db_instances: int

    @property
    def home(self) -> str:
        return self.regions[0]


SIZES: dict[str, Size] = {
    # For the harness test: seconds, not minutes.
    "tiny": Size("tiny", ("eu-west-1",), users=3, groups=1, roles=2, policies=2, buckets=2,
                 security_groups=2, instances=1, org_accounts=0, db_instances=0),
    # The small account: 3 regions, ~60 IAM entities, ~25 buckets (21 + the trail's and one
    # access-log bucket per region), ~30 security groups (24 + the default group of 2 VPCs per
    # region), a few instances.
    "small": Size("small", ("eu-west-1", "us-east-1", "eu-central-1"), users=25, groups=5, roles=20,
                  policies=10, buckets=21, security_groups=24, instances=4, org_accounts=0, db_instances=1),
    "medium": Size("medium", DEFAULT_REGIONS[:8], users=100, groups=10, roles=60, policies=80, buckets=60,
                   security_groups=400, instances=200, org_accounts=5, db_instances=4),
    "large": Size("large", DEFAULT_REGIONS, users=500, groups=20, roles=300, policies=400, buckets=300,
                  security_groups=2000, instances=1000, org_accounts=20, db_instances=10),
}


@dataclass
class Inventory:
    """What the server holds: counts per kind, account-wide and per region, and a few facts."""

    account: dict[str, int] = field(default_factory=dict)
    regions: dict[str, dict[str, int]] = field(default_factory=dict)
    facts: dict[str, bool] = field(default_factory=dict)

    def total(self, kind: str) -> int:
        return self.account.get(kind, 0) + sum(r.get(kind, 0) for r in self.regions.values())

    def as_json(self) -> dict[str, Any]:
        return {"account": self.account, "regions": self.regions, "facts": self.facts}


class Clients:
    """boto3 clients on the server's endpoint, fake credentials, created once and shared by threads."""

    def __init__(self, endpoint: str, home: str) -> None:
        self.endpoint = endpoint
        self.home = home
        self._session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                      region_name=home)
        self._config = Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 3})
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.home)
        if key not in self._cache:
            self._cache[key] = self._session.client(
                service, region_name=key[1], endpoint_url=self.endpoint, config=self._config,  # type: ignore[call-overload]
            )
        return self._cache[key]


Task = Callable[[], Any]


def _run(tasks: Iterable[Task], threads: int = 16) -> list[Any]:
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-gen") as pool:
        return list(pool.map(lambda task: task(), list(tasks)))


def _spread(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as possible (the first parts get the remainder)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST_EC2 = _doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                  "Action": "sts:AssumeRole"})


class Phase:
    """Tasks in lanes: a lane's tasks run in order, lanes run in parallel.

    moto's backends are not thread-safe within one region (creating security groups concurrently
    in one region makes it answer 500), so each (service, region) gets its own lane.
    """

    def __init__(self) -> None:
        self.lanes: dict[str, list[Task]] = {}

    def add(self, lane: str, tasks: Iterable[Task]) -> None:
        self.lanes.setdefault(lane, []).extend(tasks)

    def run(self) -> None:
        _run([lambda tasks=tasks: [task() for task in tasks] for tasks in self.lanes.values()])


def generate(endpoint: str, size: Size, warn: Callable[[str], None] = print) -> None:
    """Create `size`'s account on the server, in dependency phases."""
    c = Clients(endpoint, size.home)
    trail_bucket = f"acme-cloudtrail-logs-{ACCOUNT_ID}"
    amis: dict[str, str] = {}
    home = size.home

    def optional(what: str, task: Task) -> Task:
        """Resources of services moto may lack: a failure is reported, not fatal."""
        def run() -> Any:
            try:
                return task()
            except (ClientError, BotoCoreError) as exc:
                warn(f"generation: {what} skipped: {exc}")
                return None
        return run

    # Phase 1: what others depend on.
    phase = Phase()
    phase.add(f"s3:{home}", [lambda: _log_bucket(c, trail_bucket, home, "cloudtrail.amazonaws.com")])
    for r in size.regions:
        phase.add(f"s3:{r}", [lambda r=r: _log_bucket(c, _access_logs(r), r, "logging.s3.amazonaws.com")])
        phase.add(f"ec2:{r}", [lambda r=r: amis.__setitem__(r, _ami(c, r))])
        phase.add(f"kms:{r}", [lambda r=r: _kms(c, r)])
    phase.add("iam:policies", [lambda i=i: _policy(c, i) for i in range(size.policies)])
    phase.add("iam:groups", [lambda i=i: c("iam").create_group(GroupName=f"acme-group-{i:03d}")
                             for i in range(size.groups)])
    phase.add("monitoring", [lambda: c("sns").create_topic(Name="acme-security-alerts"),
                             lambda: c("logs").create_log_group(logGroupName="acme-cloudtrail")])
    if size.org_accounts:
        phase.add("organizations", [optional("organization", lambda: _organization(c, size.org_accounts))])
    phase.run()

    # Phase 2: identities, buckets, network, monitoring.
    n_regions = len(size.regions)
    buckets = _spread(size.buckets, n_regions)
    groups = _spread(size.security_groups, n_regions)
    instances = _spread(size.instances, n_regions)
    phase = Phase()
    phase.add("iam:users", [lambda i=i: _user(c, i, size) for i in range(size.users)])
    phase.add("iam:roles", [lambda i=i: _role(c, i, size) for i in range(size.roles)])
    phase.add("iam:providers", [lambda: _identity_providers(c)])
    for r, n_buckets, n_groups, n_instances in zip(size.regions, buckets, groups, instances, strict=True):
        phase.add(f"s3:{r}", [lambda i=i, r=r: _bucket(c, f"acme-{r}-data-{i:04d}", r, i)
                              for i in range(n_buckets)])
        phase.add(f"ec2:{r}", [lambda r=r, i=i: _security_group(c, r, i) for i in range(n_groups)])
        phase.add(f"ec2:{r}", [lambda r=r: _network(c, r, trail_bucket)])
        # Instances after the groups they use, in the same lane.
        phase.add(f"ec2:{r}", [lambda r=r, i=i, g=n_groups: _instance(c, r, amis[r], i, g)
                               for i in range(n_instances)])
        phase.add(f"config:{r}", [optional(f"config in {r}", lambda r=r: _config(c, r, trail_bucket))])
    phase.add("cloudtrail", [lambda: _trail(c, size, trail_bucket)])
    phase.add("monitoring", [lambda f=f: _metric_filter(c, *f) for f in METRIC_FILTERS])
    phase.add("monitoring", [lambda f=f: _alarm(c, f[0]) for f in METRIC_FILTERS])
    phase.add("misc", [
        optional("security hub", lambda: c("securityhub").enable_security_hub()),
        optional("budget", lambda: _budget(c)),
        optional("alternate contact", lambda: _contact(c)),
        optional("file system", lambda: c("efs").create_file_system(
            CreationToken="acme-shared", Encrypted=False, Tags=[{"Key": "Name", "Value": "acme-shared"}])),
    ])
    phase.add("rds", [optional(f"database {i}", lambda i=i: _database(c, size.regions[i % n_regions], i))
                      for i in range(size.db_instances)])
    phase.run()


def _policy(c: Clients, i: int) -> None:
    # Every fifth policy is the kind an audit should flag.
    action = "*" if i % 5 == 0 else ["s3:GetObject", "s3:ListBucket", "dynamodb:Query"]
    resource = "*" if i % 5 == 0 else [f"arn:aws:s3:::acme-app-{i}", f"arn:aws:s3:::acme-app-{i}/*"]
    c("iam").create_policy(PolicyName=f"acme-policy-{i:04d}",
                           PolicyDocument=_doc({"Effect": "Allow", "Action": action, "Resource": resource}))


def _policy_arn(i: int) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:policy/acme-policy-{i:04d}"


def _user(c: Clients, i: int, size: Size) -> None:
    iam, name = c("iam"), f"user{i:04d}.acme"
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": f"team-{i % 7}"}])
    if size.groups:
        iam.add_user_to_group(GroupName=f"acme-group-{i % size.groups:03d}", UserName=name)
    if size.policies and i % 3 == 0:
        iam.attach_user_policy(UserName=name, PolicyArn=_policy_arn(i % size.policies))
    if i % 2 == 0:
        iam.create_access_key(UserName=name)
    if i % 3 == 1:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    if i % 4 == 1:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
    if i % 10 == 7:
        iam.put_user_policy(UserName=name, PolicyName="inline-ops",
                            PolicyDocument=_doc({"Effect": "Allow", "Action": "ec2:Describe*",
                                                 "Resource": "*"}))


def _role(c: Clients, i: int, size: Size) -> None:
    iam, name = c("iam"), f"acme-role-{i:04d}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    if size.policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=_policy_arn((i * 7) % size.policies))
    if i % 5 == 0:
        iam.put_role_policy(RoleName=name, PolicyName="inline-logs",
                            PolicyDocument=_doc({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}))
    if i % 10 == 0:
        iam.create_instance_profile(InstanceProfileName=name)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def _identity_providers(c: Clients) -> None:
    iam = c("iam")
    iam.create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com",
                                        ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    metadata = "<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata'/>" + "x" * 1000
    iam.create_saml_provider(Name="acme-okta", SAMLMetadataDocument=metadata)


def _access_logs(region: str) -> str:
    return f"acme-{region}-access-logs"


def _create_bucket(c: Clients, name: str, region: str) -> Any:
    s3 = c("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return s3


def _log_bucket(c: Clients, name: str, region: str, writer: str) -> None:
    """A locked-down bucket that a service (CloudTrail, S3 server access logging) writes to."""
    s3 = _create_bucket(c, name, region)
    s3.put_bucket_policy(Bucket=name, Policy=_doc({
        "Effect": "Allow", "Principal": {"Service": writer}, "Action": ["s3:PutObject"],
        "Resource": f"arn:aws:s3:::{name}/*"}))
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _bucket(c: Clients, name: str, region: str, index: int) -> None:
    s3 = _create_bucket(c, name, region)
    if index % 10 == 0:  # a public website bucket now and then
        s3.put_bucket_policy(Bucket=name, Policy=_doc({
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*"}))
    if index % 2 == 0:
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    if index % 3 == 0:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if index % 4 == 0:
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": _access_logs(region), "TargetPrefix": f"{name}/"}})
    if index % 2 == 1:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
    if index % 5 == 0:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})


def _ami(c: Clients, region: str) -> str:
    """MOTO_AMIS_PATH points to an empty catalogue: each region gets one image of its own."""
    image = c("ec2", region).register_image(Name="acme-base-al2023", Description="Acme base image")
    return str(image["ImageId"])


def _default_vpc(c: Clients, region: str) -> str:
    vpcs = c("ec2", region).describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    return str(vpcs[0]["VpcId"])


def _security_group(c: Clients, region: str, i: int) -> None:
    ec2 = c("ec2", region)
    group = ec2.create_security_group(GroupName=f"acme-sg-{i:04d}",
                                      Description=f"Acme service {i}")["GroupId"]
    port, cidr = (22, "0.0.0.0/0") if i % 25 == 0 else (443, "10.0.0.0/8")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}])


def _network(c: Clients, region: str, log_bucket: str) -> None:
    """A production VPC per region next to the default one, with an internet gateway and flow logs."""
    ec2 = c("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.2.0/24")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    created = ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                   LogDestinationType="s3", LogDestination=f"arn:aws:s3:::{log_bucket}")
    if created.get("Unsuccessful"):
        raise RuntimeError(f"flow logs in {region}: {created['Unsuccessful']}")


def _instance(c: Clients, region: str, ami: str, i: int, groups_in_region: int) -> None:
    """One instance per reservation, as launched one by one; in the default VPC, by group name."""
    extra: dict[str, Any] = {}
    if groups_in_region:
        extra["SecurityGroups"] = [f"acme-sg-{i % groups_in_region:04d}"]
    c("ec2", region).run_instances(
        ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        MetadataOptions={"HttpTokens": "required" if i % 3 else "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance",
                            "Tags": [{"Key": "Name", "Value": f"acme-app-{i:04d}"}]}],
        **extra,
    )


def _kms(c: Clients, region: str) -> None:
    kms = c("kms", region)
    key = kms.create_key(Description=f"Acme data key ({region})")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key)
    kms.create_alias(AliasName="alias/acme-data", TargetKeyId=key)
    kms.create_key(Description="Acme signing key", KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")


def _trail(c: Clients, size: Size, bucket: str) -> None:
    cloudtrail = c("cloudtrail")
    log_group = f"arn:aws:logs:{size.home}:{ACCOUNT_ID}:log-group:acme-cloudtrail:*"
    cloudtrail.create_trail(Name="acme-org-trail", S3BucketName=bucket, IsMultiRegionTrail=True,
                            EnableLogFileValidation=True, CloudWatchLogsLogGroupArn=log_group,
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/acme-cloudtrail")
    cloudtrail.start_logging(Name="acme-org-trail")
    if len(size.regions) > 1:  # a forgotten single-region trail elsewhere
        other = c("cloudtrail", size.regions[1])
        other.create_trail(Name="acme-legacy-trail", S3BucketName=bucket)


def _metric_filter(c: Clients, name: str, pattern: str) -> None:
    c("logs").put_metric_filter(logGroupName="acme-cloudtrail", filterName=name, filterPattern=pattern,
                                metricTransformations=[{"metricName": name, "metricNamespace": "CISBenchmark",
                                                        "metricValue": "1"}])


def _alarm(c: Clients, name: str) -> None:
    topic = f"arn:aws:sns:{c.home}:{ACCOUNT_ID}:acme-security-alerts"
    c("cloudwatch").put_metric_alarm(AlarmName=f"cis-{name}", MetricName=name, Namespace="CISBenchmark",
                                     Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
                                     ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic])
    if name == METRIC_FILTERS[0][0]:
        c("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="security@acme.example")


def _config(c: Clients, region: str, bucket: str) -> None:
    config = c("config", region)
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT_ID}:role/aws-config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": region == c.home}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


def _budget(c: Clients) -> None:
    c("budgets").create_budget(AccountId=ACCOUNT_ID, Budget={
        "BudgetName": "acme-monthly", "BudgetLimit": {"Amount": "5000", "Unit": "USD"},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"})


def _contact(c: Clients) -> None:
    c("account").put_alternate_contact(AlternateContactType="SECURITY", Name="Acme Security",
                                       Title="SecOps", EmailAddress="security@acme.example",
                                       PhoneNumber="+33100000000")


def _database(c: Clients, region: str, i: int) -> None:
    c("rds", region).create_db_instance(
        DBInstanceIdentifier=f"acme-db-{i:02d}", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="acme", MasterUserPassword="Correct-Horse-9", AllocatedStorage=20,
        StorageEncrypted=i % 2 == 0, PubliclyAccessible=i % 4 == 3)


def _organization(c: Clients, members: int) -> None:
    org = c("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ous = [org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
           for name in ("prod", "staging", "sandbox")]
    for i in range(members):
        status = org.create_account(Email=f"aws+{i}@acme.example", AccountName=f"acme-member-{i:02d}")
        account = status["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ous[i % len(ous)])
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    for name, target in (("deny-leave-org", root), ("region-guard", ous[0])):
        policy = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=_doc(
            {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}))
        org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=target)


# ----------------------------------------------------------------------------- survey


def _safe(inventory: Inventory, what: str, task: Callable[[], int]) -> int:
    """A count the server cannot give (service not emulated) is 0, and said so in the facts."""
    try:
        return task()
    except (ClientError, BotoCoreError):
        inventory.facts[f"unreadable:{what}"] = True
        return 0


def _count(client: Any, operation: str, result_key: str, **params: Any) -> int:
    if client.can_paginate(operation):
        listed = client.get_paginator(operation).paginate(**params)
        return sum(len(page.get(result_key, [])) for page in listed)
    return len(getattr(client, operation)(**params).get(result_key, []))


EC2_KINDS: tuple[tuple[str, str, str], ...] = (
    ("security_groups", "describe_security_groups", "SecurityGroups"),
    ("vpcs", "describe_vpcs", "Vpcs"),
    ("subnets", "describe_subnets", "Subnets"),
    ("route_tables", "describe_route_tables", "RouteTables"),
    ("internet_gateways", "describe_internet_gateways", "InternetGateways"),
    ("nat_gateways", "describe_nat_gateways", "NatGateways"),
    ("vpc_peering_connections", "describe_vpc_peering_connections", "VpcPeeringConnections"),
    ("vpc_endpoints", "describe_vpc_endpoints", "VpcEndpoints"),
    ("transit_gateways", "describe_transit_gateways", "TransitGateways"),
    ("transit_gateway_attachments", "describe_transit_gateway_attachments", "TransitGatewayAttachments"),
    ("network_acls", "describe_network_acls", "NetworkAcls"),
    ("flow_logs", "describe_flow_logs", "FlowLogs"),
    ("network_interfaces", "describe_network_interfaces", "NetworkInterfaces"),
    ("reservations", "describe_instances", "Reservations"),
)


def survey(endpoint: str, regions: Sequence[str]) -> Inventory:
    """Count what the server holds, with the same clients a user would have (nothing is counted)."""
    c = Clients(endpoint, regions[0])
    inv = Inventory()
    inv.account = _survey_account(c, inv)
    rows = _run([lambda r=r: _survey_region(c, inv, r) for r in regions], threads=min(8, len(regions)))
    inv.regions = dict(zip(regions, rows, strict=True))
    return inv


def _survey_account(c: Clients, inv: Inventory) -> dict[str, int]:
    iam, s3 = c("iam"), c("s3")
    n: dict[str, int] = {
        "users": _count(iam, "list_users", "Users"),
        "groups": _count(iam, "list_groups", "Groups"),
        "roles": _count(iam, "list_roles", "Roles"),
        "customer_policies": _count(iam, "list_policies", "Policies", Scope="Local"),
        "aws_policies_in_use": _count(iam, "list_policies", "Policies", Scope="AWS", OnlyAttached=True),
        "virtual_mfa_devices": _count(iam, "list_virtual_mfa_devices", "VirtualMFADevices"),
        "saml_providers": _count(iam, "list_saml_providers", "SAMLProviderList"),
        "oidc_providers": _count(iam, "list_open_id_connect_providers", "OpenIDConnectProviderList"),
        "server_certificates": _count(iam, "list_server_certificates", "ServerCertificateMetadataList"),
    }
    listed = s3.list_buckets()["Buckets"]
    inv.facts["list_buckets_has_region"] = bool(listed) and all("BucketRegion" in b for b in listed)
    n["buckets"] = len(listed)

    def has_policy(name: str) -> bool:
        try:
            s3.get_bucket_policy(Bucket=name)
        except ClientError:
            return False
        return True

    n["buckets_with_policy"] = sum(_run([lambda b=b: has_policy(b["Name"]) for b in listed]))
    n["budgets"] = _safe(inv, "budgets", lambda: _count(c("budgets"), "describe_budgets", "Budgets",
                                                         AccountId=ACCOUNT_ID))
    n.update(_survey_organization(c, inv))
    return n


def _survey_organization(c: Clients, inv: Inventory) -> dict[str, int]:
    org = c("organizations")
    try:
        master = org.describe_organization()["Organization"]["MasterAccountId"]
    except ClientError:
        inv.facts["organization"] = False
        return {}
    inv.facts["organization"] = True
    inv.facts["organization_management"] = master == ACCOUNT_ID
    roots = org.list_roots()["Roots"]
    parents = [r["Id"] for r in roots]
    ous = 0
    for parent in parents:  # breadth first: the list grows as OUs are found
        children = [ou["Id"] for ou in org.list_organizational_units_for_parent(ParentId=parent)
                    ["OrganizationalUnits"]]
        ous += len(children)
        parents.extend(children)
    policies = 0
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        policies += _safe(inv, f"organizations {policy_type}",
                          lambda t=policy_type: _count(org, "list_policies", "Policies", Filter=t))
    return {
        "org_accounts": _count(org, "list_accounts", "Accounts"),
        "org_roots": len(roots),
        "org_ous": ous,
        "org_policies": policies,
        "org_delegated_admins": _safe(inv, "delegated administrators", lambda: _count(
            org, "list_delegated_administrators", "DelegatedAdministrators")),
    }


def _survey_region(c: Clients, inv: Inventory, region: str) -> dict[str, int]:
    ec2 = c("ec2", region)
    n = {kind: _count(ec2, op, key) for kind, op, key in EC2_KINDS}
    n["instances"] = sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])
    trails = c("cloudtrail", region).describe_trails(includeShadowTrails=True)["trailList"]
    n["trails_homed"] = sum(1 for t in trails if t.get("HomeRegion") == region)
    logs = c("logs", region)
    n["log_groups"] = _count(logs, "describe_log_groups", "logGroups")
    n["metric_filters"] = _count(logs, "describe_metric_filters", "metricFilters")
    n["alarms"] = _count(c("cloudwatch", region), "describe_alarms", "MetricAlarms")
    sns = c("sns", region)
    n["topics"] = _count(sns, "list_topics", "Topics")
    n["subscriptions"] = _count(sns, "list_subscriptions", "Subscriptions")
    n.update(_survey_kms(c("kms", region)))
    config = c("config", region)
    n["config_recorders"] = _safe(inv, f"config {region}", lambda: len(
        config.describe_configuration_recorders()["ConfigurationRecorders"]))
    n["db_instances"] = _safe(inv, f"rds {region}", lambda: _count(c("rds", region), "describe_db_instances",
                                                                    "DBInstances"))
    n["db_clusters"] = _safe(inv, f"rds {region}", lambda: _count(c("rds", region), "describe_db_clusters",
                                                                   "DBClusters"))
    n["file_systems"] = _safe(inv, f"efs {region}", lambda: _count(c("efs", region), "describe_file_systems",
                                                                    "FileSystems"))
    elbv2 = c("elbv2", region)
    n["load_balancers"] = _safe(inv, f"elbv2 {region}", lambda: _count(elbv2, "describe_load_balancers",
                                                                        "LoadBalancers"))
    n["target_groups"] = _safe(inv, f"elbv2 {region}", lambda: _count(elbv2, "describe_target_groups",
                                                                       "TargetGroups"))
    n["security_hub"] = _hub(c("securityhub", region))
    n["functions"] = _safe(inv, f"lambda {region}", lambda: _count(c("lambda", region), "list_functions",
                                                                    "Functions"))
    n["queues"] = _safe(inv, f"sqs {region}", lambda: _count(c("sqs", region), "list_queues", "QueueUrls"))
    _warm(c, region)
    return n


def _warm(c: Clients, region: str) -> None:
    """moto loads a service's backend on its first request (Lambda and Macie: 2 s or more of CPU):
    one request per collected service and region here, uncounted, so the scan is not timed doing that."""
    with contextlib.suppress(ClientError, BotoCoreError):  # Lambda and SQS: warmed by their counts above
        c("macie2", region).get_macie_session()


def _hub(client: Any) -> int:
    try:
        return int(bool(client.describe_hub().get("HubArn")))
    except ClientError:  # InvalidAccessException: not subscribed
        return 0


def _survey_kms(kms: Any) -> dict[str, int]:
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    customer = symmetric = 0
    for key in keys:
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
        if meta.get("KeyManager") == "CUSTOMER":
            customer += 1
            symmetric += meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    return {"kms_keys": len(keys), "kms_customer_keys": customer, "kms_customer_symmetric_keys": symmetric,
            "kms_aliases": _count(kms, "list_aliases", "Aliases")}

