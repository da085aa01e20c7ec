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
from collections.abc import Callable
from dataclasses import dataclass

from awsaudit.checks._missing import Missing, need, reason, typed
from awsaudit.checks._view import AccountView
from awsaudit.model import Json, Objective, Outcome, Remediation, Severity, Status
from awsaudit.settings import DEFAULTS, Settings

__all__ = ["ACCOUNT", "REGISTRY", "Check", "Missing", "check", "need", "reason", "typed", "worst"]
"""Missing, need and reason live in _missing (the view uses them too); checks import them here."""

log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
ACCOUNT = "account"
"""`over=ACCOUNT`: the check runs once per account on the account document."""

CheckFunc = Callable[..., "Outcome | list[Outcome]"]


EXTRA_PARAMETERS = ("account", "settings", "view", "now")
"""Besides the resource, a check may ask for these by parameter name: the account document, the
tunables, the account view (collections across regions, per-account models), and `now`.

`now` is the instant the snapshot describes (its `collected_at`, an aware datetime), or None
when the snapshot does not say: ages are measured to it, never to the wall clock, so the same
snapshot gives the same findings whenever it is evaluated.
"""

_WORST = (Status.FAIL, Status.UNKNOWN, Status.MANUAL, Status.PASS, Status.MUTED)


def worst(outcomes: list[Outcome]) -> Outcome:
    """The outcome that decides a control: any FAIL, else any UNKNOWN, else MANUAL, else PASS."""
    return min(outcomes, key=lambda o: _WORST.index(o.status))


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

    def run(self, resource: Json, view: AccountView, settings: Settings | None = None) -> list[Outcome]:
        """Run the check; missing data becomes UNKNOWN, never PASS. A check that reports each
        offender returns several outcomes, each naming its resource."""
        available = {"account": view.doc, "settings": settings or DEFAULTS, "view": view,
                     "now": view.collected_at}
        try:
            result = self.func(resource, **{name: available[name] for name in self.extras})
        except Missing as missing:
            return [Outcome(Status.UNKNOWN, str(missing))]
        if isinstance(result, Outcome):
            return [result]
        if not result:
            raise ValueError(f"check {self.id} returned no outcome")
        return list(result)

    def evaluate(
        self,
        resource: Json,
        account: Json | AccountView | None = None,
        settings: Settings | None = None,
        now: dt.datetime | None = None,
    ) -> Outcome:
        """The deciding outcome (see worst()) of run(): what tests and single-resource callers want."""
        if not account and self.over == ACCOUNT:
            account = resource  # an account-wide check's resource is the account itself
        view = AccountView.of(account if account is not None else {}, now)
        return worst(self.run(resource, view, settings))

    @property
    def area(self) -> str:
        """How reports group the check (iam, network, s3 ...): the area package its module is in
        (awsaudit.checks.<area>.<module>)."""
        parts = self.func.__module__.split(".")
        return parts[2] if len(parts) > 3 and parts[:2] == ["awsaudit", "checks"] else parts[-1]

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
