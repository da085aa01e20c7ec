"""IAM Access Analyzer checks: an active external-access analyzer in every region."""

from __future__ import annotations

from awsaudit.checks._registry import check, need
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok

EXTERNAL_ACCESS = frozenset({"ACCOUNT", "ORGANIZATION"})
"""Analyzer types that report access from outside the zone of trust; the *_UNUSED_ACCESS and
*_INTERNAL_ACCESS types answer other questions (CIS 2.18 is about external access)."""


def _summary(analyzer: Json) -> Json:
    return {k: analyzer.get(k) for k in ("name", "type", "status", "statusReason", "arn") if k in analyzer}


@check(
    "accessanalyzer_enabled",
    title="IAM Access Analyzer for external access is active in the region",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="accessanalyzer.region",
    remediation=Remediation(
        console=(
            "Open IAM > Access analyzer in the region and choose Create analyzer.",
            "Choose External access analysis, with the current account (or the organization, from the "
            "management or delegated administrator account) as zone of trust; create.",
            "Repeat in every enabled region (analyzers are regional), or use a CloudFormation StackSet.",
        ),
        cli="aws accessanalyzer create-analyzer --region {region} --analyzer-name account-analyzer "
            "--type ACCOUNT",
        terraform='resource "aws_accessanalyzer_analyzer" "main" {\n'
                  '  analyzer_name = "account-analyzer"\n'
                  '  type          = "ACCOUNT"\n'
                  "}",
    ),
)
def accessanalyzer_enabled(region: Json) -> Outcome:
    """Access Analyzer continuously finds resources shared outside the account or organization:
    buckets, KMS keys, roles, queues, secrets, snapshots whose policies let someone else in.
    Analyzers are regional, so a region without one is where such a share (made by mistake, or
    by an intruder keeping a way back in) goes unnoticed."""
    analyzers = need(region, "analyzers")
    evidence = {"analyzers": [_summary(a) for a in analyzers]}
    external = [a for a in analyzers if a.get("type") in EXTERNAL_ACCESS]
    if active := [a for a in external if a.get("status") == "ACTIVE"]:
        return ok(f"Analyzer {active[0].get('name')} ({active[0].get('type')}) is active", evidence=evidence)
    if external:
        states = ", ".join(f"{a.get('name')} is {a.get('status')}" for a in external)
        return fail(f"No external-access analyzer is active: {states}", evidence=evidence)
    if analyzers:
        return fail("Only unused- or internal-access analyzers exist here; none reports external access",
                    evidence=evidence)
    return fail("No IAM Access Analyzer in this region", evidence=evidence)
