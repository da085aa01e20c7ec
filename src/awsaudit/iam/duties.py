"""Separation of duties: who can *define* permissions and who can *assign* them.

An IAM "master" defines what roles, groups and policies mean (create or edit policies, roles
and groups, and what is attached to them); an IAM "manager" assigns them to people (create
users, put users in groups, attach or write policies on users). A principal that can do
both can grant itself anything, so outside the designated administrators nobody should.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from awsaudit.iam.catalogue import resource_kinds
from awsaudit.iam.coverage import allowed_somewhere, kind_candidates, mentions
from awsaudit.iam.patterns import glob_match
from awsaudit.iam.principals import Entity, IamAccount

DEFINE: tuple[str, ...] = (
    "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
    "iam:CreateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy",
    "iam:CreateGroup", "iam:PutGroupPolicy", "iam:AttachGroupPolicy",
)
ASSIGN: tuple[str, ...] = (
    "iam:CreateUser", "iam:AddUserToGroup", "iam:AttachUserPolicy", "iam:PutUserPolicy",
)


@dataclass(frozen=True, slots=True)
class Duties:
    """The define and assign permissions a principal holds: action -> a resource it applies to."""

    define: dict[str, str] = field(default_factory=dict)
    assign: dict[str, str] = field(default_factory=dict)
    conditional: bool = False

    @property
    def holds_both(self) -> bool:
        return bool(self.define) and bool(self.assign)

    def evidence(self) -> dict[str, list[str]]:
        return {"define": [f"{a} on {r}" for a, r in self.define.items()],
                "assign": [f"{a} on {r}" for a, r in self.assign.items()]}


def duties(entity: Entity, account: IamAccount) -> Duties:
    policies = entity.policy_set(account.scps)
    ctx = entity.context()
    found: dict[str, dict[str, str]] = {"define": {}, "assign": {}}
    conditional = False
    for duty, actions in (("define", DEFINE), ("assign", ASSIGN)):
        for action in actions:
            if not mentions(entity.policies, action):
                continue
            candidates = kind_candidates(resource_kinds(action, entity.partition, entity.account),
                                         policies.all_policies(), ctx)
            hit = allowed_somewhere(action, candidates, policies, ctx, entity.caller)
            if hit is not None:
                found[duty][action] = hit[0]
                conditional |= hit[1].conditional
    return Duties(found["define"], found["assign"], conditional)


def is_designated(entity: Entity, designated: tuple[str, ...]) -> bool:
    """Designated administrators: ARN globs, or `user/NAME` / `role/NAME`."""
    return any(glob_match(d, entity.arn) or d == entity.ref for d in designated)
