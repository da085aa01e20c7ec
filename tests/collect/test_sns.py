"""sns collector: topics and subscriptions in bulk (moto), pending subscriptions (Stubber), denials."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.stub import Stubber

from awsaudit.collect import sns
from awsaudit.collect._call import Context
from tests.conftest import ACCOUNT, REGION


def test_topics_and_subscriptions(ctx: Context, session: boto3.Session) -> None:
    client = session.client("sns", region_name=REGION)
    topics = [client.create_topic(Name=name)["TopicArn"] for name in ("acme-security-alerts", "acme-deploys")]
    queue = session.client("sqs", region_name=REGION).create_queue(QueueName="acme-alerts")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-alerts"
    assert queue.endswith("acme-alerts")
    client.subscribe(TopicArn=topics[0], Protocol="email", Endpoint="security@acme.example")
    client.subscribe(TopicArn=topics[0], Protocol="sqs", Endpoint=queue_arn)

    data = sns.collect(ctx)

    assert sorted(t["TopicArn"] for t in data["topics"]) == sorted(topics)
    assert all(t["_arn"] == t["TopicArn"] for t in data["topics"])
    subscriptions = {s["Protocol"]: s for s in data["subscriptions"]}
    assert set(subscriptions) == {"email", "sqs"}
    email = subscriptions["email"]
    assert email["TopicArn"] == topics[0]
    assert email["Endpoint"] == "security@acme.example"
    # moto confirms every subscription at once (email included): it has an ARN, never "PendingConfirmation".
    assert email["SubscriptionArn"].startswith(f"{topics[0]}:")
    assert email["_arn"] == email["SubscriptionArn"]
    assert ctx.errors == []


def test_pages_and_a_pending_subscription(ctx: Context) -> None:
    """moto cannot leave a subscription pending; AWS shows "PendingConfirmation" in place of the ARN."""
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-security-alerts"
    other = f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-deploys"
    client: Any = ctx.client("sns")
    with Stubber(client) as stub:
        stub.add_response("list_topics", {"Topics": [{"TopicArn": topic}], "NextToken": "t2"})
        stub.add_response("list_topics", {"Topics": [{"TopicArn": other}]}, {"NextToken": "t2"})
        for _ in (topic, other):  # one GetTopicAttributes per topic (same answer: order does not matter)
            stub.add_response("get_topic_attributes", {"Attributes": {"SubscriptionsConfirmed": "1"}})
        stub.add_response("list_subscriptions", {"Subscriptions": [
            {"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "email",
             "Endpoint": "oncall@acme.example", "TopicArn": topic}], "NextToken": "page-2"})
        stub.add_response("list_subscriptions", {"Subscriptions": [
            {"SubscriptionArn": f"{topic}:1b2c", "Owner": ACCOUNT, "Protocol": "sqs",
             "Endpoint": f"arn:aws:sqs:{REGION}:{ACCOUNT}:alerts", "TopicArn": topic}]},
            {"NextToken": "page-2"})
        data = sns.collect(ctx)

    assert [t["TopicArn"] for t in data["topics"]] == [topic, other]
    assert [t["Attributes"] for t in data["topics"]] == [{"SubscriptionsConfirmed": "1"}] * 2
    assert ctx.errors == []
    pending, confirmed = data["subscriptions"]
    assert (pending["SubscriptionArn"], pending["_arn"]) == ("PendingConfirmation", topic)
    assert confirmed["_arn"] == f"{topic}:1b2c"


def test_denied_subscriptions_leave_only_that_collection_absent(ctx: Context, session: boto3.Session,
                                                                deny: Callable[..., None]) -> None:
    session.client("sns", region_name=REGION).create_topic(Name="acme-security-alerts")
    deny("ListSubscriptions")

    data = sns.collect(ctx)

    assert [t["TopicArn"].rsplit(":", 1)[-1] for t in data["topics"]] == ["acme-security-alerts"]
    assert "subscriptions" not in data
    assert data["_errors"] == {"subscriptions": "AccessDenied"}
    assert [(e["service"], e["operation"], e["code"]) for e in ctx.errors] == [
        ("sns", "ListSubscriptions", "AccessDenied")]


def test_topic_attributes_give_the_policy_and_confirmed_count(ctx: Context, session: boto3.Session) -> None:
    client = session.client("sns", region_name=REGION)
    arn = client.create_topic(Name="acme-security-alerts")["TopicArn"]
    policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"Service":'
              '"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"' + arn + '"}]}')
    client.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)

    (topic,) = sns.collect(ctx)["topics"]

    assert '"cloudwatch.amazonaws.com"' in topic["Attributes"]["Policy"]
    assert topic["Attributes"]["SubscriptionsConfirmed"] == "0"
    assert ctx.errors == []


def test_denied_topic_attributes_are_recorded_on_the_topic(ctx: Context, session: boto3.Session,
                                                           deny: Callable[..., None]) -> None:
    session.client("sns", region_name=REGION).create_topic(Name="acme-security-alerts")
    deny("GetTopicAttributes")

    (topic,) = sns.collect(ctx)["topics"]

    assert "Attributes" not in topic and topic["_errors"] == {"Attributes": "AccessDenied"}
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [("GetTopicAttributes", "AccessDenied")]
