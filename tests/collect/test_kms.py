"""KMS collector against moto: metadata, aliases, parsed key policy, rotation only where it applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from awsaudit.checks import evaluate
from awsaudit.checks.logging.kms import kms_cmk_rotation_enabled
from awsaudit.collect import kms
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION


@pytest.fixture
def keys(session: boto3.Session) -> dict[str, str]:
    """Acme's keys by role: rotating, not rotating, signing (asymmetric), disabled."""
    client: Any = session.client("kms", region_name=REGION)
    made = {
        "rotating": client.create_key(Description="acme-app data")["KeyMetadata"]["KeyId"],
        "static": client.create_key(Description="acme-legacy data")["KeyMetadata"]["KeyId"],
        "signing": client.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"],
        "disabled": client.create_key(Description="acme-old")["KeyMetadata"]["KeyId"],
    }
    client.enable_key_rotation(KeyId=made["rotating"])
    client.disable_key(KeyId=made["disabled"])
    client.create_alias(AliasName="alias/acme-app", TargetKeyId=made["rotating"])
    client.create_alias(AliasName="alias/acme-app-v2", TargetKeyId=made["rotating"])
    return made


def snapshot(data: Json) -> Json:
    return {"accounts": {ACCOUNT: {"regions": {REGION: {"kms": data}}}}}


def by_id(data: Json) -> dict[str, Json]:
    return {k["KeyId"]: k for k in data["keys"]}


def test_keys_with_metadata_aliases_policy_and_rotation(ctx: Context, keys: dict[str, str]) -> None:
    got = by_id(kms.collect(ctx))

    rotating = got[keys["rotating"]]
    assert rotating["_arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{keys['rotating']}"
    assert rotating["Aliases"] == ["alias/acme-app", "alias/acme-app-v2"]
    assert rotating["KeyMetadata"]["KeyManager"] == "CUSTOMER"
    assert rotating["KeyRotationStatus"]["KeyRotationEnabled"] is True
    assert rotating["KeyPolicy"]["Version"] == "2012-10-17"  # a document, not a string
    assert got[keys["static"]]["KeyRotationStatus"]["KeyRotationEnabled"] is False
    assert got[keys["static"]]["Aliases"] == []
    # Rotation does not apply to these: not asked for, and no error either.
    for name in ("signing", "disabled"):
        assert "KeyRotationStatus" not in got[keys[name]]
        assert "_errors" not in got[keys[name]]
        assert "KeyPolicy" in got[keys[name]]
    assert ctx.errors == []


def test_denied_rotation_status_is_absent_with_reason(ctx: Context, keys: dict[str, str],
                                                      deny: Callable[..., None]) -> None:
    deny("GetKeyRotationStatus", code="AccessDeniedException")

    data = kms.collect(ctx)

    static = by_id(data)[keys["static"]]
    assert "KeyRotationStatus" not in static
    assert static["_errors"] == {"KeyRotationStatus": "AccessDeniedException"}
    assert sorted((e["operation"], e["resource"].rsplit("/", 1)[1]) for e in ctx.errors) == sorted(
        ("GetKeyRotationStatus", keys[name]) for name in ("rotating", "static"))
    findings = evaluate(snapshot(data), [kms_cmk_rotation_enabled])
    statuses = {f.resource.rsplit("/", 1)[1]: f.status for f in findings}
    assert statuses[keys["static"]] is Status.UNKNOWN
    assert statuses[keys["signing"]] is Status.PASS  # not applicable, decided from its metadata


def test_denied_aliases_mark_every_key(ctx: Context, keys: dict[str, str], deny: Callable[..., None]) -> None:
    deny("ListAliases")

    got = by_id(kms.collect(ctx))

    assert all("Aliases" not in k and k["_errors"] == {"Aliases": "AccessDenied"} for k in got.values())
    assert [e["operation"] for e in ctx.errors] == ["ListAliases"]


def test_denied_listing_leaves_keys_absent(ctx: Context, keys: dict[str, str],
                                           deny: Callable[..., None]) -> None:
    deny("ListKeys")

    data = kms.collect(ctx)

    assert data == {"_errors": {"keys": "AccessDenied"}}
    (finding,) = evaluate(snapshot(data), [kms_cmk_rotation_enabled])
    assert finding.status is Status.UNKNOWN


def test_collected_keys_evaluate(ctx: Context, keys: dict[str, str]) -> None:
    data = kms.collect(ctx)
    findings = evaluate(snapshot(data), [kms_cmk_rotation_enabled])

    statuses = {f.resource.rsplit("/", 1)[1]: f.status for f in findings}
    assert statuses == {keys["rotating"]: Status.PASS, keys["static"]: Status.FAIL,
                        keys["signing"]: Status.PASS, keys["disabled"]: Status.PASS}


def test_actions() -> None:
    assert kms.PRODUCES == ("keys",)
    assert tuple(sorted(kms.ACTIONS)) == kms.ACTIONS
