"""Lambda and SQS collectors against moto: functions for ACCT-2, queue policies for CIS 2.21."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import boto3

from awsaudit.checks import evaluate
from awsaudit.checks.iam.access import iam_resource_policies_no_public_principal
from awsaudit.collect import awslambda, sqs
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT, REGION

PUBLIC = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_functions_are_listed_with_their_arn(ctx: Context, session: boto3.Session) -> None:
    role = session.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    session.client("lambda", region_name=REGION).create_function(
        FunctionName="acme-billing-export", Runtime="python3.11", Role=role["Role"]["Arn"],
        Handler="handler.handler", Code={"ZipFile": _zip()})

    data = awslambda.collect(ctx)

    [function] = data["functions"]
    assert function["_arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:acme-billing-export"


def test_queue_policies_feed_the_public_resource_policy_check(ctx: Context, session: boto3.Session) -> None:
    client = session.client("sqs", region_name=REGION)
    client.create_queue(QueueName="acme-orders")
    client.create_queue(QueueName="acme-webhooks", Attributes={"Policy": json.dumps(PUBLIC)})

    data = sqs.collect(ctx)

    queues = {q["QueueName"]: q for q in data["queues"]}
    assert queues["acme-orders"]["Policy"] is None
    assert json.loads(queues["acme-webhooks"]["Policy"]) == PUBLIC
    account = {"account_id": ACCOUNT, "_arn": f"arn:aws:iam::{ACCOUNT}:root",
               "global": {"s3": {"buckets": []}}, "regions": {REGION: {"sqs": data}}}
    findings = evaluate({"accounts": {ACCOUNT: account}}, [iam_resource_policies_no_public_principal])
    assert [(f.status, f.resource) for f in findings] == [
        (Status.FAIL, f"arn:aws:iam::{ACCOUNT}:root"),
        (Status.FAIL, f"arn:aws:sqs:{REGION}:{ACCOUNT}:acme-webhooks")]


def test_denied_queue_attributes_leave_the_policy_unknown(
    ctx: Context, session: boto3.Session, deny: Callable[..., None]
) -> None:
    session.client("sqs", region_name=REGION).create_queue(QueueName="acme-orders")
    deny("GetQueueAttributes")

    [queue] = sqs.collect(ctx)["queues"]

    assert "Policy" not in queue and queue["_errors"]["Policy"] == "AccessDenied"
    account = {"account_id": ACCOUNT, "global": {"s3": {"buckets": []}}, "regions": {REGION: {"sqs": {
        "queues": [queue]}}}}
    [finding] = evaluate({"accounts": {ACCOUNT: account}}, [iam_resource_policies_no_public_principal])
    assert finding.status is Status.UNKNOWN
