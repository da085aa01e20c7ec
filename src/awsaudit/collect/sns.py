"""SNS collector: the region's topics with their attributes, and all their subscriptions.

ListSubscriptions returns every subscription of the region in bulk, so no per-topic call is
needed. A subscription not yet confirmed shows "PendingConfirmation" instead of an ARN: it
delivers nothing, which is why the alarm checks count only confirmed ones. ListSubscriptions lists
the subscriptions this account owns; a subscription that another account created to one of our
topics is listed in that account (see
https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptions.html).

GetTopicAttributes (one call per topic, on `ctx.each`) gives the topic's access policy (CIS 2.21:
open to everyone?; the alarm chain: does it deny CloudWatch?) and `SubscriptionsConfirmed`,
which counts the confirmed subscriptions of every account, cross-account ones included.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("topics", "subscriptions")
ACTIONS: tuple[str, ...] = ("sns:GetTopicAttributes", "sns:ListSubscriptions", "sns:ListTopics")


def _attributes(ctx: Context, client: Any, topic: Json) -> None:
    """topic["Attributes"] (the map GetTopicAttributes returns; `Policy` is JSON text), or an error."""
    attributes = call(ctx, client, "get_topic_attributes", into=topic, key="Attributes",
                      resource=topic["TopicArn"], select="Attributes", TopicArn=topic["TopicArn"])
    if attributes is not ABSENT:
        topic["Attributes"] = attributes or {}


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("sns")
    data: Json = {}
    topics = call(ctx, client, "list_topics", into=data, key="topics", paginate="Topics")
    if topics is not ABSENT:
        for topic in topics:
            topic["_arn"] = topic["TopicArn"]
        ctx.each(lambda topic: _attributes(ctx, client, topic), topics)
    subscriptions = call(ctx, client, "list_subscriptions", into=data, key="subscriptions",
                         paginate="Subscriptions")
    if subscriptions is not ABSENT:
        for subscription in subscriptions:
            arn = str(subscription.get("SubscriptionArn", ""))
            # An unconfirmed subscription has no ARN yet: it is identified by its topic.
            subscription["_arn"] = arn if arn.startswith("arn:") else subscription["TopicArn"]
    return data
