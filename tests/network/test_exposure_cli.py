"""`awsaudit exposure`: the table and JSON from a snapshot of a moto VPC; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

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
