"""History and drift end to end: a moto account scanned, changed (a bucket made public, a
security group opened, a policy edited, a user deleted), scanned again; audited into a store,
then `history`, `diff` (store and snapshot files), `history prune`, and the store's failures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from awsaudit import snapshot
from awsaudit.cli import main
from awsaudit.collect.scan import ScanOptions, scan_account

REGION = "eu-west-1"
BUCKET = "acme-data"
POLICY_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                      "Resource": "*"}]}


def _scan(session: boto3.Session, path: Path) -> None:
    snap = scan_account(session, ScanOptions(regions=(REGION,), services=("s3", "ec2", "iam")))
    snapshot.save(snap, path)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """Two snapshots of one moto account, with the change set applied in between."""
    tmp = tmp_path_factory.mktemp("drift")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                           "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            session = boto3.Session(region_name=REGION)
            s3, ec2, iam = session.client("s3"), session.client("ec2"), session.client("iam")
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            group = ec2.create_security_group(GroupName="bastion", Description="bastion",
                                              VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
            policy = iam.create_policy(PolicyName="reader",
                                       PolicyDocument=json.dumps(POLICY_DOC))["Policy"]["Arn"]
            iam.create_user(UserName="leaver")
            iam.create_user(UserName="stayer")
            _scan(session, tmp / "before.json.gz")
            time.sleep(1.1)  # collection times are to the second; the second scan is later

            s3.delete_public_access_block(Bucket=BUCKET)
            s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            iam.create_policy_version(PolicyArn=policy, SetAsDefault=True, PolicyDocument=json.dumps(
                {**POLICY_DOC, "Statement": [{**POLICY_DOC["Statement"][0], "Action": "s3:*"}]}))
            iam.delete_user(UserName="leaver")
            _scan(session, tmp / "after.json.gz")
    yield tmp / "before.json.gz", tmp / "after.json.gz"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _check_drift(document: Any) -> None:
    (account,) = document["accounts"]
    new = {(f["check_id"], f["resource"].rsplit(":", 1)[-1]) for f in account["findings"]["new"]}
    assert ("s3_bucket_no_public_read", BUCKET) in new
    assert any(check == "ec2_sg_no_public_ssh" for check, _ in new)
    resources = account["resources"]
    removed = [r["arn"].rsplit("/", 1)[-1] for r in resources["removed"] if r["type"] == "iam.users"]
    assert removed == ["leaver"]
    changed = {r["type"]: r["changes"] for r in resources["changed"]}
    bucket = {c["path"]: c for c in changed["s3.buckets"]}
    assert bucket["PublicAccessBlock"]["after"] is None
    assert "Policy" in bucket or any(p.startswith("Policy") for p in bucket)
    assert any(c["path"].endswith("IpRanges[1]") and "0.0.0.0/0" in c["after"]
               for c in changed["ec2.security_groups"])
    assert {"path": "DefaultVersionId", "change": "changed", "before": "v1", "after": "v2"} in changed[
        "iam.policies"]


def test_two_audits_record_history_and_diff(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    before, after = snapshots
    db = str(tmp_path / "h.sqlite")
    code, out, _ = run("audit", str(before), "--db", db, "-o", str(tmp_path / "1"),
                       "--output-formats", "json")
    assert code == 0 and "Recorded as scan #1" in out
    code, out, _ = run("audit", str(after), "--db", db, "-o", str(tmp_path / "2"),
                       "--output-formats", "json,html")
    assert code == 0 and "Since the last audit" in out and "Recorded as scan #2" in out

    html = (tmp_path / "2" / "report.html").read_text()
    assert 'id="history"' in html and "IpRanges[1]" in html and "leaver" in html
    findings = json.loads((tmp_path / "2" / "findings.json").read_text())["findings"]
    (s3_3,) = [f for f in findings if f["check_id"] == "s3_bucket_configuration_reviewed"]
    assert s3_3["status"] == "MANUAL", "a changed bucket is reported for review"
    assert {"Policy", "PublicAccessBlock"} <= set(s3_3["evidence"]["Changes"])
    first = json.loads((tmp_path / "1" / "findings.json").read_text())["findings"]
    assert [f["status"] for f in first if f["check_id"] == "s3_bucket_configuration_reviewed"] == ["UNKNOWN"]

    code, out, _ = run("diff", "--db", db, "--json")
    assert code == 0
    _check_drift(json.loads(out))
    code, out, _ = run("diff", "--db", db)
    assert code == 0 and "NEW" in out and "s3_bucket_no_public_read" in out

    code, out, _ = run("history", "--db", db, "--json")
    assert [s["id"] for s in json.loads(out)] == [2, 1]
    code, out, _ = run("history", "--db", db, "prune", "--keep", "1")
    assert code == 0 and "Deleted 1 scan(s)" in out
    code, out, _ = run("history", "--db", db, "--json")
    assert [s["id"] for s in json.loads(out)] == [2]


def test_re_auditing_the_same_snapshot_compares_with_the_scan_before_it(
        snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    """'Previous' means collected earlier: auditing a snapshot twice gives the same findings."""
    _, after = snapshots
    db = str(tmp_path / "h.sqlite")
    for out in ("1", "2"):
        code, _, _ = run("audit", str(after), "--db", db, "-o", str(tmp_path / out),
                         "--output-formats", "json")
        assert code == 0
    one, two = (json.loads((tmp_path / o / "findings.json").read_text())["findings"] for o in ("1", "2"))
    assert [(f["fingerprint"], f["status"]) for f in one] == [(f["fingerprint"], f["status"]) for f in two]


def test_diff_of_two_snapshot_files_needs_no_store(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    before, after = snapshots
    code, out, _ = run("diff", str(before), str(after), "--json", "--db", str(tmp_path / "none.sqlite"))
    assert code == 0
    _check_drift(json.loads(out))
    assert not (tmp_path / "none.sqlite").exists()


def test_no_history_writes_no_store(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    code, out, _ = run("audit", str(snapshots[0]), "--db", str(db), "--no-history",
                       "-o", str(tmp_path / "o"), "--output-formats", "json")
    assert code == 0 and "Recorded" not in out and not db.exists()


@pytest.mark.parametrize("content", [b"not a database at all\n" * 40,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_an_unusable_store_is_one_line_and_exit_2(snapshots: tuple[Path, Path], tmp_path: Path,
                                                   content: bytes) -> None:
    db = tmp_path / "h.sqlite"
    db.write_bytes(content)
    for args in (("audit", str(snapshots[0]), "-o", str(tmp_path / "o")), ("history",), ("diff",)):
        code, out, err = run(*args, "--db", str(db))
        assert code == 2, (args, out, err)
        assert err.count("\n") == 1 and err.startswith("awsaudit: error: ") and "Traceback" not in err
    assert db.read_bytes() == content, "never overwritten"
    assert not (tmp_path / "o").exists(), "refused before any work"


def test_history_without_a_store_says_so(tmp_path: Path) -> None:
    code, out, _ = run("history", "--db", str(tmp_path / "none.sqlite"))
    assert code == 0 and "No scans recorded yet" in out


def test_demo_drift_shows_the_change_set(tmp_path: Path) -> None:
    """`demo --drift`: two audits of Acme with the change set between; the diff in the terminal,
    the "since the last audit" section and the trend chart in the second report."""
    db = tmp_path / "h.sqlite"
    code, out, err = run("demo", "--drift", "-o", str(tmp_path / "demo"), "--db", str(db),
                         "--output-formats", "json,html")
    assert code == 0, err
    assert "Since the last audit (awsaudit diff 1 2)" in out
    for expected in ("s3_bucket_no_public_read", "ec2_sg_no_public_ssh", "dave.okafor",
                     "acme-billing-readonly", "IpRanges[1]"):
        assert expected in out, expected
    html = (tmp_path / "demo" / "report.html").read_text()
    assert 'id="history"' in html and "Pass rate per area over the last 2 scans" in html
    assert (tmp_path / "demo" / "before" / "report.html").exists()
    code, out, _ = run("history", "--db", str(db), "--json")
    assert [s["id"] for s in json.loads(out)] == [2, 1]
