"""EFS collector against moto: file systems with their ARNs; a denied listing."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.storage.databases import efs_file_system_encrypted
from awsaudit.collect import efs
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT, REGION


def test_file_systems_evaluate(ctx: Context, session: boto3.Session) -> None:
    client = session.client("efs", region_name=REGION)
    shared = client.create_file_system(CreationToken="acme-shared", Encrypted=True,
                                       Tags=[{"Key": "Name", "Value": "acme-shared"}])["FileSystemId"]
    scratch = client.create_file_system(CreationToken="acme-scratch", Encrypted=False)["FileSystemId"]

    data = efs.collect(ctx)

    systems = {s["FileSystemId"]: s for s in data["file_systems"]}
    assert systems[shared]["_arn"] == f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{shared}"
    assert systems[shared]["Encrypted"] is True
    snapshot = {"accounts": {ACCOUNT: {"regions": {REGION: {"efs": data}}}}}
    findings = evaluate(snapshot, [efs_file_system_encrypted])
    assert {f.resource.rsplit("/", 1)[1]: f.status for f in findings} == {shared: Status.PASS,
                                                                          scratch: Status.FAIL}


def test_denied_listing(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeFileSystems")

    data = efs.collect(ctx)

    assert data == {"_errors": {"file_systems": "AccessDenied"}}
    assert [(e["service"], e["operation"]) for e in ctx.errors] == [("efs", "DescribeFileSystems")]
