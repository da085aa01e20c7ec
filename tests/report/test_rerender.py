"""`awsaudit report findings.json`: an old scan re-rendered from its own stored metadata.

The scan record (ScanResult) carries the check metadata, framework definitions and per-account
facts, so re-rendering needs neither the snapshot nor the installed release's registry.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from awsaudit import snapshot
from awsaudit.checks import evaluate, load_all
from awsaudit.cli import main
from awsaudit.report import FORMATS, ScanBuilder, scan_result
from awsaudit.report.json_report import load
from awsaudit.report.mutelist import parse
from tests.report.hostile import MUTELIST, SCRIPT, hostile_snapshot

WHEN = "2026-05-01T09:00:00+00:00"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`awsaudit audit` of the hostile snapshot with the mutelist, every format written."""
    root = tmp_path_factory.mktemp("audited")
    snap_file = root / "hostile.json.gz"
    snapshot.save(hostile_snapshot(), snap_file)
    mutes = root / "mutes.yaml"
    mutes.write_text(MUTELIST, encoding="utf-8")
    out = root / "out"
    args = ["audit", str(snap_file), "-o", str(out), "-q", "--output-formats", "all"]
    args += ["--mutelist", str(mutes)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def report(findings_json: Path, out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", str(findings_json), "-o", str(out), "-q", *args])
    return result.exit_code, result.stderr


def test_rerendering_gives_every_format_byte_for_byte(audited: Path, tmp_path: Path) -> None:
    code, err = report(audited / "findings.json", tmp_path)
    assert code == 0, err
    names = {FORMATS[f][0] for f in FORMATS} | {"summary.txt"}
    assert {p.name for p in tmp_path.iterdir()} == names
    for name in sorted(names):
        assert (tmp_path / name).read_bytes() == (audited / name).read_bytes(), name
    assert SCRIPT not in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_output_formats_chooses(audited: Path, tmp_path: Path) -> None:
    code, _ = report(audited / "findings.json", tmp_path, "--output-formats", "sarif,csv")
    assert code == 0
    assert {p.name for p in tmp_path.iterdir()} == {"findings.sarif", "findings.csv", "summary.txt"}


def _restyle(document: dict[str, Any], check_id: str, new_id: str) -> None:
    """What an older release would have stored: other titles, remediation, even a check since removed."""
    meta = next(c for c in document["checks"] if c["id"] == check_id)
    meta.update(id=new_id, title="Stored title of the old release", rationale="Stored rationale")
    meta["remediation"]["cli"] = "aws stored-cli --bucket {bucket}"
    for f in document["findings"]:
        if f["check_id"] == check_id:
            f.update(check_id=new_id, title="Stored title of the old release")


def test_stored_titles_and_remediation_win_over_the_live_registry(audited: Path, tmp_path: Path) -> None:
    document = json.loads((audited / "findings.json").read_text(encoding="utf-8"))
    live = load_all()["s3_bucket_no_public_read"]
    _restyle(document, "s3_bucket_no_public_read", "s3_bucket_no_public_read")
    _restyle(document, "ec2_sg_no_public_ssh", "ec2_sg_retired_check")
    assert "ec2_sg_retired_check" not in load_all()
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document), encoding="utf-8")
    code, err = report(old, tmp_path / "out")
    assert code == 0, err
    out = tmp_path / "out"

    sarif = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["s3_bucket_no_public_read"]["shortDescription"]["text"] == "Stored title of the old release"
    assert rules["s3_bucket_no_public_read"]["fullDescription"]["text"] == "Stored rationale"
    assert "ec2_sg_retired_check" in rules, "a check the installed release no longer has still renders"

    text = (out / "findings.csv").read_text(encoding="utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    public = [r for r in rows if r["check_id"] == "s3_bucket_no_public_read"]
    assert public and {r["title"] for r in public} == {"Stored title of the old release"}
    failing = [r for r in public if r["status"] != "PASS"]
    assert failing and all(r["remediation_cli"].startswith("aws stored-cli --bucket ") for r in failing)

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Stored title of the old release" in html and live.title not in html
    assert "aws stored-cli" in html
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert live.title not in markdown


def test_mutes_stay_as_applied(audited: Path, tmp_path: Path) -> None:
    report(audited / "findings.json", tmp_path, "--output-formats", "json")
    document = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert document["mutelist"]["warnings"], "expired and stale entries are still reported"
    assert any(f["status"] == "MUTED" for f in document["findings"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read findings"),
        ('{"format": "other"}', "not an awsaudit findings.json"),
        ('{"format": "awsaudit-findings", "format_version": 1}', "format_version 1"),
        ('{"format": "awsaudit-findings", "format_version": 2}', "malformed findings.json"),
    ],
)
def test_unusable_files_are_exit_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "findings.json"
    path.write_text(content, encoding="utf-8")
    code, err = report(path, tmp_path / "out")
    assert code == 2 and message in err, err


def test_round_trip_keeps_the_record(audited: Path) -> None:
    loaded = load(audited / "findings.json")
    snap = hostile_snapshot()
    assert loaded.mutes is not None
    fresh = scan_result(snap, evaluate(snap), str(loaded.info.source), loaded.info.evaluated_at,
                        parse(MUTELIST, loaded.mutes.origin))
    assert [f.to_json() for f in loaded.findings] == [f.to_json() for f in fresh.findings]
    assert loaded.checks == fresh.checks
    assert loaded.coverage == fresh.coverage
    assert loaded.accounts == fresh.accounts
    assert loaded.info.home_regions == fresh.info.home_regions


def test_builder_one_account_at_a_time_equals_the_whole_snapshot() -> None:
    """Two accounts added one by one, each account document dropped after: the same record."""
    one = hostile_snapshot()
    (account_id, account), = one["accounts"].items()
    other_id = "210987654321"
    other = json.loads(json.dumps(account).replace(account_id, other_id))
    snap = {**one, "accounts": {account_id: account, other_id: other}}
    whole = scan_result(snap, evaluate(snap), "test", WHEN, parse(MUTELIST, "mutes.yaml"))

    builder = ScanBuilder.for_snapshot(snap, "test", WHEN)
    for shard_id in sorted(snap["accounts"]):
        shard = {**snap, "accounts": {shard_id: json.loads(json.dumps(snap["accounts"][shard_id]))}}
        builder.add_account(shard_id, shard["accounts"][shard_id], evaluate(shard))
        del shard
    sharded = builder.build(parse(MUTELIST, "mutes.yaml"))
    assert sharded.findings == whole.findings
    assert sharded.accounts == whole.accounts and sharded.info == whole.info
    assert sum(f.status.value == "MUTED" for f in sharded.findings) == 2, "tag mutes match from stored tags"
    with pytest.raises(ValueError, match="added twice"):
        builder.add_account(account_id, account, [])
