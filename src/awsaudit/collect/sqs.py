"""SQS collector: the region's queues and their access policies (CIS 2.21: no resource policy open
to everyone).

ListQueues gives URLs only; the policy is one GetQueueAttributes per queue, on `ctx.each`. A queue
whose attributes hold no `Policy` has none: stored as `None` ("not configured"), as for buckets.
"""

from __future__ import annotations

from typing import Any

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json

SCOPE = "regional"
PRODUCES: tuple[str, ...] = ("queues",)
ACTIONS: tuple[str, ...] = ("sqs:ListQueues", "sqs:GetQueueAttributes")


def _queue(ctx: Context, client: Any, url: str) -> Json:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    queue: Json = {"QueueUrl": url, "QueueName": name, "_arn": ctx.arn("sqs", name)}
    attributes = call(ctx, client, "get_queue_attributes", into=queue, key="Attributes",
                      resource=queue["_arn"], select="Attributes", QueueUrl=url,
                      AttributeNames=["Policy", "QueueArn"])
    if attributes is not ABSENT:
        queue["Attributes"] = attributes or {}
        queue["Policy"] = queue["Attributes"].get("Policy")  # absent attribute: no policy
    else:
        queue.setdefault("_errors", {})["Policy"] = queue["_errors"]["Attributes"]
    return queue


def collect(ctx: Context) -> Json:
    client: Any = ctx.client("sqs")
    data: Json = {}
    urls = call(ctx, client, "list_queues", into=data, key="queues", paginate="QueueUrls")
    if urls is not ABSENT:
        data["queues"] = ctx.each(lambda url: _queue(ctx, client, str(url)), urls)
    return data
