"""KMS checks: rotation of customer-managed symmetric keys; keys it does not apply to."""

from __future__ import annotations

from typing import Any

import pytest

from awsaudit.checks.logging.kms import kms_cmk_rotation_enabled
from awsaudit.model import Json, Status
from tests.checks.cases import Case

ROTATION = kms_cmk_rotation_enabled


def key(rotation: Json | None = None, **meta: Any) -> Json:
    """A collected key; `rotation` is the GetKeyRotationStatus answer (absent when None)."""
    data: Json = {
        "KeyId": "1234abcd", "_arn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd",
        "Aliases": ["alias/acme-app"],
        "KeyMetadata": {"KeyId": "1234abcd", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT",
                        "Origin": "AWS_KMS", "KeyState": "Enabled", **meta},
    }
    if rotation is not None:
        data["KeyRotationStatus"] = rotation
    return data


CASES = [
    Case(ROTATION, Status.PASS, "rotating", key({"KeyRotationEnabled": True, "RotationPeriodInDays": 365})),
    Case(ROTATION, Status.PASS, "aws-managed", key(KeyManager="AWS")),
    Case(ROTATION, Status.PASS, "asymmetric", key(KeySpec="RSA_2048")),
    Case(ROTATION, Status.PASS, "hmac", key(KeySpec="HMAC_256")),
    Case(ROTATION, Status.PASS, "imported-material", key(Origin="EXTERNAL")),
    Case(ROTATION, Status.PASS, "pending-deletion", key(KeyState="PendingDeletion")),
    Case(ROTATION, Status.PASS, "legacy-spec-field", {
        **key({"KeyRotationEnabled": True}),
        "KeyMetadata": {"KeyManager": "CUSTOMER", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
                        "Origin": "AWS_KMS", "KeyState": "Enabled"}}),
    Case(ROTATION, Status.FAIL, "not-rotating", key({"KeyRotationEnabled": False})),
    Case(ROTATION, Status.UNKNOWN, "rotation-denied",
         {**key(), "_errors": {"KeyRotationStatus": "AccessDeniedException"}}),
    Case(ROTATION, Status.UNKNOWN, "describe-denied",
         {"KeyId": "1234abcd", "_errors": {"KeyMetadata": "AccessDeniedException"}}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert case.run() is case.expected


def test_not_applicable_says_why_with_evidence() -> None:
    outcome = ROTATION.evaluate(key(KeyManager="AWS"))
    assert outcome.message.startswith("Not applicable: AWS managed key")
    assert outcome.evidence["KeyManager"] == "AWS"
    assert ROTATION.evaluate(key(KeyState="Disabled")).message == "Not applicable: key is Disabled"


def test_rotation_evidence() -> None:
    outcome = ROTATION.evaluate(key({"KeyRotationEnabled": True, "RotationPeriodInDays": 180}))
    assert outcome.message == "Automatic rotation is enabled (every 180 days)"
    assert outcome.evidence["Aliases"] == ["alias/acme-app"]
    assert outcome.evidence["RotationPeriodInDays"] == 180
