"""Storage checks: RDS encryption, minor upgrades, public access, Multi-AZ (also via the cluster); EFS."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.storage.databases import (
    efs_file_system_encrypted,
    rds_instance_auto_minor_version_upgrade,
    rds_instance_multi_az,
    rds_instance_not_publicly_accessible,
    rds_instance_storage_encrypted,
)
from awsaudit.model import Json, Status
from tests.checks.cases import Case

REGION = "eu-west-1"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd"


def db(name: str = "acme-billing-db", **fields: Any) -> Json:
    data: Json = {
        "DBInstanceIdentifier": name, "_arn": f"arn:aws:rds:{REGION}:123456789012:db:{name}",
        "Engine": "postgres", "EngineVersion": "16.3", "StorageEncrypted": True, "KmsKeyId": KEY,
        "AutoMinorVersionUpgrade": True, "PubliclyAccessible": False, "MultiAZ": True,
        "AvailabilityZone": "eu-west-1a", "SecondaryAvailabilityZone": "eu-west-1b",
        "Endpoint": {"Address": f"{name}.abc.eu-west-1.rds.amazonaws.com", "Port": 5432},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-1", "Status": "active"}],
    }
    data.update(fields)
    return data


def denied(resource: Json, *keys: str) -> Json:
    left = {k: v for k, v in resource.items() if k not in keys}
    return {**left, "_errors": dict.fromkeys(keys, "Throttling")}


def aurora_member(name: str = "acme-events-1") -> Json:
    return db(name, Engine="aurora-postgresql", DBClusterIdentifier="acme-events", MultiAZ=False)


def with_clusters(*clusters: Json, region: str = REGION) -> Json:
    return {"regions": {region: {"rds": {"db_instances": [], "db_clusters": list(clusters)}}}}


def cluster(multi: bool) -> Json:
    return {"DBClusterIdentifier": "acme-events", "MultiAZ": multi,
            "DBClusterMembers": [{"DBInstanceIdentifier": f"acme-events-{n}"} for n in (1, 2)]}


ENCRYPTED, MINOR = rds_instance_storage_encrypted, rds_instance_auto_minor_version_upgrade
PRIVATE, MULTI_AZ = rds_instance_not_publicly_accessible, rds_instance_multi_az
EFS = efs_file_system_encrypted
FILE_SYSTEM = {"FileSystemId": "fs-1", "Name": "acme-shared", "Encrypted": True, "KmsKeyId": KEY}

CASES = [
    Case(ENCRYPTED, Status.PASS, "encrypted", db()),
    Case(ENCRYPTED, Status.FAIL, "plain", db(StorageEncrypted=False)),
    Case(ENCRYPTED, Status.UNKNOWN, "field-missing", denied(db(), "StorageEncrypted")),
    Case(MINOR, Status.PASS, "auto", db()),
    Case(MINOR, Status.FAIL, "manual", db(AutoMinorVersionUpgrade=False)),
    Case(MINOR, Status.UNKNOWN, "field-missing", denied(db(), "AutoMinorVersionUpgrade")),
    Case(PRIVATE, Status.PASS, "private", db()),
    Case(PRIVATE, Status.FAIL, "public", db(PubliclyAccessible=True)),
    Case(PRIVATE, Status.UNKNOWN, "field-missing", denied(db(), "PubliclyAccessible")),
    Case(MULTI_AZ, Status.PASS, "standby", db()),
    Case(MULTI_AZ, Status.PASS, "aurora-cluster-multi-az", aurora_member(), with_clusters(cluster(True))),
    Case(MULTI_AZ, Status.FAIL, "single-az", db(MultiAZ=False, SecondaryAvailabilityZone=None)),
    Case(MULTI_AZ, Status.FAIL, "aurora-cluster-single-az", aurora_member(), with_clusters(cluster(False))),
    Case(MULTI_AZ, Status.UNKNOWN, "field-missing", denied(db(), "MultiAZ")),
    Case(MULTI_AZ, Status.UNKNOWN, "clusters-denied", aurora_member(),
         {"regions": {REGION: {"rds": {"db_instances": [], "_errors": {"db_clusters": "AccessDenied"}}}}}),
    Case(MULTI_AZ, Status.UNKNOWN, "cluster-not-listed", aurora_member(), with_clusters()),
    Case(MULTI_AZ, Status.UNKNOWN, "rds-not-collected-in-region", aurora_member(), {"regions": {REGION: {}}}),
    Case(EFS, Status.PASS, "encrypted", FILE_SYSTEM),
    Case(EFS, Status.FAIL, "plain", {**FILE_SYSTEM, "Encrypted": False, "KmsKeyId": None}),
    Case(EFS, Status.UNKNOWN, "field-missing", denied(FILE_SYSTEM, "Encrypted")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_multi_az_failure_mentions_the_non_production_exemption() -> None:
    single = MULTI_AZ.evaluate(db(MultiAZ=False))
    assert "non-production" in single.message
    assert single.evidence["MultiAZ"] is False
    member = MULTI_AZ.evaluate(aurora_member(), with_clusters(cluster(True)))
    assert member.evidence == {"DBClusterIdentifier": "acme-events", "ClusterMultiAZ": True,
                               "ClusterMembers": 2}


def test_public_evidence_names_endpoint_and_groups() -> None:
    outcome = PRIVATE.evaluate(db("acme-legacy-reports", PubliclyAccessible=True))
    assert outcome.evidence["Endpoint"].startswith("acme-legacy-reports.")
    assert outcome.evidence["VpcSecurityGroups"] == ["sg-1"]
