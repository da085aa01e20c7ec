"""The demo's queues, as the audit sees them: the partner webhook queue is open to anyone."""

from __future__ import annotations

from typing import Any

from awsaudit.checks import evaluate
from awsaudit.checks.iam.access import iam_resource_policies_no_public_principal
from awsaudit.model import Status
from tests.conftest import ACCOUNT


def test_the_partner_webhook_queue_is_reported_on_its_own(demo_snapshot: dict[str, Any]) -> None:
    findings = [f for f in evaluate(demo_snapshot, [iam_resource_policies_no_public_principal])
                if f.account == ACCOUNT]  # Acme's management account, where the queue is
    summary, *offenders = findings
    assert summary.status is Status.FAIL
    queues = {f.resource.rsplit(":", 1)[1] for f in offenders if ":sqs:" in f.resource}
    assert queues == {"acme-partner-webhooks"}
    assert all(f.status is Status.FAIL for f in offenders)
