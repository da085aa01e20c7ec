"""Storage checks: RDS databases (encryption, patching, exposure, Multi-AZ) and EFS encryption."""

from __future__ import annotations

from awsaudit.checks._registry import Missing, check, need
from awsaudit.checks._view import AccountView
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok


@check(
    "rds_instance_storage_encrypted",
    title="RDS database instance storage is encrypted at rest",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="rds.db_instances",
    remediation=Remediation(
        console=(
            "Encryption cannot be switched on for an existing instance: open RDS > Snapshots and take a "
            "snapshot of the instance.",
            "Actions > Copy snapshot: enable encryption with a KMS key (preferably customer-managed).",
            "Actions > Restore snapshot from the encrypted copy, point the application at the new "
            "instance, then delete the unencrypted instance and snapshot.",
            "For new instances, enable encryption at creation (and EBS/RDS encryption by default).",
        ),
        cli="aws rds create-db-snapshot --db-instance-identifier {id} --db-snapshot-identifier {id}-plain && "
            "aws rds copy-db-snapshot --source-db-snapshot-identifier {id}-plain "
            "--target-db-snapshot-identifier {id}-encrypted --kms-key-id alias/rds && "
            "aws rds restore-db-instance-from-db-snapshot --db-instance-identifier {id}-new "
            "--db-snapshot-identifier {id}-encrypted",
        terraform='resource "aws_db_instance" "main" {\n'
                  "  # ...\n"
                  "  storage_encrypted = true\n"
                  "  kms_key_id        = aws_kms_key.rds.arn\n"
                  "}",
    ),
)
def rds_instance_storage_encrypted(instance: Json) -> Outcome:
    """Unencrypted database storage, and the snapshots and replicas made from it, can be read by
    anyone who gets hold of a copy: a snapshot shared by mistake, a copy to another account,
    media leaving the data centre. With KMS encryption, every copy is useless without the key,
    and every use of the key is logged in CloudTrail."""
    encrypted = need(instance, "StorageEncrypted", bool)
    evidence = {"StorageEncrypted": encrypted, "KmsKeyId": instance.get("KmsKeyId")}
    if encrypted:
        return ok("Storage is encrypted at rest", evidence=evidence)
    return fail("Storage is not encrypted at rest (nor are its snapshots and read replicas)",
                evidence=evidence)


@check(
    "rds_instance_auto_minor_version_upgrade",
    title="RDS database instance applies minor engine upgrades automatically",
    severity=Severity.LOW,
    objective=Objective.INTEGRITY,
    over="rds.db_instances",
    remediation=Remediation(
        console=(
            "Open RDS > Databases, select the instance and choose Modify.",
            "Under Maintenance, enable Auto minor version upgrade and set a maintenance window.",
            "Continue and apply during the next maintenance window.",
        ),
        cli="aws rds modify-db-instance --db-instance-identifier {id} --auto-minor-version-upgrade",
        terraform='resource "aws_db_instance" "main" {\n'
                  "  # ...\n"
                  "  auto_minor_version_upgrade = true\n"
                  '  maintenance_window         = "sun:03:00-sun:04:00"\n'
                  "}",
    ),
)
def rds_instance_auto_minor_version_upgrade(instance: Json) -> Outcome:
    """Minor engine versions carry the security fixes of the database engine. Without automatic
    upgrades they wait for someone to apply them by hand, which in practice means the instance
    runs with known vulnerabilities for months."""
    enabled = need(instance, "AutoMinorVersionUpgrade")
    evidence = {"AutoMinorVersionUpgrade": enabled, "Engine": instance.get("Engine"),
                "EngineVersion": instance.get("EngineVersion")}
    if enabled:
        return ok("Minor version upgrades are applied automatically in the maintenance window",
                  evidence=evidence)
    return fail("Auto minor version upgrade is off: engine security fixes wait for a manual upgrade",
                evidence=evidence)


@check(
    "rds_instance_not_publicly_accessible",
    title="RDS database instance is not publicly accessible",
    severity=Severity.HIGH,
    objective=Objective.CONFIDENTIALITY,
    over="rds.db_instances",
    remediation=Remediation(
        console=(
            "Open RDS > Databases, select the instance and choose Modify.",
            "Under Connectivity > Additional configuration, set Public access to Not publicly accessible.",
            "Apply immediately; reach the database from inside the VPC (bastion, VPN, Session Manager "
            "port forwarding) instead.",
        ),
        cli="aws rds modify-db-instance --db-instance-identifier {id} --no-publicly-accessible "
            "--apply-immediately",
        terraform='resource "aws_db_instance" "main" {\n'
                  "  # ...\n"
                  "  publicly_accessible = false\n"
                  "}",
    ),
)
def rds_instance_not_publicly_accessible(instance: Json) -> Outcome:
    """A publicly accessible instance gets a DNS name that resolves to a public IP address, so
    only its security groups stand between the internet and the database login: one rule opened
    too wide and the database is exposed to password guessing and engine exploits."""
    public = need(instance, "PubliclyAccessible")
    evidence = {
        "PubliclyAccessible": public,
        "Endpoint": (instance.get("Endpoint") or {}).get("Address"),
        "VpcSecurityGroups": [g.get("VpcSecurityGroupId") for g in instance.get("VpcSecurityGroups") or []],
    }
    if public:
        return fail("The instance is publicly accessible: its endpoint resolves to a public IP address",
                    evidence=evidence)
    return ok("The instance is reachable only from inside its VPC", evidence=evidence)


