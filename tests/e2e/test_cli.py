"""The command line end to end: demo, audit of a saved snapshot, errors, a scan against moto's server."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from awsaudit import snapshot
from awsaudit.checks import evaluate, load_all
from awsaudit.cli import main
from awsaudit.frameworks import hardening_checks


def clean_env(**extra: str) -> dict[str, str]:
    """An environment with no AWS credentials and no way to reach instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
            **extra,
        }
    )
    return env


def test_demo_writes_every_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} >= {
        "snapshot.json.gz",
        "summary.txt",
        "findings.json",
        "report.html",
        "findings.csv",
        "report.md",
        "junit.xml",
        "findings.sarif",
        "findings.ocsf.json",
        "findings.asff.json",
    }
    document = json.loads((out / "findings.json").read_text())
    findings = document["findings"]
    for status in ("PASS", "FAIL", "UNKNOWN"):
        assert any(f["status"] == status for f in findings), status
    for area in ("iam", "logging", "network", "s3"):
        statuses = {f["status"] for f in findings if f["area"] == area}
        assert {"PASS", "FAIL"} <= statuses, (area, statuses)
    assert all(f["controls"] for f in findings if f["check_id"] not in hardening_checks()), (
        "every finding names the controls it assesses (hardening checks, declared as such, assess none)")
    assert "<script>alert" not in (out / "report.html").read_text()


def test_demo_without_moto_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # `import moto` now fails as if not installed
    result = CliRunner().invoke(main, ["demo", "--quiet"])
    assert result.exit_code == 2
    assert result.output == "awsaudit: error: the demo needs moto: pip install 'awsaudit[demo]'\n"


def test_audit_evaluates_a_schema_1_snapshot(tmp_path: Path) -> None:
    legacy = Path(__file__).parents[1] / "fixtures" / "snapshot-schema1.json.gz"
    result = CliRunner().invoke(main, ["audit", str(legacy), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())["findings"]
    assert [f.to_json()["status"] for f in evaluate(snapshot.load(legacy))] == [f["status"] for f in findings]
    assert snapshot.read_header(tmp_path / "out" / "snapshot.json.gz")["schema_version"] == 2


def test_audit_refuses_a_newer_schema_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "future.json.gz"
    path.write_bytes(gzip.compress(b'{"kind":"awsaudit-snapshot","schema_version":9}\n'))
    result = CliRunner().invoke(main, ["audit", str(path), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "schema version 9 is not supported" in result.output


def test_saved_snapshot_gives_exactly_the_live_findings(
    demo_snapshot: dict[str, object], tmp_path: Path
) -> None:
    live = [f.to_json() for f in evaluate(demo_snapshot)]
    path = tmp_path / "snap.json.gz"
    snapshot.save(demo_snapshot, path)
    reloaded = [f.to_json() for f in evaluate(snapshot.load(path))]
    assert live == reloaded
    assert len(live) > 50


def test_fail_on_sets_exit_code_1(demo_snapshot: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "snap.json.gz"
    snapshot.save(demo_snapshot, path)
    runner = CliRunner()
    assert runner.invoke(main, ["audit", str(path), "-o", str(tmp_path / "a"), "-q"]).exit_code == 0
    gated = runner.invoke(main, ["audit", str(path), "-o", str(tmp_path / "b"), "-q", "--fail-on", "high"])
    assert gated.exit_code == 1


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "awsaudit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_scan_without_credentials_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("scan", "-o", str(tmp_path), env=clean_env())
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "No AWS credentials" in lines[0] and "awsaudit demo" in lines[0]


@pytest.mark.parametrize("content", [b"garbage", b'{"kind": "awsaudit-snapshot", "schema_version": 7}'])
def test_audit_of_a_bad_file_is_one_line_and_exit_2(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(content)
    result = run_cli("audit", str(bad), "-o", str(tmp_path / "out"), env=clean_env())
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr


def test_checks_json_lists_ids_and_controls() -> None:
    result = CliRunner().invoke(main, ["checks", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    ids = {r["id"] for r in rows}
    assert {"iam_root_no_access_keys", "s3_bucket_no_public_read", "ec2_sg_no_public_ssh"} <= ids
    assert all(r["severity"] and r["title"] for r in rows)
    assert all(r["controls"] or r["id"] in hardening_checks() for r in rows)


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_scan_against_an_aws_compatible_endpoint(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real scan path over HTTP: endpoint from AWS_ENDPOINT_URL, errors recorded, outputs written."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    session = boto3.Session(region_name="eu-west-1")
    session.client("s3").create_bucket(
        Bucket="e2e-open", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    ec2 = session.client("ec2")
    group = ec2.create_security_group(GroupName="e2e-ssh", Description="ssh from anywhere")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )

    out = tmp_path / "scan"
    result = CliRunner().invoke(main, ["scan", "--region", "eu-west-1", "-o", str(out), "-q"])
    # moto's server has no Access Analyzer: that service failed as a whole, the audit is not whole
    assert result.exit_code == 3, result.output
    assert "1 (service, region) could not be collected at all" in result.output
    findings = json.loads((out / "findings.json").read_text())["findings"]
    ssh = [f for f in findings if f["check_id"] == "ec2_sg_no_public_ssh" and group in f["resource"]]
    assert [f["status"] for f in ssh] == ["FAIL"]
    bucket = [
        f for f in findings if f["check_id"] == "s3_bucket_default_encryption" and "e2e-open" in f["resource"]
    ]
    assert len(bucket) == 1
    assert "incomplete" not in snapshot.load(out / "snapshot.json.gz")  # written shard by shard, then ended


def test_interrupted_scan_saves_what_was_collected(moto_server: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the first collector finished: exit 130, one line, and a loadable partial snapshot."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": moto_server}.items():
        monkeypatch.setenv(key, value)
    def progress(description: str, done: int, total: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("awsaudit.cli.audit.progress_bar", lambda quiet: _Yield(progress))
    out = tmp_path / "partial.json.gz"
    result = CliRunner().invoke(main, ["collect", "--region", "eu-west-1", "-o", str(out), "-q"])
    assert result.exit_code == 130
    assert "interrupted; what was collected so far is saved in" in result.output
    partial = snapshot.load(out)
    assert partial["incomplete"] == "interrupted by the user"
    account = next(iter(partial["accounts"].values()))
    collected = len(account["global"]) + sum(len(r) for r in account["regions"].values())
    assert collected == 1
    present = set(account["global"]) | {svc for r in account["regions"].values() for svc in r}
    checks = load_all()
    not_collected = [f for f in evaluate(partial)
                     if checks[f.check_id].over != "account" and checks[f.check_id].service not in present]
    assert not_collected, "some checks read services the interrupted scan never reached"
    assert {str(f.status) for f in not_collected} == {"UNKNOWN"}


class _Yield:
    def __init__(self, value: object) -> None:
        self.value = value

    def __enter__(self) -> object:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


def test_checks_framework_view_lists_controls_with_their_checks() -> None:
    result = CliRunner().invoke(main, ["checks", "--framework", "baseline", "--json"])
    assert result.exit_code == 0
    view = {c["control"]: c for c in json.loads(result.output)}
    assert "iam_root_no_access_keys" in view["IAM-1"]["checks"]
    assert view["IAM-1"]["severities"] == ["critical"]
    bad = CliRunner().invoke(main, ["checks", "--framework", "cis-0.1"])
    assert bad.exit_code == 2 and "unknown framework" in bad.output
