"""Collection tasks: small, frozen, picklable values that any Executor can run with `run_task`.

A task says *what* to collect (account, service, region) and *how to get credentials where it
runs* (`CredentialSource`); it carries no session, client, lock or secret, so a thread pool,
a process pool or a Dask cluster can run it. Everything a task produces, its data and its
error records, comes back in its `TaskResult`; the scanner merges results in the main process.

Sessions and clients are built where the task runs and cached per process: one boto3 session
per credential source, one client per (source, account, options, service, region), and one
botocore loader for every session, so service models are parsed once per process.
"""

from __future__ import annotations

import importlib
import itertools
import json
import logging
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, Credentials, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound
from botocore.loaders import JSONFileLoader, Loader, create_loader

from awsaudit import __version__
from awsaudit.collect import COLLECTORS, Collector
from awsaudit.collect._call import Context
from awsaudit.errors import InputError
from awsaudit.model import Json

log = logging.getLogger(__name__)

CredentialKind = Literal["default", "profile", "assume_role", "factory", "local"]


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """How to obtain credentials where a task runs; never the credentials themselves.

    Build one with the class methods. `local` wraps a session that exists only in this process
    (callers that hand the scanner a ready boto3 session): such a task runs on threads only.
    """

    kind: CredentialKind = "default"
    region: str | None = None
    """The session's region (the account's home region for global services)."""
    profile: str | None = None
    """The named profile (kind `profile`), or the base profile to assume the role from."""
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str = "awsaudit"
    factory: str | None = None
    """`module:function`, called as `function(region_name=region)`, returning a boto3 Session;
    with a `role_arn`, as `function(region_name=..., role_arn=..., external_id=...,
    session_name=...)`, returning a session on that role (an Organization scan's members)."""
    token: str | None = None
    """Key of a process-local session (kind `local`)."""

    @classmethod
    def default_chain(cls, region: str | None = None) -> CredentialSource:
        return cls("default", region)

    @classmethod
    def named_profile(cls, profile: str, region: str | None = None) -> CredentialSource:
        return cls("profile", region, profile=profile)

    @classmethod
    def assume_role(
        cls,
        role_arn: str,
        *,
        external_id: str | None = None,
        session_name: str = "awsaudit",
        base_profile: str | None = None,
        region: str | None = None,
    ) -> CredentialSource:
        return cls(
            "assume_role", region, base_profile, role_arn=role_arn, external_id=external_id,
            session_name=session_name,
        )

    @classmethod
    def from_factory(cls, reference: str, region: str | None = None) -> CredentialSource:
        if reference.count(":") != 1 or not all(reference.split(":")):
            raise InputError(f"session factory {reference!r} must be 'module:function'")
        return cls("factory", region, factory=reference)

    @classmethod
    def local(cls, session: boto3.Session) -> CredentialSource:
        """A source for a session built by the caller; valid only inside this process."""
        token = f"local-{next(_TOKENS)}"
        _LOCAL_SESSIONS[token] = session
        return cls("local", session.region_name, token=token)

    def session(self) -> boto3.Session:
        """This process's session for the source, built on first use (thread-safe).

        At most MAX_CACHED_SOURCES sources keep their session (and clients) per process, least
        recently used first out: an Organization scan meets a new source per account, and a
        worker that kept every account's clients would grow without end.
        """
        if self.kind == "local":  # the caller owns it; the registry only holds it weakly
            return _build_session(self)
        with _LOCK:
            if self in _SESSIONS:
                _SESSIONS.move_to_end(self)
                return _SESSIONS[self]
        session = _build_session(self)  # outside the lock: an AssumeRole may take a while
        with _LOCK:
            session = _SESSIONS.setdefault(self, session)
            _SESSIONS.move_to_end(self)
            while len(_SESSIONS) > MAX_CACHED_SOURCES:
                _forget(next(iter(_SESSIONS)))
            return session

    def forget(self) -> None:
        """Drop this process's session and clients for the source (an account that is done)."""
        with _LOCK:
            _forget(self)


@dataclass(frozen=True, slots=True)
class TaskOptions:
    """Everything a task needs to configure its clients; the same for every task of a scan."""

    max_attempts: int = 5
    """botocore's total_max_attempts: the first call counts too."""
    retry_mode: Literal["standard", "adaptive"] = "standard"
    concurrency: int = 8
    """Threads for per-resource calls inside one task (`Context.each`)."""
    connect_timeout: float = 10
    read_timeout: float = 60
    account_concurrency: int = 0
    """API calls in flight per account in one process (0: no bound); see account_gate."""
    share_clients: bool = True
    """Keep the task's clients for the account's next tasks in this process. An Organization
    scan turns it off: its accounts come and go, each (service, region) client serves one task of
    an account anyway, and a worker holding every account's clients (~0.5 MiB each, a few hundred
    per account) would grow by tens of MiB per account."""

    def botocore_config(self) -> Config:
        return Config(
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            max_pool_connections=max(10, self.concurrency * 2),
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            user_agent_extra=f"awsaudit/{__version__}",
        )


