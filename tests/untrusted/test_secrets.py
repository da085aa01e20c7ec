"""Secrets never reach an output or a log: credentials, session tokens, collected secrets.

Secret strings are planted in the credentials and in the account (a Lambda function's
environment, an instance's user data, an SSM SecureString, a Secrets Manager secret); a scan
with every output format and -vv logging runs, and every byte it wrote or logged is searched.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import zipfile
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from awsaudit.cli import main

REGION = "us-east-1"
SECRET_KEY = "PLANTEDsecretKEY0000000000000000000000000"
SESSION_TOKEN = "PLANTEDsessionTOKEN000000000000000000000000000000"
ACCESS_KEY = "AKIAPLANTED000000001"
LAMBDA_SECRET = "PLANTED-lambda-db-password-1234"
USER_DATA_SECRET = "PLANTED-user-data-api-key-5678"
SSM_SECRET = "PLANTED-ssm-secure-string-9012"
SECRETS_MANAGER_SECRET = "PLANTED-secretsmanager-3456"
SECRETS = (
    SECRET_KEY,
    SESSION_TOKEN,
    ACCESS_KEY,
    LAMBDA_SECRET,
    USER_DATA_SECRET,
    SSM_SECRET,
    SECRETS_MANAGER_SECRET,
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _plant(session: boto3.Session) -> None:
    role = session.client("iam").create_role(
        RoleName="fn",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                    }
                ],
            }
        ),
    )
    session.client("lambda").create_function(
        FunctionName="billing",
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {"DB_PASSWORD": LAMBDA_SECRET}},
    )
    ec2 = session.client("ec2")
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"]
    ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        UserData=base64.b64encode(f"export API_KEY={USER_DATA_SECRET}".encode()).decode(),
    )
    session.client("ssm").put_parameter(Name="/db/password", Value=SSM_SECRET, Type="SecureString")
    session.client("secretsmanager").create_secret(Name="db", SecretString=SECRETS_MANAGER_SECRET)


def _texts(out: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            texts[path.name] = data.decode("utf-8", "replace")
    return texts


def test_no_planted_secret_reaches_any_output_or_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    out = tmp_path / "out"
    with mock_aws():
        _plant(boto3.Session(region_name=REGION))
        caplog.clear()
        caplog.set_level(logging.DEBUG)  # after planting: the test's own requests carry the secrets
        result = CliRunner().invoke(
            main,
            ["-vv", "scan", "--region", REGION, "-o", str(out), "--no-history", "--output-formats", "all"],
        )
    assert result.exit_code in (0, 1, 3), result.output[-3000:]  # 3: moto lacks Access Analyzer
    texts = _texts(out)
    assert {"snapshot.json.gz", "summary.txt", "report.html", "findings.csv"} <= set(texts)
    snapshot = texts["snapshot.json.gz"]
    assert "DB_PASSWORD" in snapshot  # the variable is listed for review; its value is not
    logs = caplog.text
    assert "DEBUG" in logs  # -vv logged ...
    assert "Response body" not in logs and "Request headers" not in logs  # ... but not the wire
    texts.update({"stdout": result.stdout, "stderr": result.stderr, "logs": logs})
    leaks = {name: [s for s in SECRETS if s in text] for name, text in texts.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
