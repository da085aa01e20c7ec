"""macie2 collector: whether Amazon Macie runs in the region (one GetMacieSession call).

When Macie is off, AWS answers GetMacieSession with AccessDeniedException ("Macie is not
enabled"), the same code as a missing permission; the error code is all we may classify by, so
both are stored as None, "not enabled", and the check's message names both causes. moto answers
ResourceNotFoundException instead, which means the same.
"""

from __future__ import annotations

from awsaudit.collect._call import Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("session",)
ACTIONS: tuple[str, ...] = ("macie2:GetMacieSession",)

NOT_ENABLED = frozenset({"AccessDeniedException", "ResourceNotFoundException"})


def collect(ctx: Context) -> Json:
    session: Json = {"_arn": ctx.arn("macie2", "session")}
    call(ctx, ctx.client("macie2"), "get_macie_session", into=session, key="MacieSession",
         resource=session["_arn"], unset=NOT_ENABLED)
    return {"session": session}