@dataclass(frozen=True, slots=True)
class CollectTask:
    """One collector on one account and region; `region=None` is a global service (run from home)."""

    account: str
    partition: str
    service: str
    region: str | None
    credentials: CredentialSource
    options: TaskOptions = TaskOptions()
    home_region: str = "us-east-1"

    @property
    def where(self) -> str:
        return self.region or "global"


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What one task collected, and every error it recorded on the way."""

    task: CollectTask
    data: Json
    errors: list[Json] = field(default_factory=list)


_LOCK = threading.Lock()
"""Serialises session and client creation: boto3 sessions are not thread-safe."""
_SESSIONS: OrderedDict[CredentialSource, boto3.Session] = OrderedDict()
MAX_CACHED_SOURCES = 16
"""Sources whose session and clients a process keeps (accounts in flight in one worker)."""
_GATES: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_CLIENTS: dict[tuple[CredentialSource, str, TaskOptions], dict[tuple[str, str], Any]] = {}
_CONFIGS: dict[TaskOptions, Config] = {}
_LOCAL_SESSIONS: weakref.WeakValueDictionary[str, boto3.Session] = weakref.WeakValueDictionary()
_TOKENS = itertools.count(1)
_LOADER: list[Loader] = []


MALLOC_ARENAS = 2
"""glibc arenas for a scanning process (M_ARENA_MAX): see limit_malloc_arenas."""


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (what MALLOC_ARENA_MAX does); True if done.

    glibc gives threads arenas of their own (up to 8 per core), and the scan's threads each
    allocate botocore responses and clients in theirs: memory freed in one arena cannot serve
    another, so the process keeps several partly empty heaps (about 15 MiB at the small account).
    Python holds the GIL while it allocates, so fewer arenas cost no parallelism. For the
    process's owner (the CLI) to call before starting threads; a no-op outside glibc.
    """
    import ctypes  # noqa: PLC0415 - only for a process that scans
    import ctypes.util  # noqa: PLC0415

    m_arena_max = -8  # glibc malloc.h
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(m_arena_max, arenas))
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return False


def _forget(source: CredentialSource) -> None:
    """Drop a source's session and clients; the caller holds _LOCK."""
    _SESSIONS.pop(source, None)
    for key in [k for k in _CLIENTS if k[0] == source]:
        del _CLIENTS[key]


def account_gate(account: str, limit: int) -> threading.BoundedSemaphore | None:
    """The process's semaphore bounding one account's API calls in flight (None: no bound).

    Every call of every task of the account in this process (its per-resource threads included)
    passes through it, so an Organization scan cannot throttle one account into failures
    however many of its tasks run at once.
    """
    if limit <= 0:
        return None
    with _LOCK:
        return _GATES.setdefault((account, limit), threading.BoundedSemaphore(limit))


def clear_process_cache(models: bool = False) -> None:
    """Forget this process's sessions and clients (tests, or a process that changes its credentials).

    With `models`, also the shared loader and the service models it holds (a process done with
    collecting: the CLI frees them before evaluating, as they are most of a scan's memory).
    """
    with _LOCK:
        _SESSIONS.clear()
        _CLIENTS.clear()
        _CONFIGS.clear()
        _GATES.clear()
        if models:
            _LOADER.clear()


def _no_documentation(obj: dict[str, Any]) -> dict[str, Any]:
    """json object_hook: a model's `documentation` text emptied (the key stays: botocore reads some)."""
    if isinstance(obj.get("documentation"), str):
        obj["documentation"] = ""
    return obj


class LeanJSONFileLoader(JSONFileLoader):
    """botocore's JSON loader, for a scanner that never renders docstrings.

    Service models are mostly prose: every operation, shape and member carries its HTML
    `documentation`, which botocore uses only for help text. Emptied at parse time (the key is
    kept, as botocore indexes some of them) and parsed into plain dicts (ordered since Python 3.7)
    instead of OrderedDict, the EC2 model alone takes tens of MB less. Nothing a request or a
    response parser reads changes.
    """

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        if not Path(full_path).is_file():
            return None
        with open_method(full_path, "rb") as fp:
            payload = fp.read().decode("utf-8")
        return json.loads(payload, object_hook=_no_documentation)


def _shared_loader() -> Loader:
    if not _LOADER:
        loader = create_loader()
        loader.file_loader = LeanJSONFileLoader()
        _LOADER.append(loader)
    return _LOADER[0]


