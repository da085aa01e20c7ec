"""The diff: finding categories by fingerprint and status, field-level resource changes."""

from __future__ import annotations

from awsaudit.model import Status
from awsaudit.store.diff import ResourceState, diff_findings, diff_resources, field_changes
from awsaudit.store.resources import Resource, account_resources
from tests.store.helpers import finding


def test_findings_new_resolved_still_open_and_changed() -> None:
    old = [finding("a", Status.PASS), finding("b", Status.FAIL), finding("c", Status.FAIL, evidence=1),
           finding("d", Status.UNKNOWN), finding("e", Status.FAIL, resource="arn:gone")]
    new = [finding("a", Status.FAIL), finding("b", Status.PASS), finding("c", Status.FAIL, evidence=2),
           finding("d", Status.PASS), finding("f", Status.FAIL)]
    result = diff_findings(old, new)
    assert [(r["check_id"], r["before"]) for r in result.new] == [("a", "PASS"), ("f", None)]
    assert [(r["check_id"], r["status"], r["gone"]) for r in result.resolved] == [
        ("b", "PASS", False), ("e", None, True)]
    assert [(r["check_id"], r["evidence_changed"]) for r in result.still_open] == [("c", True)]
    assert [(r["check_id"], r["before"], r["status"]) for r in result.status_changed] == [
        ("d", "UNKNOWN", "PASS")]


def test_field_changes_name_keys_added_removed_and_changed() -> None:
    before = {"Policy": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}, "Logging": None,
              "Tags": ["a", "b"]}
    after = {"Policy": {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}, "Versioning": {},
             "Tags": ["b", "a"]}
    assert field_changes(before, after) == [
        {"path": "Logging", "change": "removed", "before": None},
        {"path": "Policy.Statement[0].Action", "change": "changed", "before": "s3:GetObject",
         "after": "s3:*"},
        {"path": "Versioning", "change": "added", "after": "{}"},
    ], "a reordered list is no change"
    assert field_changes(before, before) == []


def test_a_rule_added_to_a_security_group_is_one_added_item() -> None:
    rule = {"IpProtocol": "tcp", "FromPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    opened = {"IpProtocol": "tcp", "FromPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"},
                                                              {"CidrIp": "0.0.0.0/0"}]}
    assert field_changes({"IpPermissions": [rule]}, {"IpPermissions": [opened]}) == [
        {"path": "IpPermissions[0].IpRanges[1]", "change": "added", "after": '{"CidrIp":"0.0.0.0/0"}'}]


def test_resources_are_everything_with_an_arn_without_bookkeeping_or_runtime_state() -> None:
    account = {"_arn": "arn:aws:iam::1:root", "global": {"iam": {"users": [
        {"_arn": "arn:aws:iam::1:user/a", "UserName": "a", "_errors": {"x": "AccessDenied"}}]}},
        "regions": {"eu-west-1": {"cloudtrail": {"trails": [
            {"_arn": "arn:t", "Name": "t", "Status": {"IsLogging": True, "LatestDeliveryTime": "now"}}]}}}}
    found = account_resources(account)
    assert sorted((r.type, r.region, r.config) for r in found.values()) == [
        ("cloudtrail.trails", "eu-west-1", {"Name": "t", "Status": {"IsLogging": True}}),
        ("iam.users", "global", {"UserName": "a"})]


def test_resource_diff_added_removed_changed() -> None:
    def states(*resources: Resource) -> dict[str, ResourceState]:
        return {r.key: ResourceState.of(r) for r in resources}

    user = Resource("iam.users", "global", "arn:u", {"UserName": "u"})
    sg = Resource("ec2.security_groups", "eu-west-1", "arn:sg", {"IpPermissions": []})
    opened = Resource("ec2.security_groups", "eu-west-1", "arn:sg", {"IpPermissions": [{"FromPort": 22}]})
    bucket = Resource("s3.buckets", "global", "arn:b", {"Name": "b"})
    result = diff_resources(states(user, sg), states(opened, bucket))
    assert [r["arn"] for r in result["added"]] == ["arn:b"]
    assert [r["arn"] for r in result["removed"]] == ["arn:u"]
    assert result["changed"] == [{"type": "ec2.security_groups", "region": "eu-west-1", "arn": "arn:sg",
                                  "changes": [{"path": "IpPermissions[0]", "change": "added",
                                               "after": '{"FromPort":22}'}]}]
