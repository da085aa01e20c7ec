"""The mutelist: matching, expiry, stale entries, tags from the snapshot, and one-line errors."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from awsaudit.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, exit_code
from awsaudit.model import Finding, Objective, Severity, Status
from awsaudit.report.mutelist import MutelistError, apply, load, parse, resource_tags
from awsaudit.untrusted import limits

TODAY = dt.date(2026, 5, 1)
SG = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0bastion"
BUCKET = "arn:aws:s3:::acme-website"


def finding(
    check: str = "ec2_sg_no_public_ssh",
    resource: str = SG,
    status: Status = Status.FAIL,
    account: str = "111122223333",
    region: str = "eu-west-1",
    severity: Severity = Severity.HIGH,
) -> Finding:
    return Finding(
        check, "title", status, severity, Objective.CONFIDENTIALITY, "msg", account, region, resource
    )


SNAPSHOT = {
    "accounts": {
        "111122223333": {
            "regions": {
                "eu-west-1": {
                    "ec2": {
                        "security_groups": [
                            {"_arn": SG, "Tags": [{"Key": "environment", "Value": "sandbox"}]}
                        ]
                    }
                }
            },
            "global": {"s3": {"buckets": [{"_arn": BUCKET, "_region": "eu-west-1"}]}},
        }
    }
}


def mute(text: str, findings: list[Finding]) -> tuple[list[Finding], object]:
    return apply(parse(text, "mutes.yaml"), findings, resource_tags(SNAPSHOT), TODAY)


def test_matching_finding_becomes_muted_with_reason_owner_expiry_and_original_status() -> None:
    text = """
mutes:
  - check: ec2_sg_no_*
    resource: "arn:aws:ec2:eu-west-1:*:security-group/sg-0bastion"
    reason: Bastion, SSH limited upstream (SEC-142)
    owner: platform@acme.example
    expires: 2026-06-30