def _botocore_session(profile: str | None) -> botocore.session.Session:
    """A botocore session that reads service models through the process's one loader."""
    session = botocore.session.Session(profile=profile)
    if profile is not None:
        try:
            session.get_scoped_config()  # an unknown profile fails here, as one readable line
        except ProfileNotFound as exc:
            raise InputError(str(exc)) from None
    session.register_component("data_loader", _shared_loader())
    return session


def _boto3_session(core: botocore.session.Session, region: str | None) -> boto3.Session:
    session = boto3.Session(botocore_session=core, region_name=region)
    paths = _shared_loader().search_paths  # boto3 appends its data path once per session
    paths[:] = list(dict.fromkeys(paths))
    return session


class _FixedProvider:
    """A credential_provider component that hands out one (refreshable) credentials object."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def load_credentials(self) -> Credentials:
        return self.credentials


def _build_session(source: CredentialSource) -> boto3.Session:
    if source.kind == "local":
        session = _LOCAL_SESSIONS.get(source.token or "")
        if session is None:
            raise InputError("a process-local session cannot be used in another process; "
                             "give the scanner a profile, role or session factory instead")
        return session
    if source.kind == "factory":
        module_name, _, function = (source.factory or "").partition(":")
        role: dict[str, Any] = {}
        if source.role_arn:
            role = {"role_arn": source.role_arn, "external_id": source.external_id,
                    "session_name": source.session_name}
        made = getattr(importlib.import_module(module_name), function)(region_name=source.region, **role)
        if not isinstance(made, boto3.Session):
            raise InputError(f"session factory {source.factory} did not return a boto3 Session")
        return made
    if source.kind in ("default", "profile"):
        return _boto3_session(_botocore_session(source.profile), source.region)
    if source.kind == "assume_role":
        return _assumed_session(source)
    raise InputError(f"unknown credential source kind {source.kind!r}")


def _assumed_session(source: CredentialSource) -> boto3.Session:
    """A session on the role, refreshed by botocore shortly before the role's credentials expire."""
    if not source.role_arn:
        raise InputError("assume_role credential source without a role ARN")
    base = _botocore_session(source.profile)
    base_credentials = base.get_credentials()
    if base_credentials is None:
        raise InputError(f"no base credentials to assume {source.role_arn} from")
    extra: dict[str, Any] = {"RoleSessionName": source.session_name}
    if source.external_id:
        extra["ExternalId"] = source.external_id
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=partial(base.create_client, region_name=source.region),
        source_credentials=base_credentials,
        role_arn=source.role_arn,
        extra_args=extra,
    )
    credentials = DeferredRefreshableCredentials(
        refresh_using=fetcher.fetch_credentials, method="assume-role"
    )
    target = _botocore_session(None)
    target.register_component("credential_provider", _FixedProvider(credentials))
    return _boto3_session(target, source.region)


def task_context(task: CollectTask) -> Context:
    """A Context for the task: its own error list, the process's shared clients for its source."""
    session = task.credentials.session()
    with _LOCK:
        clients: dict[tuple[str, str], Any] = (
            _CLIENTS.setdefault((task.credentials, task.account, task.options), {})
            if task.options.share_clients else {})
        config = _CONFIGS.setdefault(task.options, task.options.botocore_config())
    return Context(
        session,
        task.account,
        task.region or task.home_region,
        task.partition,
        config,
        [],
        task.options.concurrency,
        clients,
        _LOCK,
        account_gate(task.account, task.options.account_concurrency),
    )


def run_task(task: CollectTask) -> TaskResult:
    """Run one collector; a crash is contained in the result, never raised to the scanner."""
    collector = COLLECTORS[task.service]
    try:
        ctx = task_context(task)
    except (InputError, BotoCoreError, ClientError, ImportError, AttributeError) as exc:
        error = {
            "service": task.service, "region": task.region or task.home_region, "operation": "*",
            "resource": task.account, "code": "CredentialSourceError",
            "message": f"{type(exc).__name__}: {exc}",
        }
        return TaskResult(task, {"_errors": {"*": "CredentialSourceError"}}, [error])
    return TaskResult(task, run_collector(collector, ctx), ctx.errors)


def run_collector(collector: Collector, ctx: Context) -> Json:
    """collector(ctx), with an escaped exception turned into a recorded error and `_errors["*"]`."""
    try:
        return collector.func(ctx)
    except (ClientError, BotoCoreError) as exc:  # a collector let an AWS error through: keep the rest
        code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
        ctx.record(collector.service, "*", ctx.account, code, str(exc))
        return {"_errors": {"*": code}}
    except Exception as exc:
        log.exception("collector %s failed in %s", collector.service, ctx.region)
        ctx.record(collector.service, "*", ctx.account, "CollectorError", f"{type(exc).__name__}: {exc}")
        return {"_errors": {"*": f"CollectorError: {type(exc).__name__}"}}
