"""`awsaudit iam who-can | can | paths` on a snapshot saved from a moto account, and on a live (moto) scan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from awsaudit import snapshot
from awsaudit.cli.iam import iam
from awsaudit.collect.scan import ScanOptions, scan_account

ID = "123456789012"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def build(session: boto3.Session) -> None:
    client = session.client("iam")
    client.create_group(GroupName="Admins")
    client.attach_group_policy(GroupName="Admins", PolicyArn=ADMIN_POLICY)
    client.create_user(UserName="alice.martin")
    client.add_user_to_group(GroupName="Admins", UserName="alice.martin")
    client.create_user(UserName="bob.dev")
    client.put_user_policy(UserName="bob.dev", PolicyName="keys", PolicyDocument=document(
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-data/*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))


ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
       "AWS_DEFAULT_REGION": "eu-west-1", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One moto account for the module (starting moto with AWS's managed policies takes seconds);
    it stays active, so the live test scans the same account."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            session = boto3.Session(region_name="eu-west-1")
            build(session)
            snap = scan_account(session, ScanOptions(services=("iam",), regions=("eu-west-1",)))
            path = tmp_path_factory.mktemp("iam-cli") / "snap.json.gz"
            snapshot.save(snap, path)
            yield path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(iam, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_who_can(snapshot_file: Path) -> None:
    code, out, _ = invoke("who-can", "iam:CreateAccessKey", f"arn:aws:iam::{ID}:user/alice.martin",
                          "--snapshot", str(snapshot_file), "--json")
    assert code == 0
    assert {row["principal"] for row in json.loads(out)} == {
        f"arn:aws:iam::{ID}:user/alice.martin", f"arn:aws:iam::{ID}:user/bob.dev"}


def test_who_can_marks_conditional_answers(snapshot_file: Path) -> None:
    _, out, _ = invoke("who-can", "s3:GetObject", "arn:aws:s3:::acme-data/report.csv",
                          "--snapshot", str(snapshot_file), "--json")
    rows = {row["principal"]: row["conditional"] for row in json.loads(out)}
    assert rows == {f"arn:aws:iam::{ID}:user/alice.martin": False, f"arn:aws:iam::{ID}:user/bob.dev": True}


def test_can_with_context(snapshot_file: Path) -> None:
    args = ("can", "user/bob.dev", "s3:GetObject", "arn:aws:s3:::acme-data/report.csv", "--snapshot",
            str(snapshot_file))
    code, out, _ = invoke(*args)
    assert code == 0 and out.startswith("DENIED")
    code, out, _ = invoke(*args, "--context", "aws:MultiFactorAuthPresent=true")
    assert out.startswith("ALLOWED") and "user bob.dev inline keys" in out


def test_paths(snapshot_file: Path) -> None:
    code, out, _ = invoke("paths", "bob.dev", "--snapshot", str(snapshot_file))
    assert code == 0
    assert "user/bob.dev -[CreateAccessKey]-> user/alice.martin -[administrator]-> ADMIN" in out
    code, out, _ = invoke("paths", "alice.martin", "--snapshot", str(snapshot_file), "--json")
    assert json.loads(out)["admin"] is True


def test_paths_live(snapshot_file: Path) -> None:
    code, out, err = invoke("paths", "user/bob.dev", "--region", "eu-west-1", "--json")
    assert code == 0, err
    assert [step["method"] for step in json.loads(out)["path"]] == ["CreateAccessKey", "administrator"]


@pytest.mark.parametrize(("args", "message"), [
    (("can", "user/nobody", "s3:GetObject"), "no single user or role"),
    (("who-can", "GetObject"), "not an IAM action"),
    (("can", "bob.dev", "s3:GetObject", "--context", "novalue"), "expected key=value"),
])
def test_input_errors_exit_2(snapshot_file: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke(*args, "--snapshot", str(snapshot_file))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_not_a_snapshot_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    code, _, err = invoke("paths", "bob.dev", "--snapshot", str(path))
    assert code == 2 and "not an awsaudit snapshot" in err
