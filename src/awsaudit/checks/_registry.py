"""The @check decorator, the registry it fills, and need(): how a check reads data safely.

A check is a pure function of one resource (and optionally the account document).
It reads optional data only through need(), which raises Missing when the collector
could not fetch it; the Check wrapper turns that into UNKNOWN with the reason, so a
check can never PASS past a gap in the data.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, Status
from awsaudit.settings import DEFAULTS, Settings

log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
ACCOUNT = "account"
"""`over=ACCOUNT`: the check runs once per account on the account document."""

CheckFunc = Callable[..., Outcome]


class Missing(Exception):  # noqa: N818 - it is a signal, not an error
    """Data the check needs was not collected (AccessDenied, throttled, region off)."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key} not collected: {reason}")
        self.key = key
        self.reason = reason


def need(resource: Json, key: str) -> Any:
    """Return resource[key]; raise Missing (with the recorded reason) if it was not collected.

    `None` is a real answer ("AWS says: not configured") and is returned as is.
    """
    if key in resource:
        return resource[key]
    reason = (resource.get("_errors") or {}).get(key, "not collected")
    raise Missing(key, str(reason))


EXTRA_PARAMETERS = ("account", "settings", "now")
"""Besides the resource, a check may ask for these by parameter name.

`now` is the instant the snapshot describes (its `collected_at`, an aware datetime), or None
when the snapshot does not say: ages are measured to it, never to the wall clock, so the same
snapshot gives the same findings whenever it is evaluated.
"""


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    title: str
    severity: Severity
    objective: Objective
    over: str
    rationale: str
    remediation: Remediation
    func: CheckFunc
    extras: tuple[str, ...]

    def evaluate(
        self,
        resource: Json,
        account: Json | None = None,
        settings: Settings | None = None,
        now: dt.datetime | None = None,
    ) -> Outcome:
        """Run the check; missing data becomes UNKNOWN, never PASS."""
        available = {
            "account": account if account is not None else {},
            "settings": settings or DEFAULTS,
            "now": now,
        }
        try:
            return self.func(resource, **{name: available[name] for name in self.extras})
        except Missing as missing:
            return Outcome(Status.UNKNOWN, str(missing))

    @property
    def area(self) -> str:
        """How reports group the check (iam, network, s3 ...): its module's AREA, else the module name."""
        module = sys.modules.get(self.func.__module__)
        return str(getattr(module, "AREA", self.func.__module__.rsplit(".", 1)[-1]))

    @property
    def service(self) -> str:
        return self.over.split(".", 1)[0]


REGISTRY: dict[str, Check] = {}


def check(
    id: str,
    *,
    title: str,
    severity: Severity,
    objective: Objective,
    over: str,
    remediation: Remediation | None = None,
) -> Callable[[CheckFunc], Check]:
    """Register a check. The docstring of the function is its rationale."""

    def register(func: CheckFunc) -> Check:
        if not _ID.match(id) or id != func.__name__:
            raise ValueError(f"check id {id!r} must be snake_case and equal the function name")
        if id in REGISTRY:
            raise ValueError(f"duplicate check id {id!r}")
        if over != ACCOUNT and over.count(".") != 1:
            raise ValueError(f"check {id!r}: over={over!r} must be 'account' or 'service.collection'")
        names = list(inspect.signature(func).parameters)[1:]
        if unknown := [n for n in names if n not in EXTRA_PARAMETERS]:
            raise ValueError(f"check {id!r}: parameters {unknown} must be among {EXTRA_PARAMETERS}")
        REGISTRY[id] = Check(
            id,
            title,
            severity,
            objective,
            over,
            inspect.cleandoc(func.__doc__ or ""),
            remediation or Remediation(),
            func,
            tuple(names),
        )
        return REGISTRY[id]

    return register
