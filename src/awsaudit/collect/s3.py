"""s3 collector: buckets (with their access, encryption, versioning and logging settings) and the
account-level Block Public Access.

S3 is global for listing, but every bucket lives in one region and answers best from a client in
that region, so each bucket records its `_region` and its follow-up calls go there.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from awsaudit.collect._call import ABSENT, Context, call
from awsaudit.model import Json
from awsaudit.untrusted import limits

SCOPE = "global"
PRODUCES: tuple[str, ...] = ("buckets", "account")



class Part(NamedTuple):
    """One read-only call per bucket and where its answer goes in the bucket document."""

    operation: str  # boto3 method
    key: str  # key in the bucket document
    iam_action: str  # explicit: S3 method names do not map to IAM actions (GetBucketEncryption!)
    unset_codes: frozenset[str]  # error codes meaning "not configured" -> None
    select: str | None = None  # response field to keep; None keeps the whole response
    pointless_without: str | None = None  # a key whose None answer makes this call pointless


NO_POLICY = frozenset({"NoSuchBucketPolicy"})

BUCKET_PARTS = (
    Part("get_bucket_acl", "Acl", "s3:GetBucketAcl", frozenset()),
    Part("get_bucket_policy", "Policy", "s3:GetBucketPolicy", NO_POLICY, "Policy"),
    # No policy, no policy status: S3 would answer NoSuchBucketPolicy again, one call per bucket.
    Part("get_bucket_policy_status", "PolicyStatus", "s3:GetBucketPolicyStatus", NO_POLICY, "PolicyStatus",
         pointless_without="Policy"),
    Part("get_public_access_block", "PublicAccessBlock", "s3:GetBucketPublicAccessBlock",
         frozenset({"NoSuchPublicAccessBlockConfiguration"}), "PublicAccessBlockConfiguration"),
    Part("get_bucket_encryption", "Encryption", "s3:GetEncryptionConfiguration",
         frozenset({"ServerSideEncryptionConfigurationNotFoundError"}), "ServerSideEncryptionConfiguration"),
    Part("get_bucket_versioning", "Versioning", "s3:GetBucketVersioning", frozenset()),
    # No LoggingEnabled in the answer means logging is off: select() then stores None.
    Part("get_bucket_logging", "Logging", "s3:GetBucketLogging", frozenset(), "LoggingEnabled"),
    Part("get_bucket_ownership_controls", "OwnershipControls", "s3:GetBucketOwnershipControls",
         frozenset({"OwnershipControlsNotFoundError"}), "OwnershipControls"),
    # For mutelist tag matching (and the report): NoSuchTagSet is S3's answer for a bucket without tags.
    Part("get_bucket_tagging", "TagSet", "s3:GetBucketTagging", frozenset({"NoSuchTagSet"}), "TagSet"),
)

ACTIONS: tuple[str, ...] = tuple(sorted({
    "s3:ListAllMyBuckets",
    "s3:GetBucketLocation",
    "s3:GetAccountPublicAccessBlock",
    *(part.iam_action for part in BUCKET_PARTS),
}))

# GetBucketLocation answers None for us-east-1 and the legacy "EU" for eu-west-1.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def collect(ctx: Context) -> Json:
    data: Json = {}
    # A page size makes ListBuckets paginate, and paginated answers carry each bucket's region.
    buckets = call(ctx, ctx.client("s3"), "list_buckets", into=data, key="buckets", paginate="Buckets",
                   PaginationConfig={"PageSize": 10000})
    if buckets is not ABSENT:
        data["buckets"] = _buckets(ctx, buckets)
    data["account"] = _account(ctx)
    return data


def _buckets(ctx: Context, listed: list[Json]) -> list[Json]:
    """Every bucket's documents, its calls spread over `ctx.concurrency` threads call by call.

    A bucket's parts do not depend on each other (but for PolicyStatus, pointless without a
    policy), so they are not made one after the other per bucket: first each bucket's region,
    then every (bucket, part) call at once, then the policy statuses. With one thread per bucket
    instead, 9 calls in a row per bucket made S3 the scan's critical path. Each call writes into
    a document of its own; they are put together in BUCKET_PARTS order, as one bucket at a time
    would have, so the snapshot does not depend on the threads' timing.
    """
    located = ctx.each(lambda b: _located(ctx, b), listed)
    first = [(i, part) for i in range(len(located)) for part in BUCKET_PARTS if not part.pointless_without]
    answers: dict[tuple[int, str], Json] = dict(zip(
        ((i, part.key) for i, part in first),
        ctx.each(lambda job: _part(ctx, located[job[0]], job[1]), first), strict=True))
    second = [(i, part) for i in range(len(located)) for part in BUCKET_PARTS if part.pointless_without
              and not _pointless(answers.get((i, part.pointless_without), {}), part.pointless_without)]
    answers.update(zip(((i, part.key) for i, part in second),
                       ctx.each(lambda job: _part(ctx, located[job[0]], job[1]), second), strict=True))
    for i, bucket in enumerate(located):
        for part in BUCKET_PARTS:
            answer = answers.get((i, part.key))
            if answer is None:  # skipped: pointless (the call would answer "not configured")
                bucket[part.key] = None
                continue
            if part.key in answer:
                bucket[part.key] = answer[part.key]
            if "_errors" in answer:
                bucket.setdefault("_errors", {}).update(answer["_errors"])
        if isinstance(bucket.get("Policy"), str):
            _parse_policy(ctx, bucket, str(bucket.get("_region", ctx.region)))
    return located


def _pointless(answer: Json, key: str) -> bool:
    """The answer of the part `key` says "not configured" (None): a call that depends on it is pointless."""
    return key in answer and answer[key] is None


def _located(ctx: Context, listed: Json) -> Json:
    """The bucket's document with its ARN and `_region` (or the error that prevented it)."""
    name = listed["Name"]
    bucket: Json = {**listed, "_arn": f"arn:{ctx.partition}:s3:::{name}"}
    location: Json = {}
    if listed.get("BucketRegion"):  # paginated ListBuckets answers carry it: no GetBucketLocation needed
        found = listed["BucketRegion"]
    else:
        found = call(ctx, ctx.client("s3"), "get_bucket_location", into=location, key="_region",
                     resource=bucket["_arn"], select="LocationConstraint", Bucket=name)
    if found is not ABSENT:
        bucket["_region"] = LEGACY_LOCATIONS.get(found, found)
    else:
        # botocore follows S3's region redirects, so the home-region client still gets answers.
        bucket["_errors"] = dict(location["_errors"])
    return bucket


