"""A bucket the auditor may not read: how the demo shows UNKNOWN honestly.

Acme's HR team locked `acme-hr-records` with a bucket policy that denies every S3 action
to everyone but their own admin role, which is common and correct. A real read-only audit
role then gets AccessDenied on that bucket's configuration, and the audit must say
UNKNOWN for it rather than guess. moto does not enforce bucket policies, so the demo's
scan session enforces this one explicit Deny itself (a botocore event hook that answers
exactly like S3 does), and everything else is collected normally.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

BUCKET = "acme-hr-records"
HR_ADMIN = "acme-hr-admin"


def build(session: boto3.Session, regions: Sequence[str]) -> None:
    account = session.client("sts").get_caller_identity()["Account"]
    s3 = session.client("s3", region_name=regions[0])
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": regions[0]})  # type: ignore[typeddict-item]
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OnlyHrAdmins",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                        "Condition": {
                            "ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{account}:role/{HR_ADMIN}"}
                        },
                    }
                ],
            }
        ),
    )


def _mark(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if params.get("Bucket") == BUCKET:
        context["awsaudit_demo_denied"] = True


def _deny(context: dict[str, Any], model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    if not context.get("awsaudit_demo_denied"):
        return None
    response = AWSResponse(f"https://{BUCKET}.s3.amazonaws.com/", 403, HTTPHeaders(), None)
    return response, {
        "Error": {
            "Code": "AccessDenied",
            "Message": f"Access Denied (explicit deny in {BUCKET}'s bucket policy)",
        },
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }


def enforce(session: boto3.Session) -> None:
    """Make every S3 call on the HR bucket from this session fail as the bucket policy says."""
    session.events.register("before-parameter-build.s3", _mark)
    session.events.register("before-call.s3", _deny)  # type: ignore[arg-type]  # may answer the call
