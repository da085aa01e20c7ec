"""derive(): the effective Block Public Access of each bucket, absent in -> absent out."""

from __future__ import annotations

import copy
from typing import Any

from awsaudit.checks.derive import derive

ALL_OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
           "RestrictPublicBuckets": False}
ACCOUNT_ID = "123456789012"


def snapshot(buckets: list[dict[str, Any]], account: dict[str, Any] | None) -> dict[str, Any]:
    s3: dict[str, Any] = {"buckets": buckets}
    if account is not None:
        s3["account"] = account
    return {"partition": "aws", "accounts": {ACCOUNT_ID: {"global": {"s3": s3}, "regions": {}}}}


def buckets_of(snap: dict[str, Any]) -> list[dict[str, Any]]:
    return snap["accounts"][ACCOUNT_ID]["global"]["s3"]["buckets"]  # type: ignore[no-any-return]


def test_field_wise_or_of_bucket_and_account() -> None:
    bucket = {"Name": "b", "PublicAccessBlock": {**ALL_OFF, "IgnorePublicAcls": True}}
    account = {"PublicAccessBlock": {**ALL_OFF, "RestrictPublicBuckets": True}}
    [out] = buckets_of(derive(snapshot([bucket], account)))
    assert out["EffectivePublicAccessBlock"] == {
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }


def test_none_counts_as_all_off() -> None:
    [out] = buckets_of(derive(snapshot([{"PublicAccessBlock": None}], {"PublicAccessBlock": None})))
    assert out["EffectivePublicAccessBlock"] == ALL_OFF
    assert "_errors" not in out


def test_account_setting_alone_blocks() -> None:
    account = {"PublicAccessBlock": dict.fromkeys(ALL_OFF, True)}
    [out] = buckets_of(derive(snapshot([{"PublicAccessBlock": None}], account)))
    assert all(out["EffectivePublicAccessBlock"].values())


def test_bucket_input_missing() -> None:
    bucket = {"Name": "b", "_errors": {"PublicAccessBlock": "AccessDenied"}}
    [out] = buckets_of(derive(snapshot([bucket], {"PublicAccessBlock": None})))
    assert "EffectivePublicAccessBlock" not in out
    reason = out["_errors"]["EffectivePublicAccessBlock"]
    assert "bucket PublicAccessBlock" in reason and "AccessDenied" in reason
    assert out["_errors"]["PublicAccessBlock"] == "AccessDenied"


def test_account_input_missing() -> None:
    account = {"_errors": {"PublicAccessBlock": "AccessDenied"}}
    [out] = buckets_of(derive(snapshot([{"PublicAccessBlock": None}], account)))
    assert "EffectivePublicAccessBlock" not in out
    reason = out["_errors"]["EffectivePublicAccessBlock"]
    assert reason == "account PublicAccessBlock not collected: AccessDenied"


def test_account_collection_missing_and_bucket_missing() -> None:
    [out] = buckets_of(derive(snapshot([{"_errors": {"PublicAccessBlock": "Throttling"}}], None)))
    reason = out["_errors"]["EffectivePublicAccessBlock"]
    assert "bucket PublicAccessBlock not collected: Throttling" in reason
    assert "account PublicAccessBlock not collected" in reason


def test_input_is_not_modified_and_derive_is_repeatable() -> None:
    snap = snapshot([{"PublicAccessBlock": None}], {"PublicAccessBlock": None})
    before = copy.deepcopy(snap)
    once = derive(snap)
    assert snap == before
    assert derive(once) == once


def test_stale_derived_value_is_replaced_by_the_reason() -> None:
    snap = snapshot([{"PublicAccessBlock": None}], {"PublicAccessBlock": None})
    stale = derive(snap)
    s3 = stale["accounts"][ACCOUNT_ID]["global"]["s3"]
    s3["account"] = {"_errors": {"PublicAccessBlock": "AccessDenied"}}
    [out] = buckets_of(derive(stale))
    assert "EffectivePublicAccessBlock" not in out and "EffectivePublicAccessBlock" in out["_errors"]


def test_snapshots_without_s3_pass_through() -> None:
    snap = {"accounts": {ACCOUNT_ID: {"global": {}, "regions": {}}}}
    assert derive(snap) == snap
    failed = {"accounts": {ACCOUNT_ID: {"global": {"s3": {"_errors": {"buckets": "AccessDenied"}}}}}}
    assert derive(failed) == failed
    assert derive({}) == {}
