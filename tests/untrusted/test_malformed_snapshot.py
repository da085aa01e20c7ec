"""Wrong types inside a snapshot: the checks that read the part are UNKNOWN with the reason.

Before, `users` as a string or number, `iam` as a number, a region's service as a string or
`errors` as a string ended in AttributeError/TypeError tracebacks (exit 1, no reports);
`iam.account = []` made the root and password-policy findings vanish and `security_groups` as
an object gave PASS.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from awsaudit import snapshot
from awsaudit.checks import evaluate, load_all
from awsaudit.cli import main
from awsaudit.model import Finding, Status
from awsaudit.report.coverage import coverage

FIXTURE = Path(__file__).parents[1] / "fixtures" / "snapshot-schema1.json.gz"
REGION = "eu-west-1"

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def account_of(document: dict[str, Any]) -> dict[str, Any]:
    return next(iter(document["accounts"].values()))


def mutated(raw: dict[str, Any], mutation: Mutation) -> dict[str, Any]:
    document = copy.deepcopy(raw)
    mutation(account_of(document))
    return document


def iam_part(account: dict[str, Any]) -> dict[str, Any]:
    part: dict[str, Any] = account["global"]["iam"]
    return part


CASES: list[tuple[str, Mutation, str, str | None]] = [
    # (name, mutation, collection whose checks must be UNKNOWN, region of those checks or None)
    ("users-string", lambda a: iam_part(a).__setitem__("users", "alice"), "iam.users", None),
    ("users-number", lambda a: iam_part(a).__setitem__("users", 5), "iam.users", None),
    ("users-items-strings", lambda a: iam_part(a).__setitem__("users", ["alice", 5]), "iam.users", None),
    ("iam-number", lambda a: a["global"].__setitem__("iam", 5), "iam.roles", None),
    (
        "region-service-string",
        lambda a: a["regions"][REGION].__setitem__("ec2", "x"),
        "ec2.instances",
        REGION,
    ),
    ("account-list", lambda a: iam_part(a).__setitem__("account", []), "iam.account", None),
    (
        "security-groups-object",
        lambda a: a["regions"][REGION]["ec2"].__setitem__(
            "security_groups", {"GroupId": "sg-1", "IpPermissions": []}
        ),
        "ec2.security_groups",
        REGION,
    ),
    ("region-string", lambda a: a["regions"].__setitem__(REGION, "x"), "ec2.security_groups", REGION),
]


def _over(findings: list[Finding], path: str, region: str | None) -> list[Finding]:
    over = {c.id for c in load_all().values() if c.over == path}
    assert over, path
    return [f for f in findings if f.check_id in over and (region is None or f.region in (region, "global"))]


@pytest.mark.parametrize(("name", "mutation", "path", "region"), CASES, ids=[c[0] for c in CASES])
def test_a_wrong_type_makes_its_checks_unknown_with_the_reason(
    raw: dict[str, Any], name: str, mutation: Mutation, path: str, region: str | None
) -> None:
    document = snapshot.validate(mutated(raw, mutation))
    findings = evaluate(document)
    assert not [f for f in findings if f.check_error], "a wrong type must not crash a check"
    reading = _over(findings, path, region)
    assert reading, f"the checks over {path} must not vanish"
    assert {f.status for f in reading} == {Status.UNKNOWN}
    said = "not collected" if name == "region-string" else snapshot.MALFORMED  # the region's record says why
    assert all(said in f.message for f in reading), reading[0].message
    rows = coverage(document, findings)
    service = path.split(".", maxsplit=1)[0]
    assert (
        any(r.service == service and snapshot.MALFORMED in r.codes for r in rows) or name == "region-string"
    )
    assert any(e["code"] == snapshot.MALFORMED for e in account_of(document)["errors"])


@pytest.mark.parametrize("errors", ["boom", 5, ["boom", {"service": 3}, None]])
def test_malformed_error_records_are_dropped_and_said(raw: dict[str, Any], errors: Any) -> None:
    document = snapshot.validate(mutated(raw, lambda a: a.__setitem__("errors", errors)))
    findings = evaluate(document)
    coverage(document, findings)  # before: TypeError: string indices must be integers
    assert [e["resource"] for e in account_of(document)["errors"] if e["code"] == snapshot.MALFORMED] == [
        "errors"
    ]


def test_a_well_formed_account_is_not_copied(raw: dict[str, Any]) -> None:
    account = account_of(snapshot.validate(copy.deepcopy(raw)))
    assert snapshot.conform(account) is account


@pytest.mark.parametrize("name", ["users-string", "iam-number", "errors-string", "security-groups-object"])
def test_audit_of_a_malformed_snapshot_writes_every_report(
    raw: dict[str, Any], tmp_path: Path, name: str
) -> None:
    mutations = {c[0]: c[1] for c in CASES}
    mutations["errors-string"] = lambda a: a.__setitem__("errors", "boom")
    path = tmp_path / "snap.json.gz"
    path.write_bytes(gzip.compress(json.dumps(mutated(raw, mutations[name])).encode()))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["audit", str(path), "-o", str(out), "-q", "--no-history", "--output-formats", "all"]
    )
    # `iam` as a number leaves a whole service unread: the audit is not whole (exit 3, coverage
    # "failed"); a malformed collection inside a service is a gap its checks report as UNKNOWN.
    assert result.exit_code == (3 if name == "iam-number" else 0), result.output
    assert "Traceback" not in result.output and "check error" not in result.output
    assert (out / "report.html").is_file() and (out / "findings.csv").is_file()


@pytest.mark.parametrize(
    "command", [["iam", "who-can", "iam:PassRole"], ["iam", "can", "user/alice", "iam:PassRole"]]
)
@pytest.mark.parametrize(
    "mutation",
    [lambda a: iam_part(a).__setitem__("users", "alice"), lambda a: a["global"].__setitem__("iam", 5)],
    ids=["users", "iam"],
)
def test_iam_commands_on_a_malformed_snapshot_say_so_in_one_line(
    raw: dict[str, Any], tmp_path: Path, command: list[str], mutation: Mutation
) -> None:
    path = tmp_path / "snap.json.gz"
    path.write_bytes(gzip.compress(json.dumps(mutated(raw, mutation)).encode()))
    result = CliRunner().invoke(main, [*command, "--snapshot", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("awsaudit: error: ") and snapshot.MALFORMED in lines[0]


def test_a_non_aws_partition_is_refused(raw: dict[str, Any], tmp_path: Path) -> None:
    document = copy.deepcopy(raw)
    document["partition"] = {"evil": 1}
    path = tmp_path / "snap.json.gz"
    path.write_bytes(gzip.compress(json.dumps(document).encode()))
    with pytest.raises(snapshot.SnapshotError, match="not an AWS partition"):
        snapshot.load(path)


def test_singular_collections_are_declared_as_the_collectors_produce_them(
    demo_snapshot: dict[str, Any],
) -> None:
    """Every object-valued collection of the demo is in SINGULAR, and the demo conforms untouched."""
    singular = set()
    for account in demo_snapshot["accounts"].values():
        assert snapshot.conform(account) is account
        for part in (account["global"], *account["regions"].values()):
            for service, data in part.items():
                singular |= {f"{service}.{k}" for k, v in data.items() if isinstance(v, dict) and k[0] != "_"}
    assert singular == set(snapshot.SINGULAR)


FLIPS = [
    # (check, region, collection, index, field, wrong value): found FAIL -> PASS by the fuzz suite
    (
        "cloudtrail_log_file_validation_enabled",
        "us-east-1",
        "cloudtrail",
        "trails",
        "LogFileValidationEnabled",
        "x",
    ),
    ("cloudtrail_trail_kms_encrypted", "eu-west-1", "cloudtrail", "trails", "KmsKeyId", -1),
    ("ec2_ebs_default_encryption", "eu-central-1", "ec2", "ebs", "EbsEncryptionByDefault", "x"),
    ("rds_instance_storage_encrypted", "us-east-1", "rds", "db_instances", "StorageEncrypted", -1),
    ("rds_instance_multi_az", "eu-west-1", "rds", "db_instances", "MultiAZ", "x"),
    (
        "cloudtrail_trail_cloudwatch_logs_delivery",
        "us-east-1",
        "cloudtrail",
        "trails",
        "CloudWatchLogsLogGroupArn",
        [1, "a"],
    ),
]


@pytest.mark.parametrize(
    ("check_id", "region", "service", "collection", "field", "value"), FLIPS, ids=[f[0] for f in FLIPS]
)
def test_a_truthy_wrong_type_is_unknown_not_pass(
    raw: dict[str, Any], check_id: str, region: str, service: str, collection: str, field: str, value: Any
) -> None:
    def mutation(account: dict[str, Any]) -> None:
        data = account["regions"][region][service][collection]
        for item in data if isinstance(data, list) else [data]:
            item[field] = value

    check = load_all()[check_id]
    before = [
        f.status
        for f in evaluate(snapshot.validate(copy.deepcopy(raw)), checks=[check])
        if f.region == region
    ]
    assert Status.FAIL in before, "the fixture must fail this check in that region"
    after = [
        f for f in evaluate(snapshot.validate(mutated(raw, mutation)), checks=[check]) if f.region == region
    ]
    assert {f.status for f in after} == {Status.UNKNOWN}, [(f.status, f.message) for f in after]
    assert all("malformed data: expected" in f.message for f in after)
