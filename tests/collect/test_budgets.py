"""budgets collector against moto: budgets with their notifications, denied calls, evaluation."""

from __future__ import annotations

from collections.abc import Callable

import boto3
import pytest

from awsaudit.checks import evaluate
from awsaudit.checks.account.structure import budgets_budget_with_notification
from awsaudit.collect import budgets
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT

ALERT: Json = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
               "ThresholdType": "PERCENTAGE"}


@pytest.fixture
def client(session: boto3.Session) -> object:
    return session.client("budgets")


def make_budget(client: object, name: str, *, alert: bool) -> None:
    notifications = [{"Notification": ALERT, "Subscribers": [
        {"SubscriptionType": "EMAIL", "Address": "finance@acme.example"}]}] if alert else []
    client.create_budget(  # type: ignore[attr-defined]
        AccountId=ACCOUNT,
        Budget={"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": "1000", "Unit": "USD"}},
        NotificationsWithSubscribers=notifications)


def test_budgets_carry_their_notifications(ctx: Context, client: object) -> None:
    make_budget(client, "monthly", alert=True)
    make_budget(client, "sandbox", alert=False)

    got = {b["BudgetName"]: b for b in budgets.collect(ctx)["budgets"]}

    assert got["monthly"]["_arn"] == f"arn:aws:budgets::{ACCOUNT}:budget/monthly"
    assert [n["NotificationType"] for n in got["monthly"]["Notifications"]] == ["ACTUAL"]
    assert got["sandbox"]["Notifications"] == []
    assert ctx.errors == []


def test_no_budget(ctx: Context) -> None:
    assert budgets.collect(ctx) == {"budgets": []}


def test_denied_notifications_leave_only_that_key_absent(ctx: Context, client: object,
                                                         deny: Callable[..., None]) -> None:
    make_budget(client, "monthly", alert=True)
    deny("DescribeNotificationsForBudget")

    (budget,) = budgets.collect(ctx)["budgets"]

    assert "Notifications" not in budget
    assert budget["_errors"] == {"Notifications": "AccessDenied"}
    assert ctx.errors[0]["operation"] == "DescribeNotificationsForBudget"
    assert ctx.errors[0]["resource"] == f"arn:aws:budgets::{ACCOUNT}:budget/monthly"


def test_denied_listing_leaves_budgets_absent(ctx: Context, deny: Callable[..., None]) -> None:
    deny("DescribeBudgets")

    data = budgets.collect(ctx)

    assert data == {"_errors": {"budgets": "AccessDenied"}}
    assert [(e["service"], e["operation"]) for e in ctx.errors] == [("budgets", "DescribeBudgets")]


def test_collected_budgets_evaluate(ctx: Context, client: object) -> None:
    make_budget(client, "sandbox", alert=False)
    no_alert = {"account_id": ACCOUNT, "global": {"budgets": budgets.collect(ctx)}}
    make_budget(client, "monthly", alert=True)
    alert = {"account_id": ACCOUNT, "global": {"budgets": budgets.collect(ctx)}}

    statuses = [f.status for snap in (no_alert, alert)
                for f in evaluate({"accounts": {ACCOUNT: snap}}, [budgets_budget_with_notification])]

    assert statuses == [Status.FAIL, Status.PASS]
