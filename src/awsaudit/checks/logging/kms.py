"""KMS checks: automatic rotation of the customer-managed keys that can rotate."""

from __future__ import annotations

from awsaudit.checks._registry import check, need, typed
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, fail, ok


def _not_applicable(meta: Json) -> str | None:
    """Why automatic rotation does not apply to this key, or None when it does.

    KMS rotates only symmetric encryption keys whose material it generated itself; AWS managed
    keys are rotated by AWS every year; a disabled or deleted key protects no new data.
    https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
    """
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")
    if meta.get("KeyManager") != "CUSTOMER":
        return "AWS managed key, rotated by AWS every year"
    if spec != "SYMMETRIC_DEFAULT":
        return f"{spec} key; KMS rotates only symmetric encryption keys"
    if meta.get("Origin") != "AWS_KMS":
        return f"key material from {meta.get('Origin')}; KMS cannot rotate it automatically"
    if meta.get("KeyState") != "Enabled":
        return f"key is {meta.get('KeyState')}"
    return None


@check(
    "kms_cmk_rotation_enabled",
    title="Customer-managed symmetric KMS key has automatic rotation enabled",
    severity=Severity.MEDIUM,
    objective=Objective.CONFIDENTIALITY,
    over="kms.keys",
    remediation=Remediation(
        console=(
            "Open Key Management Service > Customer managed keys and select the key.",
            "Key rotation tab > Edit: enable Automatically rotate this KMS key every year (or choose a "
            "rotation period), and save.",
        ),
        cli="aws kms enable-key-rotation --region {region} --key-id {id} --rotation-period-in-days 365",
        terraform='resource "aws_kms_key" "main" {\n'
                  "  # ...\n"
                  "  enable_key_rotation     = true\n"
                  "  rotation_period_in_days = 365\n"
                  "}",
    ),
)
def kms_cmk_rotation_enabled(key: Json) -> Outcome:
    """Rotation gives a key new cryptographic material on a schedule while old ciphertext stays
    readable. It bounds how much data one key version protects, and how long material that
    leaked (or was exposed through a flaw) stays useful to an attacker for new data."""
    meta = need(key, "KeyMetadata")
    evidence: Json = {k: meta.get(k) for k in ("KeyId", "KeyManager", "KeySpec", "Origin", "KeyState")}
    if "Aliases" in key:
        evidence["Aliases"] = key["Aliases"]
    if reason := _not_applicable(meta):
        return ok(f"Not applicable: {reason}", evidence=evidence)
    status = need(key, "KeyRotationStatus", dict)
    evidence.update({k: status[k] for k in ("KeyRotationEnabled", "RotationPeriodInDays", "NextRotationDate")
                     if k in status})
    if typed(status.get("KeyRotationEnabled"), "KeyRotationStatus.KeyRotationEnabled", bool):
        period = status.get("RotationPeriodInDays")
        return ok(f"Automatic rotation is enabled{f' (every {period} days)' if period else ''}",
                  evidence=evidence)
    return fail("Automatic rotation is disabled: the key material has not changed since the key was created",
                evidence=evidence)
