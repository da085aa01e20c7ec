"""`awsaudit permissions --organization ROLE` covers what the Organization planner calls."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from awsaudit.cli import main
from awsaudit.collect import ORGANIZATION_ACTIONS, collector_policy, iam_action
from awsaudit.collect import organization as planner


def _camel(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def test_every_operation_the_planner_calls_is_listed() -> None:
    source = Path(planner.__file__).read_text(encoding="utf-8")
    named = set(re.findall(r'get_paginator\("([a-z_]+)"\)', source))
    named |= set(re.findall(r"client\.(describe_[a-z_]+|list_[a-z_]+)\(", source))
    assert named, "the planner's calls were not found: the pattern is stale"
    assert {iam_action("organizations", "organizations", _camel(op)) for op in named} <= set(
        ORGANIZATION_ACTIONS)


def test_permissions_for_an_organization_scan() -> None:
    result = CliRunner().invoke(main, ["permissions", "--organization", "AuditRole"])
    assert result.exit_code == 0, result.output
    statements = json.loads(result.output)["Statement"]
    assert statements[0] == collector_policy()["Statement"][0]
    assert "organizations:ListAccounts" in statements[1]["Action"]
    assert statements[2] == {"Sid": "AwsauditAssumeMemberRole", "Effect": "Allow",
                             "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::*:role/AuditRole"}
    plain = json.loads(CliRunner().invoke(main, ["permissions"]).output)
    assert plain == collector_policy()
