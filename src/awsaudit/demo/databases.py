"""Acme's databases and file systems for `awsaudit demo`: RDS instances and EFS.

What an audit should find here: the billing database is done right (encrypted, Multi-AZ,
private, patched automatically). The legacy reporting database, opened to the internet years
ago for a BI tool, is unencrypted, publicly accessible, single-AZ and pinned to its engine
version. The staging database is sound but single-AZ, which the auditor may accept for
non-production. The shared assets file system is encrypted; the CI build cache is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    legacy_region = regions[1] if len(regions) > 1 else home
    rds: Any = session.client("rds", region_name=home)
    common = {"DBInstanceClass": "db.t3.medium", "AllocatedStorage": 100, "MasterUsername": "acme_admin",
              "MasterUserPassword": "demo-only-not-a-secret", "BackupRetentionPeriod": 7}
    rds.create_db_instance(
        DBInstanceIdentifier="acme-billing-db", Engine="postgres", EngineVersion="16.3",
        StorageEncrypted=True, MultiAZ=True, PubliclyAccessible=False, AutoMinorVersionUpgrade=True,
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "billing"}], **common)
    rds.create_db_instance(
        DBInstanceIdentifier="acme-staging-db", Engine="postgres", EngineVersion="16.3",
        StorageEncrypted=True, MultiAZ=False, PubliclyAccessible=False, AutoMinorVersionUpgrade=True,
        Tags=[{"Key": "env", "Value": "staging"}], **common)
    legacy: Any = session.client("rds", region_name=legacy_region)
    legacy.create_db_instance(
        DBInstanceIdentifier="acme-legacy-reports", Engine="mysql", EngineVersion="5.7.44",
        StorageEncrypted=False, MultiAZ=False, PubliclyAccessible=True, AutoMinorVersionUpgrade=False,
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "bi"}], **common)

    efs: Any = session.client("efs", region_name=home)
    efs.create_file_system(CreationToken="acme-shared-assets", Encrypted=True,
                           Tags=[{"Key": "Name", "Value": "acme-shared-assets"}])
    efs.create_file_system(CreationToken="acme-ci-build-cache", Encrypted=False,
                           Tags=[{"Key": "Name", "Value": "acme-ci-build-cache"}])
