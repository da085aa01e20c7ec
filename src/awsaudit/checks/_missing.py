"""Missing and need(): how a check reads data it may not have.

A key absent from a resource means the collector could not read it (the reason sits in the
resource's `_errors`, or under `"*"` when the whole collector crashed); `None` means AWS
answered "not configured". need() returns the value or raises Missing with that reason, and the
engine turns Missing into UNKNOWN: a check can never PASS past a gap in the data.
"""

from __future__ import annotations

from typing import Any

from awsaudit.model import Json


class Missing(Exception):  # noqa: N818 - it is a signal, not an error
    """Data the check needs was not collected (AccessDenied, throttled, region off)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key} not collected: {reason}")
        self.key = key
        self.reason = reason


def reason(data: Any, key: str) -> str:
    """Why `data[key]` is absent: the code recorded for the key, else the code of a collector that
    crashed before it (`"*"`), else "not collected"."""
    errors = data.get("_errors") if isinstance(data, dict) else None
    if not isinstance(errors, dict):
        errors = {}
    return str(errors.get(key) or errors.get("*") or "not collected")


def need(resource: Json, key: str, *kinds: type) -> Any:
    """Return resource[key]; raise Missing (with the recorded reason) if it was not collected.

    `None` is a real answer ("AWS says: not configured") and is returned as is. With `kinds`,
    any other value must be of one of them (`bool` means a real boolean): a client's snapshot
    may say `"LogFileValidationEnabled": "x"`, which is truthy, and must not read as PASS.
    """
    if isinstance(resource, dict) and key in resource:
        return typed(resource[key], key, *kinds)
    if not isinstance(resource, dict):
        raise Missing(key, f"malformed data: expected an object, got {type(resource).__name__}")
    raise Missing(key, reason(resource, key))


def typed(value: Any, key: str, *kinds: type) -> Any:
    """`value` if it is None or of one of `kinds` (none given: anything); else Missing (malformed)."""
    if not kinds or value is None:
        return value
    fits = any(
        type(value) is bool if kind is bool else isinstance(value, kind) and not isinstance(value, bool)
        for kind in kinds
    )
    if not fits:
        expected = " or ".join(kind.__name__ for kind in kinds)
        raise Missing(key, f"malformed data: expected {expected}, got {type(value).__name__}")
    return value
