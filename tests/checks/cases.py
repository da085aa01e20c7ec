"""Case: one row of a table-driven check test."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from awsaudit.checks._registry import Check
from awsaudit.model import Json, Status


@dataclass(frozen=True)
class Case:
    check: Check
    expected: Status
    name: str
    resource: Json
    account: Json = field(default_factory=dict)
    now: dt.datetime | None = None
    """The snapshot's collection time, for checks that measure ages (None: not known)."""

    def run(self) -> Status:
        return self.check.evaluate(self.resource, self.account, now=self.now).status

    @property
    def id(self) -> str:
        return f"{self.check.id}-{self.expected}-{self.name}"
