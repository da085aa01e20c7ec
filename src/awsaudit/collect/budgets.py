"""budgets collector: the account's AWS Budgets and the notifications each one sends.

A notification always has at least one subscriber: Budgets refuses to create one without, and
deleting the last subscriber deletes the notification
(https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_DeleteSubscriber.html),
so the notifications alone tell whether a budget alerts someone; no per-notification call is needed.
Every Budgets read is authorized by the single IAM action budgets:ViewBudget.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "global"
PRODUCES: tuple[str, ...] = ("budgets",)
ACTIONS: tuple[str, ...] = ("budgets:ViewBudget",)



def collect(ctx: Context) -> Json:
    client = ctx.client("budgets")
    data: Json = {}
    budgets = call(ctx, client, "describe_budgets", into=data, key="budgets", paginate="Budgets",
                   AccountId=ctx.account)
    if budgets is ABSENT or not budgets:
        return data
    data["budgets"] = ctx.each(lambda b: _budget(ctx, client, b), budgets)
    return data


def _budget(ctx: Context, client: Any, budget: Json) -> Json:
    name = budget["BudgetName"]
    budget["_arn"] = f"arn:{ctx.partition}:budgets::{ctx.account}:budget/{name}"
    call(ctx, client, "describe_notifications_for_budget", into=budget, key="Notifications",
         resource=budget["_arn"], paginate="Notifications", AccountId=ctx.account, BudgetName=name)
    return budget
