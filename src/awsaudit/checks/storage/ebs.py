"""EBS checks: encryption of new volumes by default, per region."""

from __future__ import annotations

from awsaudit.checks._registry import check, need
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok


@check(
    "ec2_ebs_default_encryption",
    title="EBS encryption by default is enabled in the region",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="ec2.ebs",
    remediation=Remediation(
        console=(
            "EC2 console (in region {region}) > Settings > Data protection and security",
            "EBS encryption > Manage > Always encrypt new EBS volumes: Enable",
            "Optionally choose a customer-managed KMS key as the default key; Update EBS encryption",
            "Repeat in every region (the setting is per region); existing volumes stay as they are: "
            "encrypt them by snapshot copy",
        ),
        cli="aws ec2 enable-ebs-encryption-by-default --region {region}",
        terraform='resource "aws_ebs_encryption_by_default" "this" {\n'
                  "  enabled = true\n"
                  "}",
    ),
)
def ec2_ebs_default_encryption(ebs: Json) -> Outcome:
    """With encryption by default on, every new volume and snapshot copy in the region is encrypted,
    whoever creates it and however (console, CLI, Terraform, an Auto Scaling group), so an
    unencrypted disk or snapshot cannot be shared or copied out by mistake. It is a regional
    setting: a region left off is where the next unencrypted volume appears (CIS 6.1.1)."""
    enabled = need(ebs, "EbsEncryptionByDefault", bool)
    evidence = {"EbsEncryptionByDefault": enabled}
    if enabled:
        return ok("New EBS volumes are encrypted by default", evidence=evidence)
    return fail("EBS encryption by default is off: new volumes may be unencrypted", evidence=evidence)