def _part(ctx: Context, bucket: Json, part: Part) -> Json:
    """One part's call; its answer (or `_errors`) in a document of its own."""
    client = ctx.client("s3", bucket.get("_region", ctx.region))
    answer: Json = {}
    call(ctx, client, part.operation, into=answer, key=part.key, resource=bucket["_arn"],
         select=part.select, unset=part.unset_codes, Bucket=bucket["Name"])
    return answer


def _parse_policy(ctx: Context, bucket: Json, region: str) -> None:
    """Store the policy as a document; a malformed one is recorded like any unreadable data."""
    try:
        bucket["Policy"] = limits.loads(bucket["Policy"])
    except ValueError as exc:
        del bucket["Policy"]
        bucket.setdefault("_errors", {})["Policy"] = "MalformedPolicy"
        ctx.record("s3", "GetBucketPolicy", bucket["_arn"], "MalformedPolicy", str(exc), region=region)


def _account(ctx: Context) -> Json:
    account: Json = {"_arn": f"arn:{ctx.partition}:s3::{ctx.account}:account"}
    client = ctx.client("s3control")
    _strip_account_prefix_on_custom_endpoint(client, ctx.account)
    call(ctx, client, "get_public_access_block", into=account, key="PublicAccessBlock",
         resource=account["_arn"], select="PublicAccessBlockConfiguration",
         unset={"NoSuchPublicAccessBlockConfiguration"}, AccountId=ctx.account)
    return account


def _strip_account_prefix_on_custom_endpoint(client: Any, account: str) -> None:
    """Undo the `{account}.` host prefix S3 Control's endpoint rules add, when the endpoint is not AWS.

    Against a local endpoint (moto server, LocalStack) `123456789012.127.0.0.1:5000` does not
    resolve, and `Config(inject_host_prefix=False)` does not stop the rules from adding it
    (DESIGN.md, moto quirks). Real AWS endpoints keep the prefix: they need it.
    """
    host = urlsplit(client.meta.endpoint_url).hostname or ""
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws")):
        return
    prefix = f"{account}."

    def strip(request: Any, **_: Any) -> None:
        url = urlsplit(request.url)
        if url.netloc.startswith(prefix):
            request.url = urlunsplit(url._replace(netloc=url.netloc[len(prefix):]))

    # unique_id: the client is cached and shared, so a second collect() must not stack handlers.
    client.meta.events.register("before-sign.s3-control.*", strip, unique_id="awsaudit-s3control-host")
