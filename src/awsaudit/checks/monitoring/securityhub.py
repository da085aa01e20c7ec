"""Security Hub checks: the hub is enabled in every region."""

from __future__ import annotations

from awsaudit.checks._registry import check, need
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok


@check(
    "securityhub_enabled",
    title="AWS Security Hub is enabled in the region",
    severity=Severity.MEDIUM,
    objective=Objective.INTEGRITY,
    over="securityhub.hub",
    remediation=Remediation(
        console=(
            "Open Security Hub in the region and choose Go to Security Hub > Enable Security Hub.",
            "Enable the AWS Foundational Security Best Practices and CIS AWS Foundations standards.",
            "In an Organization, designate a delegated administrator and use central configuration to "
            "enable Security Hub in every account and region.",
        ),
        cli="aws securityhub enable-security-hub --region {region} --enable-default-standards",
        terraform='resource "aws_securityhub_account" "main" {\n'
                  "  enable_default_standards = true\n"
                  "}",
    ),
)
def securityhub_enabled(hub: Json) -> Outcome:
    """Security Hub gathers the findings of GuardDuty, Inspector, Macie, Config and its own
    controls in one place. Where it is off, those findings are scattered or not produced at all,
    and nobody reviews the security posture of that region continuously."""
    found = need(hub, "Hub")  # None: DescribeHub said the account is not subscribed here
    if found is None:
        return fail("Security Hub is not enabled in this region", evidence={"Hub": None})
    evidence = {k: found.get(k) for k in ("HubArn", "SubscribedAt", "AutoEnableControls")}
    return ok(f"Security Hub is enabled (since {found.get('SubscribedAt')})", evidence=evidence)
