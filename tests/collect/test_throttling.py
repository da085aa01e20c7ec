"""Throttling: botocore's retry mode absorbs it; when it outlasts the retries, it is recorded, never hidden.

The throttle is injected below the retry layer (a `before-send` answer of HTTP 400
RequestLimitExceeded), so what is tested is the real retry path of the scan's clients.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from awsaudit.checks import evaluate, load_all
from awsaudit.collect import ec2
from awsaudit.collect._call import Context
from awsaudit.model import Status
from tests.conftest import ACCOUNT, REGION

THROTTLED = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
             b"</Message></Error></Errors><RequestID>1</RequestID></Response>")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def throttle(session: boto3.Session, operation: str, times: int) -> list[int]:
    """The first `times` attempts of `operation` answer RequestLimitExceeded; returns the attempt log."""
    attempts: list[int] = []

    def answer(request: Any, **_: Any) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) > times:
            return None
        return AWSResponse(request.url, 400, {}, _Raw(THROTTLED))

    session.events.register_first(f"before-send.ec2.{operation}", answer)
    return attempts


def context(session: boto3.Session, attempts: int) -> Context:
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    return Context(session, ACCOUNT, REGION, config=config)


def test_throttling_within_the_retries_is_absorbed(session: boto3.Session) -> None:
    attempts = throttle(session, "DescribeSecurityGroups", times=2)
    ctx = context(session, attempts=5)
    data = ec2.collect(ctx)
    assert "security_groups" in data and len(attempts) == 3
    assert ctx.errors == []


def test_throttling_beyond_the_retries_is_recorded_and_unknown(session: boto3.Session) -> None:
    attempts = throttle(session, "DescribeSecurityGroups", times=100)
    ctx = context(session, attempts=3)
    data = ec2.collect(ctx)
    assert len(attempts) == 3
    assert "security_groups" not in data and data["_errors"]["security_groups"] == "RequestLimitExceeded"
    assert [(e["operation"], e["code"]) for e in ctx.errors] == [
        ("DescribeSecurityGroups", "RequestLimitExceeded")]
    assert "vpcs" in data  # the other listings are unaffected
    snap = {"accounts": {ACCOUNT: {"global": {}, "regions": {REGION: {"ec2": data}}, "errors": ctx.errors}}}
    checks = [c for c in load_all().values() if c.over == "ec2.security_groups"]
    findings = evaluate(snap, checks)
    assert findings and {f.status for f in findings} == {Status.UNKNOWN}
    assert all("RequestLimitExceeded" in f.message for f in findings)
