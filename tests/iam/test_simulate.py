"""`awsaudit iam simulate FILE.json`: the document semantics of the issue, and bad documents -> exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from awsaudit.cli.iam import iam
from awsaudit.iam.methods import METHODS

ID = "123456789012"
IAM_ONLY = ["CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "AddUserToGroup",
    "CreateNewPolicyVersion",
            "SetExistingDefaultPolicyVersion", "AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy",
            "PutUserPolicy", "PutGroupPolicy", "PutRolePolicy", "UpdateRolePolicyToAssumeIt"]


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def simulation(*statements: dict[str, Any], principal: str = "user/alice", attached: str = "user",
               **extra: Any) -> dict[str, Any]:
    return {"principal": principal,
            "policies": [{"attached_to": attached, "name": "p", "document": doc(*statements)}], **extra}


def run(tmp_path: Path, content: Any) -> tuple[int, str, str]:
    path = tmp_path / "sim.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    result = CliRunner().invoke(iam, ["simulate", str(path)])
    return result.exit_code, result.stdout, result.stderr


def simulate(tmp_path: Path, content: Any) -> dict[str, Any]:
    code, out, err = run(tmp_path, content)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_admin(tmp_path: Path) -> None:
    assert simulate(tmp_path, simulation(allow("*"))) == {"admin": True, "privesc_methods": [],
        "decisions": []}


def test_admin_via_notaction_of_a_retired_service(tmp_path: Path) -> None:
    result = simulate(tmp_path, simulation({"Effect": "Allow", "NotAction": "codestar:*", "Resource": "*"}))
    assert result["admin"] is True


@pytest.mark.parametrize(("statements", "extra"), [
    ([allow("*"), {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}], {}),
    ([allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})], {}),
    ([allow("*")], {"permissions_boundary": doc(allow("s3:*"))}),
    ([allow("*")], {"scps": [[doc(allow("*"))], [doc(allow(["ec2:*", "s3:*"]))]]}),
    ([allow("*", "arn:aws:*")], {}),
    ([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}], {}),
], ids=["deny", "condition", "boundary", "scp", "resource", "notaction-iam"])
def test_not_admin_when_anything_narrows_it(tmp_path: Path, statements: list[dict[str, Any]],
                                            extra: dict[str, Any]) -> None:
    assert simulate(tmp_path, simulation(*statements, **extra))["admin"] is False


def test_admin_when_the_context_meets_the_condition(tmp_path: Path) -> None:
    sim = simulation(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                     context={"aws:MultiFactorAuthPresent": True})
    assert simulate(tmp_path, sim)["admin"] is True


def test_iam_star_enables_every_iam_only_method(tmp_path: Path) -> None:
    result = simulate(tmp_path, simulation(allow("iam:*")))
    assert result["admin"] is False
    assert result["privesc_methods"] == IAM_ONLY


def test_notaction_iam_enables_every_method_without_iam(tmp_path: Path) -> None:
    result = simulate(tmp_path, simulation({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    expected = [m.name for m in METHODS
                if not m.edge_only and not any(a.startswith("iam:") for a in m.actions())]
    assert result["privesc_methods"] == expected
    # sts:AssumeRole is allowed, but without a trust policy to read it is a graph edge, not a method.
    assert "AssumeRole" not in expected and "SSMSendCommand" in expected


def test_passrole_on_a_role_prefix_counts(tmp_path: Path) -> None:
    sim = simulation(allow("iam:PassRole", f"arn:aws:iam::{ID}:role/ec2-app-*"), allow("ec2:RunInstances"))
    assert simulate(tmp_path, sim)["privesc_methods"] == ["CreateEC2WithExistingIP"]


def test_passrole_checked_with_the_method_service(tmp_path: Path) -> None:
    sim = simulation(allow("iam:PassRole",
        Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
                     allow(["ec2:RunInstances", "lambda:CreateFunction", "lambda:InvokeFunction"]))
    assert simulate(tmp_path, sim)["privesc_methods"] == ["PassExistingRoleToNewLambdaThenInvoke"]


def test_passrole_in_another_account_does_not_count(tmp_path: Path) -> None:
    sim = simulation(allow("iam:PassRole", "arn:aws:iam::999999999999:role/*"), allow("ec2:RunInstances"))
    assert simulate(tmp_path, sim)["privesc_methods"] == []


def test_principal_arn_sets_the_account(tmp_path: Path) -> None:
    sim = simulation(allow("iam:PassRole", "arn:aws:iam::999999999999:role/*"), allow("ec2:RunInstances"),
                     principal="arn:aws:iam::999999999999:user/alice")
    assert simulate(tmp_path, sim)["privesc_methods"] == ["CreateEC2WithExistingIP"]


def test_attach_checked_with_the_administrator_policy_arn(tmp_path: Path) -> None:
    denied = simulation(allow("iam:AttachUserPolicy", Condition={
        "ArnNotEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}}))
    allowed = simulation(allow("iam:AttachUserPolicy", Condition={
        "ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}}))
    assert simulate(tmp_path, denied)["privesc_methods"] == []
    assert simulate(tmp_path, allowed)["privesc_methods"] == ["AttachUserPolicy"]


def test_other_user_excludes_the_principal_itself(tmp_path: Path) -> None:
    own = simulation(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}"))
    others = simulation(allow("iam:CreateAccessKey", "arn:aws:iam::*:user/al*"))
    assert simulate(tmp_path, own)["privesc_methods"] == []
    assert simulate(tmp_path, others)["privesc_methods"] == ["CreateAccessKey"]


def test_own_user_counts_for_attach_user_policy(tmp_path: Path) -> None:
    sim = simulation(allow("iam:AttachUserPolicy", "arn:aws:iam::*:user/${aws:username}"))
    assert simulate(tmp_path, sim)["privesc_methods"] == ["AttachUserPolicy"]


def test_role_principal_context_has_no_username(tmp_path: Path) -> None:
    sim = simulation(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"),
                     allow("s3:ListBucket",
                           Condition={"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ID}:role/app"}}),
                     principal="role/app", attached="role",
                     queries=[["s3:GetObject", "arn:aws:s3:::home/app/x"], ["s3:ListBucket",
                         "arn:aws:s3:::home"]])
    assert simulate(tmp_path, sim)["decisions"] == [["s3:GetObject", "arn:aws:s3:::home/app/x", False],
                                                    ["s3:ListBucket", "arn:aws:s3:::home", True]]


def test_decisions_group_policies_boundary_and_scps(tmp_path: Path) -> None:
    sim = {"principal": "user/alice", "group": "ignored", "policies": [
        {"attached_to": "group", "name": "devs", "group": "Developers", "document": doc(allow(["s3:*",
            "ec2:*"]))},
        {"attached_to": "user", "name": "own", "document": doc({"Effect": "Deny", "Action": "s3:DeleteBucket",
                                                               "Resource": "*"})}],
           "permissions_boundary": doc(allow(["s3:*", "iam:*"])),
           "scps": [[doc(allow("*"))], [doc(allow("s3:*"))]],
           "context": {"aws:SourceIp": "203.0.113.7"},
           "queries": [["s3:GetObject", "arn:aws:s3:::b/k"], ["s3:DeleteBucket", "arn:aws:s3:::b"],
                       ["ec2:RunInstances", "*"], ["iam:CreateUser", "*"]]}
    result = simulate(tmp_path, sim)
    assert result["decisions"] == [["s3:GetObject", "arn:aws:s3:::b/k", True],
                                   ["s3:DeleteBucket", "arn:aws:s3:::b", False],
                                   ["ec2:RunInstances", "*", False], ["iam:CreateUser", "*", False]]
    assert result["admin"] is False


def test_context_values_and_ifexists(tmp_path: Path) -> None:
    statement = allow("s3:GetObject", Condition={"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}})
    queries = [["s3:GetObject", "arn:aws:s3:::b/k"]]
    inside = simulate(tmp_path, simulation(statement, context={"aws:SourceIp": "10.1.2.3"}, queries=queries))
    outside = simulate(tmp_path, simulation(statement, context={"aws:SourceIp": "8.8.8.8"}, queries=queries))
    absent = simulate(tmp_path, simulation(statement, queries=queries))
    assert [inside["decisions"][0][2], outside["decisions"][0][2], absent["decisions"][0][2]] == [True,
        False, True]


def test_unknown_action_is_warned_about_and_matched_literally(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, simulation(allow("codestar:CreateProject"),
                                              queries=[["codestar:CreateProject", "*"]]))
    assert code == 0
    assert json.loads(out)["decisions"] == [["codestar:CreateProject", "*", True]]
    assert "codestar:CreateProject" in err and "not in the IAM action catalogue" in err


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    (simulation({"Effect": "Permit", "Action": "*", "Resource": "*"}), "unknown Effect 'Permit'"),
    (simulation({"Effect": "Allow", "Resource": "*"}), "missing Action"),
    ({"policies": []}, "principal"),
    (simulation(allow("*"), principal="group/devs"), "user/NAME or role/NAME"),
    (simulation(allow("*"), attached="role"), "attached_to must be user or group"),
    ({"principal": "user/a", "policies": [{"attached_to": "user", "name": "p"}]}, "no document"),
    (simulation(allow("*"), queries=[["s3:GetObject"]]), "queries[0]"),
    (simulation(allow("*"), scps=[doc(allow("*"))]), "list of levels"),
    (simulation(allow("*", Condition={"StringEqualz": {"a": "b"}})), "unknown condition operator"),
    (simulation(allow("*"), permissions_boundary={"Statement": {"Effect": "Allow"}}), "missing Action"),
], ids=["json", "effect", "action", "no-principal", "principal-kind", "attached-to", "document", "query",
    "scps",
        "operator", "boundary"])
def test_bad_documents_exit_2_with_one_line(tmp_path: Path, content: Any, message: str) -> None:
    code, out, err = run(tmp_path, content)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("awsaudit: error: ") and message in err


def test_missing_file_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(iam, ["simulate", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
