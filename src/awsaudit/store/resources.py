"""The resources of an account document, each with a fingerprint of its configuration.

A resource is any dict carrying `_arn` below the account's `global` and `regions` sections
(S3 buckets, security groups, IAM users, roles and policies, trails, keys, ...): whatever a
collector gathers, with no list to keep up to date. Its configuration is the dict without the
`_`-prefixed bookkeeping keys (`_arn`, `_region`, `_errors`, `_previous`), read before derive
runs, so derived facts never show up as changes. A read error is still visible: the key it
prevented is absent, and its appearance later is a change.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from awsaudit.model import Json, canonical_json, evidence_hash

GLOBAL = "global"
VOLATILE = frozenset({
    # CloudTrail trail status: delivery and logging timestamps move with every event
    "LatestDeliveryTime", "LatestDeliveryAttemptTime", "LatestDeliveryAttemptSucceeded",
    "LatestNotificationTime", "LatestNotificationAttemptTime", "LatestNotificationAttemptSucceeded",
    "LatestCloudWatchLogsDeliveryTime", "LatestDigestDeliveryTime", "LatestDigestDeliveryAttemptTime",
    "TimeLoggingStarted", "TimeLoggingStopped", "StartLoggingTime", "StopLoggingTime",
    # EFS metered size, RDS point-in-time restore window
    "SizeInBytes", "LatestRestorableTime",
})
"""Keys that are runtime state, not configuration: they change between any two scans and would
bury the real changes. Left out of the fingerprint (the findings still see them)."""


@dataclass(frozen=True, slots=True)
class Resource:
    """One collected resource: where it is, what it is, and its configuration's fingerprint."""

    type: str  # "<service>.<collection>", e.g. "s3.buckets", "ec2.security_groups"
    region: str  # "global" for the account-wide sections
    arn: str
    config: Json

    @property
    def key(self) -> str:
        """The identity of a resource across scans of one account."""
        return "\x1f".join((self.type, self.region, self.arn))

    @property
    def config_hash(self) -> str:
        return config_hash(self.config)


def config_hash(config: Any) -> str:
    """The same 128-bit SHA-256 prefix as a finding's evidence_hash: equal configuration, equal hash."""
    return evidence_hash(config)


def compress(value: Any) -> bytes:
    """Canonical JSON, zlib-compressed: how every blob sits in the store."""
    return zlib.compress(canonical_json(value).encode("utf-8"), 6)


def decompress(data: bytes) -> Any:
    import json  # noqa: PLC0415

    return json.loads(zlib.decompress(data).decode("utf-8"))


def configuration(resource: Json) -> Json:
    """The resource without `_`-prefixed keys (bookkeeping) and VOLATILE ones, at every level."""
    return {k: _strip(v) for k, v in resource.items() if not k.startswith("_") and k not in VOLATILE}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return configuration(value)
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def account_resources(account: Json) -> dict[str, Resource]:
    """Every resource of one account document, by key (the first one wins on a duplicate key)."""
    found: dict[str, Resource] = {}
    sections: list[tuple[str, Any]] = [(GLOBAL, account.get("global"))]
    regions = account.get("regions")
    if isinstance(regions, dict):
        sections += sorted(regions.items())
    for region, section in sections:
        if not isinstance(section, dict):
            continue
        for service, data in sorted(section.items()):
            if not isinstance(data, dict) or service.startswith("_"):
                continue
            for collection, value in sorted(data.items()):
                if collection.startswith("_"):
                    continue
                for item in _items(value):
                    resource = Resource(f"{service}.{collection}", region, str(item["_arn"]),
                                        configuration(item))
                    found.setdefault(resource.key, resource)
    return found


def _items(value: Any) -> Iterator[Json]:
    """The dicts carrying `_arn` in a collection (a list of them, or one), not looking inside them."""
    if isinstance(value, dict):
        if "_arn" in value:
            yield value
        return
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and "_arn" in item:
                yield item
