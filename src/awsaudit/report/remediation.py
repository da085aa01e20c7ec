"""Remediation with the real resource filled in: `{name}`-style placeholders from the finding's ARN.

Remediation texts hold other braces too (JSON in CLI arguments, JMESPath, Terraform blocks), so
only `{identifier}` placeholders whose value the finding determines are replaced; anything else
is left exactly as written. A value is substituted only if it is made of the characters AWS
allows in names and ARNs (no spaces, quotes, `$`, backticks, `;`, `|`, `&`, `<`, `>`): a command
pasted from the report can then never run something hidden in a hostile resource name. Such a
placeholder stays `{UserName}` for the reader to fill in.
"""

from __future__ import annotations

import re

from awsaudit.model import Finding, Remediation

PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
SAFE_VALUE = re.compile(r"[A-Za-z0-9._@+=,:/-]+")

BY_TYPE: dict[tuple[str, str], tuple[str, ...]] = {
    ("iam", "user"): ("UserName",),
    ("iam", "role"): ("RoleName",),
    ("iam", "group"): ("GroupName",),
    ("iam", "policy"): ("PolicyName",),
    ("iam", "instance-profile"): ("InstanceProfileName",),
    ("iam", "server-certificate"): ("ServerCertificateName",),
    ("ec2", "security-group"): ("GroupId",),
    ("ec2", "vpc"): ("VpcId",),
    ("ec2", "subnet"): ("SubnetId",),
    ("ec2", "instance"): ("InstanceId",),
    ("ec2", "network-acl"): ("NetworkAclId",),
    ("ec2", "vpc-flow-log"): ("FlowLogId",),
    ("ec2", "volume"): ("VolumeId",),
    ("ec2", "snapshot"): ("SnapshotId",),
    ("cloudtrail", "trail"): ("TrailName",),
    ("kms", "key"): ("KeyId",),
    ("logs", "log-group"): ("LogGroupName",),
    ("sns", ""): ("TopicName",),
    ("rds", "db"): ("DBInstanceIdentifier",),
    ("rds", "cluster"): ("DBClusterIdentifier",),
    ("elasticfilesystem", "file-system"): ("FileSystemId",),
}
"""AWS's own field names for the resource's name or ID, as the checks' remediation texts use them."""

NOT_A_NAME = frozenset({"", "*", "root", "account"})
"""ARN resource parts that are no resource name: account-level findings, uncollected collections."""


def placeholders(finding: Finding) -> dict[str, str]:
    """Every placeholder value this finding determines; unsafe values are left out."""
    values = {"account": finding.account}
    if finding.region and finding.region != "global":
        values["region"] = finding.region
    parts = finding.resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        _, partition, service, _region, _account, resource = parts
        values["partition"] = partition
        kind, rest = _split(resource)
        name = rest.rsplit("/", 1)[-1] if service == "iam" else rest  # IAM paths: user/eng/alice
        if name not in NOT_A_NAME and "*" not in name:
            values.update({"arn": finding.resource, "Arn": finding.resource, "name": name, "id": name})
            if service == "s3" and not kind:
                values.update({"bucket": name, "Bucket": name, "BucketName": name})
            for key in BY_TYPE.get((service, kind), ()):
                values[key] = name
    return {key: value for key, value in values.items() if SAFE_VALUE.fullmatch(value)}


def _split(resource: str) -> tuple[str, str]:
    """ARN resource part -> (type, rest): `security-group/sg-1`, `db:acme-db`, or a bare `bucket`."""
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    return ("", resource) if cut < 0 else (resource[:cut], resource[cut + 1 :])


def fill(text: str, values: dict[str, str]) -> str:
    """Replace `{key}` for the keys in values; every other brace stays as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def keys(remediation: Remediation) -> set[str]:
    """The placeholder names a remediation uses (what a report needs to fill it)."""
    texts = (*remediation.console, remediation.cli, remediation.terraform)
    return {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}


def filled(remediation: Remediation, finding: Finding) -> Remediation:
    values = placeholders(finding)
    return Remediation(
        console=tuple(fill(step, values) for step in remediation.console),
        cli=fill(remediation.cli, values),
        terraform=fill(remediation.terraform, values),
    )


def used_values(remediation: Remediation, finding: Finding) -> dict[str, str]:
    """Only the values this remediation needs: what the HTML report embeds per finding."""
    wanted = keys(remediation)
    return {k: v for k, v in placeholders(finding).items() if k in wanted} if wanted else {}
