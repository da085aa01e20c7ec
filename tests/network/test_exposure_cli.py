"""`awsaudit exposure`: the table and JSON from a snapshot of a moto VPC or collected live from moto;
bad input and missing credentials are one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from click.testing import CliRunner

from awsaudit import snapshot as snapshot_io
from awsaudit.cli import main
from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from tests.conftest import ACCOUNT, REGION
from tests.network.lab import WORLD, Lab, tcp


def _snapshot(tmp_path: Path, data: dict[str, object]) -> Path:
    document = snapshot_io.new("test", "2026-01-01T00:00:00+00:00")
    document["accounts"] = {ACCOUNT: {"global": {}, "regions": {REGION: {"ec2": data}}, "errors": []}}
    path = tmp_path / "snapshot.json.gz"
    snapshot_io.save(document, path)
    return path


def test_exposure_lists_the_reachable_interface_with_its_path(ctx: Context, lab: Lab, tmp_path: Path) -> None:
    exposed = lab.instance(lab.subnet(), lab.group(tcp(22, WORLD)))
    lab.instance(lab.subnet(route=None), lab.group(tcp(3306, WORLD)))  # private: not listed
    path = _snapshot(tmp_path, ec2.collect(ctx))

    result = CliRunner().invoke(main, ["exposure", "--snapshot", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["not_assessed"] == []
    [row] = report["exposed"]
    assert exposed in row["resource"] and row["ports"] == "tcp 22" and row["family"] == "IPv4"
    assert row["sources"] == "anywhere"
    assert row["route"].startswith(f"{lab.igw} -> rtb-") and " -> acl-" in row["route"]
    assert [h["hop"] for h in row["path"]] == ["address", "internet gateway", "route table", "network ACL",
                                               "security group"]

    table = CliRunner().invoke(main, ["exposure", "--snapshot", str(path)])
    assert table.exit_code == 0 and "tcp 22" in table.output and row["address"] in table.output


def test_exposure_names_what_could_not_be_read(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, {"_errors": {"network_interfaces": "AccessDenied"}, "security_groups": []})
    result = CliRunner().invoke(main, ["exposure", "--snapshot", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["exposed"] == []
    [gap] = json.loads(result.output)["not_assessed"]
    assert REGION in gap and "AccessDenied" in gap


def test_exposure_of_a_file_that_is_not_a_snapshot_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    result = CliRunner().invoke(main, ["exposure", "--snapshot", str(bogus)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "not an awsaudit snapshot" in result.output


def test_live_mode_collects_ec2_and_elbv2_through_the_scanner(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    called: set[str] = set()
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: Any) -> Any:
        called.add(self.meta.service_model.service_name)
        return original(self, operation_name, api_params)

    exposed = lab.instance(lab.subnet(), lab.group(tcp(22, WORLD)))
    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    result = CliRunner().invoke(main, ["exposure", "--region", REGION, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    [row] = report["exposed"]
    assert exposed in row["resource"] and row["ports"] == "tcp 22" and row["region"] == REGION
    assert report["not_assessed"] == []
    assert called == {"sts", "ec2", "elbv2"}  # only what the network model reads

    table = CliRunner().invoke(main, ["exposure", "--region", REGION])
    assert table.exit_code == 0 and "tcp 22" in table.output


def test_live_mode_without_credentials_is_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = CliRunner().invoke(main, ["exposure", "--region", REGION])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.count("\n") == 1 and "No AWS credentials found" in result.output


def test_live_mode_with_an_unknown_profile_is_one_line_and_exit_2(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = CliRunner().invoke(main, ["exposure", "--profile", "nobody"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "nobody" in result.output


def test_snapshot_with_live_options_is_refused(tmp_path: Path) -> None:
    path = _snapshot(tmp_path, {})
    result = CliRunner().invoke(main, ["exposure", "--snapshot", str(path), "--region", REGION])
    assert result.exit_code == 2 and "live mode" in result.output


def test_names_from_the_account_cannot_write_markup_into_the_table(
    ctx: Context, lab: Lab, tmp_path: Path, session: Any
) -> None:
    exposed = lab.instance(lab.subnet(), lab.group(tcp(22, WORLD)))
    session.client("ec2", region_name=REGION).create_tags(
        Resources=[exposed], Tags=[{"Key": "Name", "Value": "[bold red]evil[/bold red]"}])
    path = _snapshot(tmp_path, ec2.collect(ctx))

    table = CliRunner().invoke(main, ["exposure", "--snapshot", str(path)])

    assert table.exit_code == 0, table.output
    assert "[bold red]evil[/bold red]" in table.output
