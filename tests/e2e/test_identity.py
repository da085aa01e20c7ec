"""Findings keep their identity: fingerprints are stable and unique, messages do not drift daily."""

from __future__ import annotations

import copy
import datetime as dt
import sys
import time
import types
from collections import Counter
from typing import Any

import pytest

from awsaudit.checks import evaluate
from awsaudit.model import Finding
from tests.report.hostile import hostile_snapshot


def duplicates(findings: list[Finding]) -> dict[str, list[str]]:
    """{check id: [resources]} of the findings that share a fingerprint with another."""
    counts = Counter(f.fingerprint for f in findings)
    found: dict[str, list[str]] = {}
    for f in findings:
        if counts[f.fingerprint] > 1:
            found.setdefault(f.check_id, []).append(f"{f.account} {f.region} {f.resource}")
    return found


@pytest.mark.parametrize("source", ["demo", "hostile"])
def test_fingerprints_are_unique_within_a_scan(source: str, demo_snapshot: dict[str, Any]) -> None:
    """Two findings of one (check, account, region, resource) are a bug of that check: it names them."""
    snap = demo_snapshot if source == "demo" else hostile_snapshot()
    findings = evaluate(snap)
    assert len(findings) > 50
    assert duplicates(findings) == {}, "checks emitting several findings for one resource"


def test_duplicates_are_caught() -> None:
    """The guard itself: a check that files two results on one resource is reported by id."""
    one = evaluate(hostile_snapshot())[0]
    assert duplicates([one, one]) == {one.check_id: [f"{one.account} {one.region} {one.resource}"] * 2}


def test_same_snapshot_same_identity(demo_snapshot: dict[str, Any]) -> None:
    first, second = evaluate(demo_snapshot), evaluate(copy.deepcopy(demo_snapshot))
    assert [(f.fingerprint, f.evidence_hash) for f in first] == [
        (f.fingerprint, f.evidence_hash) for f in second
    ]


def test_different_resources_of_one_check_differ(demo_snapshot: dict[str, Any]) -> None:
    by_check: dict[str, list[Finding]] = {}
    for f in evaluate(demo_snapshot):
        by_check.setdefault(f.check_id, []).append(f)
    several = {cid: fs for cid, fs in by_check.items() if len({f.resource for f in fs}) > 1}
    assert several, "the demo has checks over several resources"
    for fs in several.values():
        # The organization is a resource of every account's checks: the account tells them apart.
        assert len({f.fingerprint for f in fs}) == len({(f.account, f.region, f.resource) for f in fs})


def test_fingerprint_ignores_status_message_and_evidence() -> None:
    """Fixing, muting or re-wording a finding keeps its identity; only the evidence hash follows the data."""
    f = evaluate(hostile_snapshot())[0]
    import dataclasses  # noqa: PLC0415

    changed = dataclasses.replace(f, message="other words", evidence={"changed": True})
    assert changed.fingerprint == f.fingerprint
    assert changed.evidence_hash != f.evidence_hash
    moved = dataclasses.replace(f, region="ap-south-2")
    assert moved.fingerprint != f.fingerprint


class _Later(dt.datetime):
    """datetime whose now() is 30 days ahead of the real clock."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Any:  # type: ignore[override]
        return dt.datetime.now(tz) + dt.timedelta(days=30)

    @classmethod
    def utcnow(cls) -> Any:  # type: ignore[override]
        return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=30)

    @classmethod
    def today(cls) -> Any:  # type: ignore[override]
        return cls.now()


def _move_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every awsaudit module sees a clock 30 days later (datetime.now, date.today, time.time)."""
    later_date = type("_LaterDate", (dt.date,), {"today": classmethod(lambda cls: _Later.now().date())})
    shim = types.SimpleNamespace(**{**vars(dt), "datetime": _Later, "date": later_date})
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 30 * 86400)
    for name, module in list(sys.modules.items()):
        if not name.startswith("awsaudit") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if value is dt:
                monkeypatch.setattr(module, attr, shim)
            elif value is dt.datetime:
                monkeypatch.setattr(module, attr, _Later)
            elif value is dt.date:
                monkeypatch.setattr(module, attr, later_date)


def test_wall_clock_30_days_later_changes_nothing(
    demo_snapshot: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = [f.to_json() for f in evaluate(demo_snapshot)]
    _move_wall_clock(monkeypatch)
    assert dt.datetime.now(dt.UTC) - _Later.now(dt.UTC) < dt.timedelta(days=-29)
    after = [f.to_json() for f in evaluate(demo_snapshot)]
    assert after == before


def _shift(snap: dict[str, Any], days: int) -> dict[str, Any]:
    """The same configuration, collected `days` later: every collection time moves, nothing else."""
    shifted = copy.deepcopy(snap)

    def later(value: str) -> str:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment + dt.timedelta(days=days)).isoformat()

    shifted["collected_at"] = later(shifted["collected_at"])
    for account in shifted["accounts"].values():
        iam = account.get("global", {}).get("iam", {}).get("account", {})
        if "_collected_at" in iam:
            iam["_collected_at"] = later(iam["_collected_at"])
    return shifted


def test_reaudit_next_day_gives_the_same_messages(demo_snapshot: dict[str, Any]) -> None:
    """Messages name dates and thresholds, not ages: a day later, a result that did not change
    status reads exactly the same and keeps its evidence hash."""
    today = {f.fingerprint: f for f in evaluate(demo_snapshot)}
    tomorrow = {f.fingerprint: f for f in evaluate(_shift(demo_snapshot, 1))}
    assert today.keys() == tomorrow.keys()
    drifted = [
        (f.check_id, f.message, tomorrow[k].message)
        for k, f in today.items()
        if f.status is tomorrow[k].status
        and (f.message != tomorrow[k].message or f.evidence_hash != tomorrow[k].evidence_hash)
    ]
    assert drifted == []