"""
    out, report = mute(text, [finding(), finding(resource=BUCKET, check="s3_bucket_no_public_read")])
    assert out[0].status is Status.MUTED
    assert out[0].mute == {
        "reason": "Bastion, SSH limited upstream (SEC-142)",
        "owner": "platform@acme.example",
        "expires": "2026-06-30",
        "line": 3,
        "file": "mutes.yaml",
        "status": "FAIL",
    }
    assert out[1].status is Status.FAIL and out[1].mute is None
    assert report.warnings() == []  # type: ignore[attr-defined]


def test_muted_findings_never_gate() -> None:
    out, _ = mute("mutes:\n  - {check: '*', reason: accepted}\n", [finding(severity=Severity.CRITICAL)])
    assert exit_code(out, Severity.LOW, fail_on_unknown=True) == EXIT_OK
    assert exit_code([finding(severity=Severity.CRITICAL)], Severity.LOW) == EXIT_FINDINGS


@pytest.mark.parametrize(
    ("criteria", "muted"),
    [
        ("account: '111122223333'", True),
        ("account: 111122223333", True),  # unquoted numbers are matched as written
        ("account: ['999999999999', '1111*']", True),
        ("account: '999999999999'", False),
        ("region: eu-*", True),
        ("region: us-east-1", False),
        ("resource: 'regex:arn:aws:ec2:[a-z0-9-]+:\\d{12}:security-group/sg-0b.*'", True),
        ("resource: 'regex:sg-0b'", False),  # a regex must match the whole ARN
        ("tags: {environment: sand*}", True),
        ("tags: {environment: prod}", False),
        ("tags: {owner: '*'}", False),
    ],
)
def test_criteria(criteria: str, muted: bool) -> None:
    out, _ = mute(f"mutes:\n  - {criteria}\n    reason: r\n", [finding()])
    assert (out[0].status is Status.MUTED) is muted


def test_tags_never_match_a_resource_without_tag_data() -> None:
    out, _ = mute(
        "mutes:\n  - {tags: {environment: '*'}, reason: r}\n",
        [finding(resource=BUCKET, check="s3_bucket_no_public_read")],
    )
    assert out[0].status is Status.FAIL


def test_unknown_and_manual_are_muted_but_pass_stays_pass() -> None:
    statuses = [Status.UNKNOWN, Status.MANUAL, Status.PASS]
    out, report = mute("mutes:\n  - {check: '*', reason: r}\n", [finding(status=s) for s in statuses])
    assert [f.status for f in out] == [Status.MUTED, Status.MUTED, Status.PASS]
    assert [f.mute["status"] for f in out[:2]] == ["UNKNOWN", "MANUAL"]  # type: ignore[index]
    assert report.of_state("active")[0].muted == 2  # type: ignore[attr-defined]


def test_first_matching_entry_wins() -> None:
    text = "mutes:\n  - {check: ec2_*, reason: first}\n  - {check: '*', reason: second}\n"
    out, _ = mute(text, [finding()])
    assert out[0].mute["reason"] == "first"  # type: ignore[index]


def test_expired_entry_mutes_nothing_and_is_reported() -> None:
    text = "mutes:\n  - {check: ec2_sg_no_public_ssh, reason: r, owner: bob, expires: 2026-04-30}\n"
    out, report = mute(text, [finding()])
    assert out[0].status is Status.FAIL
    (expired,) = report.of_state("expired")  # type: ignore[attr-defined]
    assert expired.muted == 1
    (warning,) = report.warnings()  # type: ignore[attr-defined]
    assert "line 2" in warning and "expired on 2026-04-30" in warning and "bob" in warning
    assert report.to_json()["expired"][0]["state"] == "expired"  # type: ignore[attr-defined]


def test_entry_is_valid_through_its_expiry_day() -> None:
    out, _ = mute("mutes:\n  - {check: '*', reason: r, expires: 2026-05-01}\n", [finding()])
    assert out[0].status is Status.MUTED


def test_stale_entries_say_whether_the_problem_looks_fixed() -> None:
    text = "mutes:\n  - {check: nothing_*, reason: r}\n  - {check: ec2_*, reason: fixed}\n"
    _, report = mute(text, [finding(status=Status.PASS)])
    warnings = report.warnings()  # type: ignore[attr-defined]
    assert len(warnings) == 2
    assert "line 2" in warnings[0] and "matched no finding" in warnings[0]
    assert "line 3" in warnings[1] and "1 passing finding" in warnings[1]


def test_resource_tags_reads_lists_and_mappings() -> None:
    snap = {
        "accounts": {
            "1": {
                "global": {
                    "x": {
                        "things": [
                            {"_arn": "a", "Tags": [{"Key": "k", "Value": "v"}]},
                            {"_arn": "b", "TagSet": {"k": "w"}},
                            {"_arn": "c"},
                        ]
                    }
                }
            }
        }
    }
    assert resource_tags(snap) == {"a": {"k": "v"}, "b": {"k": "w"}}


def test_empty_mutes_list_is_valid() -> None:
    assert parse("mutes: []\n").entries == ()
    assert parse("version: 1\nmutes:\n").entries == ()


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("mutes:\n  - check: x\n    reason: [unclosed\n", 4, "invalid YAML"),
        ("", None, "empty"),
        ("- check: x\n", 1, "top level must be a mapping"),
        ("mute:\n  - {check: x, reason: r}\n", 1, "did you mean 'mutes'"),
        ("mutes: {check: x}\n", 1, "must be a list"),
        ("mutes:\n  - check: x\n", 2, "no `reason`"),
        ("mutes:\n  - {check: x, reason: '  '}\n", 2, "`reason` must not be empty"),
        ("mutes:\n  - reason: r\n", 2, "matches everything"),
        ("mutes:\n  - check: x\n    reson: r\n", 3, "did you mean 'reason'"),
        ("mutes:\n  - check: x\n    check: y\n    reason: r\n", 3, "duplicate key 'check'"),
        ("mutes:\n  - check: x\n    reason: r\n    expires: 31/12/2026\n", 4, "YYYY-MM-DD"),
        ("mutes:\n  - check: x\n    reason: r\n    expires: 2026-02-30\n", 4, "YYYY-MM-DD"),
        ("mutes:\n  - resource: 'regex:(['\n    reason: r\n", 2, "invalid regular expression"),
        ("mutes:\n  - check: []\n    reason: r\n", 2, "empty list"),
        ("mutes:\n  - check: {a: b}\n    reason: r\n", 2, "single value"),
        ("mutes:\n  - tags: [a]\n    reason: r\n", 2, "`tags` must be a mapping"),
        ("version: 2\nmutes: []\n", 1, "version: 1"),
    ],
)
def test_malformed_mutelist_is_one_line_with_file_and_line(text: str, line: int | None, problem: str) -> None:
    with pytest.raises(MutelistError) as raised:
        parse(text, "m.yaml")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"m.yaml:{line}: " if line else "m.yaml: "), message
    assert problem in message, message
    assert raised.value.exit_code == 2


def test_load_reads_a_file_and_reports_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "mutes.yaml"
    path.write_text("mutes:\n  - {check: x, reason: r}\n", encoding="utf-8")
    assert load(path).entries[0].line == 2
    with pytest.raises(MutelistError, match="cannot read"):
        load(tmp_path / "missing.yaml")


def test_yaml_tags_are_never_constructed() -> None:
    with pytest.raises(MutelistError, match=r"^m\.yaml:2: mutelist: unsupported YAML tag"):
        parse("mutes:\n  - check: !!python/object/apply:os.system [echo hi]\n    reason: r\n", "m.yaml")


def test_a_backtracking_regex_cannot_hang_the_audit() -> None:
    """`(a+)+b` against a long ARN takes Python's `re` exponential time; RE2 is linear."""
    hostile = finding(resource="arn:aws:s3:::" + "a" * 5000)
    start = time.perf_counter()
    out, _ = mute("mutes:\n  - resource: 'regex:arn:aws:s3:::(a+)+b'\n    reason: r\n", [hostile] * 20)
    assert time.perf_counter() - start < 0.5
    assert out[0].status is not Status.MUTED


def test_yaml_aliases_are_refused_in_one_line() -> None:
    """The "billion laughs": nested aliases expand exponentially when a loader constructs them."""
    laughs = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        laughs += f"{level}: &{level} [*{previous},*{previous},*{previous},*{previous},*{previous}]\n"
    text = laughs + "mutes:\n  - check: *i\n    reason: r\n"
    with pytest.raises(MutelistError, match=r"m.yaml:2: mutelist: invalid YAML: YAML aliases"):
        parse(text, "m.yaml")


def test_a_huge_mutelist_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "TEXT_FILE_LIMIT", 1024)
    path = tmp_path / "m.yaml"
    path.write_text("mutes:\n" + "  - {check: x, reason: r}\n" * 100, encoding="utf-8")
    with pytest.raises(MutelistError, match="larger than"):
        load(path)