def _cluster(instance: Json, account: Json) -> Json:
    """The cluster an instance belongs to, from the same region's cluster listing."""
    name = instance["DBClusterIdentifier"]
    parts = str(instance.get("_arn", "")).split(":")  # arn:aws:rds:REGION:ACCOUNT:db:NAME
    region = parts[3] if len(parts) > 3 else ""
    for cluster in AccountView.of(account).collection("rds.db_clusters", region):
        if cluster.get("DBClusterIdentifier") == name:
            return dict(cluster)
    raise Missing("rds.db_clusters", f"cluster {name} is not in the listing")


@check(
    "rds_instance_multi_az",
    title="RDS database runs across multiple Availability Zones",
    severity=Severity.MEDIUM,
    objective=Objective.AVAILABILITY,
    over="rds.db_instances",
    remediation=Remediation(
        console=(
            "Open RDS > Databases, select the instance and choose Modify.",
            "Under Availability & durability choose Create a standby instance (Multi-AZ); apply in the "
            "maintenance window. For Aurora, add a reader instance in another Availability Zone.",
        ),
        cli="aws rds modify-db-instance --db-instance-identifier {id} --multi-az",
        terraform='resource "aws_db_instance" "main" {\n'
                  "  # ...\n"
                  "  multi_az = true\n"
                  "}",
    ),
)
def rds_instance_multi_az(instance: Json, account: Json) -> Outcome:
    """A single-AZ database stops with its Availability Zone (an outage, a storage failure, even
    maintenance), and recovery means restoring a backup and losing the changes since. A Multi-AZ
    deployment fails over to a synchronous standby within minutes. CIS lists this as manual:
    non-production databases may be exempted on purpose, which the auditor should confirm."""
    exemption = " (acceptable only for non-production databases, documented as an exception)"
    if instance.get("DBClusterIdentifier"):
        cluster = _cluster(instance, account)
        multi = need(cluster, "MultiAZ", bool)
        evidence = {"DBClusterIdentifier": instance["DBClusterIdentifier"], "ClusterMultiAZ": multi,
                    "ClusterMembers": len(cluster.get("DBClusterMembers") or [])}
        if multi:
            return ok(f"Member of cluster {instance['DBClusterIdentifier']}, which spans several "
                      "Availability Zones", evidence=evidence)
        return fail(f"Member of cluster {instance['DBClusterIdentifier']}, whose instances all sit in one "
                    f"Availability Zone{exemption}", evidence=evidence)
    multi = need(instance, "MultiAZ", bool)
    evidence = {"MultiAZ": multi, "AvailabilityZone": instance.get("AvailabilityZone"),
                "SecondaryAvailabilityZone": instance.get("SecondaryAvailabilityZone")}
    if multi:
        return ok("Multi-AZ deployment: a standby in another Availability Zone takes over on failure",
                  evidence=evidence)
    return fail(f"Single-AZ deployment: an Availability Zone outage stops the database{exemption}",
                evidence=evidence)


@check(
    "efs_file_system_encrypted",
    title="EFS file system is encrypted at rest",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="efs.file_systems",
    remediation=Remediation(
        console=(
            "Encryption at rest is chosen when a file system is created: open EFS > Create file system > "
            "Customize and keep Enable encryption of data at rest on (choose a customer-managed key).",
            "Copy the data from the unencrypted file system (AWS DataSync or AWS Backup restore), switch "
            "the mount targets of the clients, then delete the old file system.",
        ),
        cli="aws efs create-file-system --region {region} --encrypted --kms-key-id alias/efs "
            "--creation-token {name}-encrypted",
        terraform='resource "aws_efs_file_system" "main" {\n'
                  "  encrypted  = true\n"
                  "  kms_key_id = aws_kms_key.efs.arn\n"
                  "}",
    ),
)
def efs_file_system_encrypted(system: Json) -> Outcome:
    """Shared file systems hold application data, exports and home directories. Encrypted at
    rest, the data and its backups cannot be read without the KMS key, whose use is logged and
    can be revoked; unencrypted, any copy of the storage is readable."""
    encrypted = need(system, "Encrypted")
    evidence = {"Encrypted": encrypted, "KmsKeyId": system.get("KmsKeyId"), "Name": system.get("Name")}
    if encrypted:
        return ok("The file system is encrypted at rest", evidence=evidence)
    return fail("The file system is not encrypted at rest (encryption can only be chosen at creation)",
                evidence=evidence)
