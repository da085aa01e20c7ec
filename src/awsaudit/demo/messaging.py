"""Acme's message queues for `awsaudit demo`: SQS in the home region.

What an audit should find here: the order queue is private (its policy names Acme's own
account). The partner webhook queue was opened to "*" for SendMessage so that a payment
provider could post to it without an IAM role, and nobody added a condition: anyone on the
internet can push messages into Acme's order pipeline (CIS 2.21).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    home = regions[0]
    sqs: Any = session.client("sqs", region_name=home)
    account = session.client("sts", region_name=home).get_caller_identity()["Account"]
    own = {"Version": "2012-10-17", "Statement": [{
        "Sid": "AcmeOnly", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
        "Resource": f"arn:aws:sqs:{home}:{account}:acme-orders"}]}
    sqs.create_queue(QueueName="acme-orders", Attributes={"Policy": json.dumps(own)})
    webhooks = {"Version": "2012-10-17", "Statement": [{
        "Sid": "PaymentProviderWebhooks", "Effect": "Allow", "Principal": "*",
        "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{home}:{account}:acme-partner-webhooks"}]}
    sqs.create_queue(QueueName="acme-partner-webhooks", Attributes={"Policy": json.dumps(webhooks)})
