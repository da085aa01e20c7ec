"""Pure enrichments of a loaded snapshot: facts that need more than one resource to state.

They run after collection or loading and before evaluation, so that a check still sees one
resource. Absent in, absent out: a derived key is set only when all of its inputs were collected;
otherwise it is left absent and `_errors` says which input was missing and why.
"""

from __future__ import annotations

from collections.abc import Mapping

from awsaudit.model import Json

BLOCK_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
EFFECTIVE = "EffectivePublicAccessBlock"


def derive(snapshot: Json) -> Json:
    """A copy of `snapshot` with the derived fields added; the input is not modified.

    Only the dicts on the path to a changed resource are copied; the rest is shared.
    """
    if not isinstance(snapshot.get("accounts"), dict):
        return dict(snapshot)
    accounts = {account_id: _account(account) for account_id, account in snapshot["accounts"].items()}
    return {**snapshot, "accounts": accounts}


def _account(account: Json) -> Json:
    s3 = account.get("global", {}).get("s3")
    if not isinstance(s3, dict) or not isinstance(s3.get("buckets"), list):
        return account
    account_block, account_reason = _account_block(s3)
    buckets = [_effective_block(bucket, account_block, account_reason) for bucket in s3["buckets"]]
    return {**account, "global": {**account["global"], "s3": {**s3, "buckets": buckets}}}


def _account_block(s3: Json) -> tuple[Json | None, str]:
    """The account's Block Public Access (None: not configured), or the reason it is unknown."""
    doc = s3.get("account")
    if not isinstance(doc, dict):
        reason = (s3.get("_errors") or {}).get("account", "not collected")
        return None, f"account PublicAccessBlock not collected: s3.account {reason}"
    if "PublicAccessBlock" not in doc:
        reason = (doc.get("_errors") or {}).get("PublicAccessBlock", "not collected")
        return None, f"account PublicAccessBlock not collected: {reason}"
    if not _block_shaped(doc["PublicAccessBlock"]):
        return None, f"account PublicAccessBlock malformed: {type(doc['PublicAccessBlock']).__name__}"
    return doc["PublicAccessBlock"], ""


def _block_shaped(value: object) -> bool:
    """A Block Public Access configuration (a client's snapshot may hold anything here)."""
    return value is None or isinstance(value, dict)


def _effective_block(bucket: Json, account_block: Json | None, account_reason: str) -> Json:
    """Bucket and account settings combined field by field: S3 applies the most restrictive of the two.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
    """
    out = {k: v for k, v in bucket.items() if k != EFFECTIVE}
    recorded = bucket.get("_errors")
    errors = {k: v for k, v in (recorded if isinstance(recorded, dict) else {}).items() if k != EFFECTIVE}
    reasons = []
    if "PublicAccessBlock" not in bucket:
        reason = errors.get("PublicAccessBlock", "not collected")
        reasons.append(f"bucket PublicAccessBlock not collected: {reason}")
    elif not _block_shaped(bucket["PublicAccessBlock"]):
        reasons.append(f"bucket PublicAccessBlock malformed: {type(bucket['PublicAccessBlock']).__name__}")
    if account_reason:
        reasons.append(account_reason)
    if reasons:
        errors[EFFECTIVE] = "; ".join(reasons)
    else:
        own = bucket["PublicAccessBlock"] or {}  # None: not configured, every flag off
        account = account_block or {}
        out[EFFECTIVE] = {f: bool(own.get(f)) or bool(account.get(f)) for f in BLOCK_FIELDS}
    if errors:
        out["_errors"] = errors
    else:
        out.pop("_errors", None)
    return out


PREVIOUS = "_previous"


def with_previous(account: Json, scanned_at: str, buckets: Mapping[str, Json]) -> Json:
    """A copy of one account document whose buckets carry `_previous`: how the history store
    saw them at the previous scan ({ARN: configuration} in `buckets`, collected at `scanned_at`).

    The store is read by the CLI, not here: checks stay pure functions of the document. A bucket
    absent from `buckets` is new since that scan and gets nothing (UNKNOWN: no previous scan).
    """
    s3 = account.get("global", {}).get("s3")
    if not isinstance(s3, dict) or not isinstance(s3.get("buckets"), list):
        return account
    out = []
    for bucket in s3["buckets"]:
        config = buckets.get(str(bucket.get("_arn"))) if isinstance(bucket, dict) else None
        out.append({**bucket, PREVIOUS: {"scanned_at": scanned_at, "configuration": config}}
                   if config is not None else bucket)
    return {**account, "global": {**account["global"], "s3": {**s3, "buckets": out}}}
