"""call() and paginate(): the only place that talks to boto3 and catches its errors.

Every AWS error is classified by its error code, stored next to the data it
prevented (`target["_errors"][key]`), and appended to the account's error list
with service, region, operation and resource. A key is set only on success:
absent means "could not read", `None` means "AWS says not configured".
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.handlers import json_decode_policies
from botocore.parsers import ResponseParserError

from awsaudit.model import Json

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class _Absent:
    """Returned by call() when the data could not be read (the key stays unset)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


def jsonable(value: Any) -> Any:
    """Turn a botocore response into plain JSON data, so live and reloaded snapshots are identical."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if hasattr(value, "read"):  # StreamingBody (e.g. the credential report)
        return jsonable(value.read())
    return value


@dataclass
class Context:
    """What a collector needs: where to call, and where to record what failed."""

    session: boto3.Session
    account: str
    region: str
    partition: str = "aws"
    config: Config = field(
        default_factory=lambda: Config(retries={"mode": "standard", "total_max_attempts": 5})
    )
    errors: list[Json] = field(default_factory=list)
    concurrency: int = 8
    """Threads for per-resource calls (S3 buckets, KMS keys ...): the scan's --concurrency."""
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.BoundedSemaphore | None = None
    """Bounds the account's API calls in flight in this process (an Organization scan); None: none."""

    def client(self, service: str, region: str | None = None) -> Any:
        """A cached client; boto3 sessions are not thread-safe, so creation is serialised."""
        key = (service, region or self.region)
        with self._lock:
            if key not in self._clients:
                client = self.session.client(
                    service,  # type: ignore[call-overload]  # the service name is data here, not a literal
                    region_name=key[1],
                    config=self.config,
                )
                if service == "iam":
                    # botocore decodes IAM policy documents inside the response parser, where a
                    # hostile 5,000-level document raises RecursionError and loses the whole page
                    # (every user, role and policy). The iam collector decodes them per entity.
                    client.meta.events.unregister("after-call.iam", json_decode_policies)
                self._clients[key] = client
            return self._clients[key]

    def for_region(self, region: str) -> Context:
        """A context for another region that shares session, config, error list and client cache."""
        return Context(
            self.session,
            self.account,
            region,
            self.partition,
            self.config,
            self.errors,
            self.concurrency,
            self._clients,
            self._lock,
            self.gate,
        )

    def each(self, func: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """func over items, results in order, on at most `concurrency` threads."""
        work = list(items)
        if len(work) <= 1:
            return [func(item) for item in work]
        workers = min(self.concurrency, len(work))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="awsaudit-each") as pool:
            return list(pool.map(func, work))

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def record(
        self, service: str, operation: str, resource: str, code: str, message: str, region: str | None = None
    ) -> None:
        self.errors.append(
            {
                "service": service,
                "region": region or self.region,
                "operation": operation,
                "resource": resource,
                "code": code,
                "message": message,
            }
        )
        log.debug("%s %s %s: %s %s", service, operation, resource, code, message)


def _error(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, NotImplementedError):
        return "NotImplemented", str(exc)
    if isinstance(exc, ResponseParserError):  # e.g. an HTML error page from a proxy or emulator
        return "ResponseParserError", str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return str(err.get("Code") or f"HTTP{status}"), str(err.get("Message", ""))
    return type(exc).__name__, str(exc)


def call(
    ctx: Context,
    client: Any,
    operation: str,
    *,
    into: Json,
    key: str,
    resource: str = "",
    select: str | None = None,
    unset: Iterable[str] = (),
    paginate: str | None = None,
    **params: Any,
) -> Any:
    """Call `client.operation(**params)` and store the result at `into[key]`.

    Args:
        select: keep only this field of the response.
        unset: error codes that mean "not configured": store None.
        paginate: the result key to concatenate across all pages (uses the botocore paginator).

    Returns the stored value, or ABSENT (and records the error) when the call failed.
    """
    service = client.meta.service_model.service_name
    gate: AbstractContextManager[Any] = ctx.gate if ctx.gate is not None else nullcontext()
    try:
        with gate:  # a paginated listing is one call in flight at a time
            if paginate is not None:
                items: list[Any] = []
                for page in client.get_paginator(operation).paginate(**params):
                    items.extend(page.get(paginate, []))
                value: Any = items
            else:
                response = getattr(client, operation)(**params)
                value = response.get(select) if select is not None else response
    except (ClientError, BotoCoreError, ResponseParserError, NotImplementedError) as exc:
        # NotImplementedError: in-process moto, for an operation it lacks (its server answers 500)
        code, message = _error(exc)
        if code in set(unset):
            into[key] = None
            return None
        into.setdefault("_errors", {})[key] = code
        api_name = client.meta.method_to_api_mapping.get(operation, operation)
        ctx.record(service, api_name, resource or ctx.account, code, message, region=client.meta.region_name)
        return ABSENT
    into[key] = jsonable(value)
    return into[key]
