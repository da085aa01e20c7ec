"""The account view and the engine around it: one reading of gaps (a crashed collector included),
models built once per account under concurrency, one finding per offender."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from awsaudit.checks import evaluate, evaluate_account, load_all
from awsaudit.checks._missing import Missing
from awsaudit.checks._view import AccountView, ModelSpec
from awsaudit.checks.iam import privileges
from awsaudit.checks.iam.access import iam_cloudshell_full_access_restricted
from awsaudit.checks.iam.privileges import iam_inline_policy_no_admin_privileges
from awsaudit.model import Status

ACCT = "123456789012"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def account(**regions: Any) -> dict[str, Any]:
    return {"account_id": ACCT, "_arn": f"arn:aws:iam::{ACCT}:root", "global": {},
            "regions": {name.replace("_", "-"): part for name, part in regions.items()}}


def test_a_crashed_collector_gives_its_code_to_every_reader() -> None:
    crashed = {"_errors": {"*": "CollectorError: KeyError"}}
    view = AccountView(ACCT, account(eu_west_1={"cloudtrail": crashed},
                                     us_east_1={"cloudtrail": {"trails": []}}))
    found, gaps = view.items("cloudtrail.trails")
    assert found == [] and gaps == ["cloudtrail.trails in eu-west-1: CollectorError: KeyError"]
    with pytest.raises(Missing, match="CollectorError: KeyError in eu-west-1"):
        view.collection("cloudtrail.trails", "eu-west-1")
    assert view.locate("cloudtrail.trails", "ap-south-1").gap == "region was not scanned"


def test_the_engine_reports_the_crash_code_for_a_per_resource_check() -> None:
    doc = account(eu_west_1={"ec2": {"_errors": {"*": "CollectorError: TypeError"}}})
    findings = evaluate({"accounts": {ACCT: doc}}, [load_all()["ec2_sg_no_public_ssh"]])
    assert [(f.status, f.region) for f in findings] == [(Status.UNKNOWN, "eu-west-1")]
    assert "CollectorError: TypeError" in findings[0].message


def test_a_model_is_built_once_per_account_even_under_threads() -> None:
    builds: list[str] = []

    def slow(view: AccountView) -> str:
        builds.append(view.id)
        time.sleep(0.05)
        return f"model of {view.id}"

    spec = ModelSpec("slow", slow)
    view = AccountView(ACCT, account())
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: view.model(spec), range(16)))
    assert results == [f"model of {ACCT}"] * 16 and builds == [ACCT]
    assert AccountView("210987654321", account()).model(spec) == "model of 210987654321"
    assert builds == [ACCT, "210987654321"]


def test_a_model_that_cannot_be_built_is_missing_for_every_check_that_asks() -> None:
    calls = threading.local()
    calls.n = 0

    def broken(view: AccountView) -> str:
        calls.n += 1
        raise Missing("iam.users", "AccessDenied")

    spec = ModelSpec("broken", broken)
    view = AccountView(ACCT, account())
    for _ in range(3):
        with pytest.raises(Missing, match="AccessDenied"):
            view.model(spec)
    assert calls.n == 1


def test_the_iam_model_is_built_once_for_all_iam_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = privileges.build

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(privileges, "build", counting)
    users = [{"UserName": n, "Arn": f"arn:aws:iam::{ACCT}:user/{n}", "_arn": f"arn:aws:iam::{ACCT}:user/{n}",
              "UserPolicyList": [], "AttachedManagedPolicies": [], "GroupList": []} for n in ("a", "b", "c")]
    doc = {**account(), "global": {"iam": {"users": users, "roles": [], "groups": [], "policies": []}}}
    checks = [c for c in load_all().values() if c.func.__module__ == privileges.__name__]
    findings = evaluate_account(AccountView(ACCT, doc), checks)
    assert len([f for f in findings if f.check_id == "iam_user_not_admin"]) == 3
    assert built == [ACCT]


def test_an_inline_admin_policy_is_its_own_finding_besides_the_account_summary() -> None:
    eve = {"UserName": "eve", "Arn": f"arn:aws:iam::{ACCT}:user/eve",
           "UserPolicyList": [{"PolicyName": "break-glass", "PolicyDocument": ADMIN}]}
    doc = {**account(), "global": {"iam": {"users": [eve], "roles": [], "groups": [], "policies": []}}}
    summary, offender = evaluate({"accounts": {ACCT: doc}}, [iam_inline_policy_no_admin_privileges])
    assert (summary.status, summary.resource) == (Status.FAIL, f"arn:aws:iam::{ACCT}:root")
    assert (offender.status, offender.resource) == (
        Status.FAIL, f"arn:aws:iam::{ACCT}:user/eve#inline-policy/break-glass")
    assert offender.fingerprint != summary.fingerprint


def test_each_holder_of_cloudshell_full_access_is_a_finding() -> None:
    shell = {"PolicyName": "AWSCloudShellFullAccess",
             "PolicyArn": "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"}
    iam = {"account": {"_arn": f"arn:aws:iam::{ACCT}:root"}, "users": [], "saml_providers": [],
           "oidc_providers": [],
           "groups": [{"GroupName": "Developers", "Arn": f"arn:aws:iam::{ACCT}:group/Developers",
                       "AttachedManagedPolicies": [shell]}],
           "roles": [{"RoleName": "ops", "Arn": f"arn:aws:iam::{ACCT}:role/ops",
                      "AttachedManagedPolicies": [shell]}]}
    doc = {**account(), "global": {"iam": iam}}
    findings = evaluate({"accounts": {ACCT: doc}}, [iam_cloudshell_full_access_restricted])
    assert [f.resource for f in findings] == [
        f"arn:aws:iam::{ACCT}:root", f"arn:aws:iam::{ACCT}:group/Developers",
        f"arn:aws:iam::{ACCT}:role/ops"]
    assert {f.status for f in findings} == {Status.FAIL}
