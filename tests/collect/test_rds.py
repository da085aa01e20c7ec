"""RDS collector against moto: instances and clusters with their ARNs, denials, evaluation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from awsaudit.checks import evaluate
from awsaudit.checks.storage.databases import (
    rds_instance_multi_az,
    rds_instance_not_publicly_accessible,
    rds_instance_storage_encrypted,
)
from awsaudit.collect import rds
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION


@pytest.fixture
def databases(session: boto3.Session) -> None:
    client: Any = session.client("rds", region_name=REGION)
    common = {"DBInstanceClass": "db.t3.micro", "AllocatedStorage": 20, "MasterUsername": "acme",
              "MasterUserPassword": "correct-horse-battery"}
    client.create_db_instance(DBInstanceIdentifier="acme-billing-db", Engine="postgres",
                              StorageEncrypted=True, MultiAZ=True, PubliclyAccessible=False, **common)
    client.create_db_instance(DBInstanceIdentifier="acme-legacy-reports", Engine="mysql",
                              StorageEncrypted=False, MultiAZ=False, PubliclyAccessible=True, **common)
    client.create_db_cluster(DBClusterIdentifier="acme-events", Engine="aurora-postgresql",
                             MasterUsername="acme", MasterUserPassword="correct-horse-battery")
    client.create_db_instance(DBInstanceIdentifier="acme-events-1", Engine="aurora-postgresql",
                              DBInstanceClass="db.r6g.large", DBClusterIdentifier="acme-events",
                              PubliclyAccessible=False)


def snapshot(data: Json) -> Json:
    return {"accounts": {ACCOUNT: {"regions": {REGION: {"rds": data}}}}}


def test_instances_and_clusters(ctx: Context, databases: None) -> None:
    data = rds.collect(ctx)

    instances = {i["DBInstanceIdentifier"]: i for i in data["db_instances"]}
    assert set(instances) == {"acme-billing-db", "acme-legacy-reports", "acme-events-1"}
    billing = instances["acme-billing-db"]
    assert billing["_arn"] == f"arn:aws:rds:{REGION}:{ACCOUNT}:db:acme-billing-db"
    assert billing["StorageEncrypted"] is True
    assert billing["MultiAZ"] is True
    assert billing["PubliclyAccessible"] is False
    (cluster,) = data["db_clusters"]
    assert cluster["_arn"] == f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:acme-events"
    assert ctx.errors == []

    findings = evaluate(snapshot(data), [rds_instance_storage_encrypted, rds_instance_not_publicly_accessible,
                                         rds_instance_multi_az])
    got = {(f.check_id, f.resource.rsplit(":", 1)[1]): f.status for f in findings}
    assert got[("rds_instance_storage_encrypted", "acme-billing-db")] is Status.PASS
    assert got[("rds_instance_storage_encrypted", "acme-legacy-reports")] is Status.FAIL
    assert got[("rds_instance_not_publicly_accessible", "acme-legacy-reports")] is Status.FAIL
    assert got[("rds_instance_multi_az", "acme-billing-db")] is Status.PASS
    assert got[("rds_instance_multi_az", "acme-legacy-reports")] is Status.FAIL
    # The Aurora member is judged by its cluster (moto's single-instance cluster: one AZ).
    assert got[("rds_instance_multi_az", "acme-events-1")] is Status.FAIL


def test_denied_cluster_listing(ctx: Context, databases: None, deny: Callable[..., None]) -> None:
    deny("DescribeDBClusters")

    data = rds.collect(ctx)

    assert "db_clusters" not in data
    assert data["_errors"] == {"db_clusters": "AccessDenied"}
    assert len(data["db_instances"]) == 3
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [("DescribeDBClusters", "AccessDenied")]
    findings = evaluate(snapshot(data), [rds_instance_multi_az])
    got = {f.resource.rsplit(":", 1)[1]: f.status for f in findings}
    assert got["acme-events-1"] is Status.UNKNOWN  # needs the cluster
    assert got["acme-billing-db"] is Status.PASS  # does not


def test_actions() -> None:
    assert rds.PRODUCES == ("db_instances", "db_clusters")
    assert rds.ACTIONS == ("rds:DescribeDBClusters", "rds:DescribeDBInstances")
