"""Reading IAM data shared by the IAM check modules: credential report cells and the snapshot's time.

Credential report cells are strings: "true"/"false", ISO 8601 dates, and placeholders for "no
date" ("N/A", "no_information", "not_supported"). Anything else is unclear, and a check that
meets it says UNKNOWN instead of guessing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from awsaudit.checks._registry import Missing, need
from awsaudit.model import Json, instant

TRUE, FALSE = "true", "false"
NO_DATE = frozenset({"N/A", "no_information", "not_supported"})
"""N/A: no such credential, or never used; no_information: not used since AWS began tracking
(October 2014) or never; not_supported: the column does not apply (root's password fields)."""


class Unclear(ValueError):  # noqa: N818 - a verdict on a cell, like Missing
    """A cell that is neither a date nor a known placeholder."""


def flag(row: Json, column: str) -> bool | None:
    """A boolean cell; None when it holds anything else (N/A, not_supported, missing)."""
    value = row.get(column)
    return True if value == TRUE else False if value == FALSE else None


def collected(resource: Json, key: str) -> tuple[bool, Any]:
    """(True, value) if the key was collected, else (False, the reason) for a fallback to report."""
    try:
        return True, need(resource, key)
    except Missing as missing:
        return False, missing.reason


def timestamp(value: Any) -> dt.datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are UTC, as AWS means them)."""
    parsed = instant(value)
    if parsed is None:
        raise Unclear(f"not a date: {value!r}")
    return parsed


def cell_date(row: Json, column: str) -> dt.datetime | None:
    """A date cell; None for a "no date" placeholder; Unclear for anything else."""
    value = row.get(column)
    if value in NO_DATE:
        return None
    try:
        return timestamp(value)
    except Unclear:
        raise Unclear(f"{column} is {value!r}") from None


def days_between(earlier: dt.datetime, later: dt.datetime) -> int:
    """Whole days from `earlier` to `later`; never negative (clock skew makes a date "in the future")."""
    return max(0, (later - earlier).days)


def as_of(iam_account: Json) -> dt.datetime:
    """The instant the snapshot describes: when the IAM data was collected (never the wall clock)."""
    value = need(iam_account, "_collected_at")
    try:
        return timestamp(value)
    except Unclear as unclear:
        raise Missing("_collected_at", str(unclear)) from None


def iam_data(account: Json) -> Json:
    """The account document's IAM service data; Missing when IAM was not collected."""
    iam: Json = need(need(account, "global"), "iam")
    return iam


def snapshot_time(account: Json) -> dt.datetime:
    """as_of() reached from the account document (for checks over another IAM collection)."""
    return as_of(need(iam_data(account), "account"))
