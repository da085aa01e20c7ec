"""The read-only guarantee, seen on the wire: every request a whole scan sends is a read-only
operation listed in `awsaudit permissions`, and that list names nothing a scan never sends.

tests/collect/test_permissions.py proves the same per collector at the boto3 layer, in-process
(where the demo answers what moto lacks before any request is made); here every request that
reaches the server counts, including those botocore makes by itself (pagination, retries).
"""

from __future__ import annotations

import re

from awsaudit.collect import required_actions
from tests.faults.conftest import Scan

READ_ONLY = re.compile(r"^[a-z0-9-]+:(List|Get|Describe|View|GenerateCredentialReport$)")


def test_every_request_of_a_scan_is_read_only_and_listed(baseline: Scan) -> None:
    sent = {action for _, _, action in baseline.stats["seen"]}
    listed = set(required_actions())
    print(f"{baseline.stats['requests']} requests, {len(sent)} distinct actions, {len(listed)} listed")
    assert sorted(a for a in sent if not READ_ONLY.match(a)) == []
    assert sorted(sent - listed) == [], "sent but not in `awsaudit permissions`"
    assert sorted(listed - sent) == [], "listed in `awsaudit permissions` but never sent"


def test_the_guard_sees_a_write() -> None:
    """The pattern itself: a write, or an action spelled like a read in the wrong place, fails it."""
    assert not READ_ONLY.match("s3:PutBucketPolicy") and not READ_ONLY.match("iam:CreateUser")
    assert not READ_ONLY.match("ec2:RunInstances") and READ_ONLY.match("iam:GenerateCredentialReport")
