"""Meta-tests: the conventions every check, framework file and collector must follow."""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from pathlib import Path

import pytest

from awsaudit.checks import AREAS, load_all
from awsaudit.checks._registry import ACCOUNT
from awsaudit.collect import COLLECTORS, required_actions
from awsaudit.frameworks import control_checks, controls_by_check, frameworks, hardening_checks
from awsaudit.model import Status
from tests.checks.cases import Case

CHECKS = load_all()
PREFIXES = (
    "iam_",
    "s3_",
    "ec2_",
    "cloudtrail_",
    "account_",
    "organizations_",
    "config_",
    "kms_",
    "cloudwatch_",
    "logs_",
    "rds_",
    "efs_",
    "vpc_",
    "securityhub_",
    "accessanalyzer_",
    "budgets_",
)
READ_ONLY = re.compile(
    r"^[a-z0-9-]+:(List|Get|Describe)[A-Za-z0-9]*$|^iam:GenerateCredentialReport$"
    r"|^budgets:ViewBudget$"  # authorizes DescribeBudgets and every other Budgets read
)


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        if path.stem == "test_catalogue":
            continue
        module = importlib.import_module(f"tests.checks.{path.stem}")
        cases.extend(getattr(module, "CASES", []))
    return cases


def test_checks_are_registered() -> None:
    assert CHECKS, "no checks registered"
    assert {c.area for c in CHECKS.values()} <= set(AREAS)


def test_every_check_has_pass_fail_and_unknown_cases() -> None:
    seen: dict[str, set[Status]] = defaultdict(set)
    for case in all_cases():
        seen[case.check.id].add(case.expected)
    decided = {Status.PASS, Status.FAIL, Status.UNKNOWN}
    # A control only a human can judge returns MANUAL where others PASS or FAIL; it still needs its
    # UNKNOWN case (the data it shows the auditor may be missing).
    judged = {Status.MANUAL, Status.UNKNOWN}
    missing = {
        cid: sorted(
            (judged if Status.MANUAL in seen[cid] and not seen[cid] >= decided else decided) - seen[cid]
        )
        for cid in CHECKS
    }
    assert {cid: m for cid, m in missing.items() if m} == {}


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_metadata(check_id: str) -> None:
    check = CHECKS[check_id]
    assert check.id.startswith(PREFIXES), "id must start with a service prefix"
    assert not check.title.lower().startswith("ensure") and len(check.title) <= 100
    assert len(check.rationale) > 20, "the docstring is the rationale"
    assert check.remediation.cli or check.remediation.console, (
        "remediation needs a CLI command or console steps"
    )


def test_framework_checks_exist_and_every_check_assesses_a_control() -> None:
    fws = frameworks()
    assert "baseline" in fws
    for fw_id, data in fws.items():
        for control_id in data["controls"]:
            unknown = set(control_checks(fw_id, control_id)) - set(CHECKS)
            assert not unknown, f"{fw_id} {control_id} names unknown checks {unknown}"
    # A hardening check beyond every framework's wording is allowed when the baseline says so.
    assert set(CHECKS) - set(controls_by_check()) - hardening_checks() == set()
    assert hardening_checks() & set(controls_by_check()) == set(), "a hardening check assesses a control"


def test_every_check_assesses_a_baseline_control_or_says_why_not() -> None:
    baseline = frameworks()["baseline"]
    mapped = {c for cid in baseline["controls"] for c in control_checks("baseline", cid)}
    outside: dict[str, str] = baseline.get("outside_baseline", {})
    assert set(CHECKS) - mapped - set(outside) == set(), "map these to a baseline control or say why not"
    assert mapped & set(outside) == set(), "a check listed outside the baseline assesses a baseline control"
    assert set(outside) - set(CHECKS) == set(), "outside_baseline names unknown checks"
    assert [cid for cid, why in outside.items() if len(why) < 20] == [], "give a reason"


def test_every_collection_a_check_reads_is_produced_by_a_collector() -> None:
    for check in CHECKS.values():
        if check.over == ACCOUNT:
            continue
        service, key = check.over.split(".")
        assert service in COLLECTORS, f"{check.id}: no collector for {service}"
        assert key in COLLECTORS[service].produces, f"{check.id}: {service} does not produce {key}"


def test_collectors_only_declare_read_only_actions() -> None:
    actions = required_actions()
    assert actions
    assert [a for a in actions if not READ_ONLY.match(a)] == []
