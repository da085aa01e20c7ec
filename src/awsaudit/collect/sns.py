"""SNS collector: the region's topics and all their subscriptions, two paginated listings.

ListSubscriptions returns every subscription of the region in bulk, so no per-topic call is
needed. A subscription not yet confirmed shows "PendingConfirmation" instead of an ARN: it
delivers nothing, which is why the alarm checks count only confirmed ones. ListSubscriptions lists
the subscriptions this account owns; a subscription that another account created to one of our
topics is listed in that account (see
https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptions.html).
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("topics", "subscriptions")
ACTIONS: tuple[str, ...] = ("sns:ListSubscriptions", "sns:ListTopics")


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("sns")
    data: Json = {}
    topics = call(ctx, client, "list_topics", into=data, key="topics", paginate="Topics")
    if topics is not ABSENT:
        for topic in topics:
            topic["_arn"] = topic["TopicArn"]
    subscriptions = call(ctx, client, "list_subscriptions", into=data, key="subscriptions",
                         paginate="Subscriptions")
    if subscriptions is not ABSENT:
        for subscription in subscriptions:
            arn = str(subscription.get("SubscriptionArn", ""))
            # An unconfirmed subscription has no ARN yet: it is identified by its topic.
            subscription["_arn"] = arn if arn.startswith("arn:") else subscription["TopicArn"]
    return data
