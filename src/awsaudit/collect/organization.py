"""Scan every account of an AWS Organization: accounts x regions x services on one Executor.

From the management account (or a delegated administrator), the accounts are listed
(organizations:ListAccounts); suspended and closed ones are reported, not scanned. Each selected
account is reached through a role (`OrganizationAccountAccessRole` by default; the caller's own
account with the caller's own credentials). Its first task, `prepare_account`, assumes the role
where it runs, checks whom it reached and lists the account's enabled regions; an account whose
role cannot be assumed is *not assessed* (which error, in the snapshot's coverage) and the scan
goes on. Then the account's collection tasks (scan.build_tasks) run on the same executor.

Bounds: at most `ScanOptions.concurrency` tasks in flight in all, at most `account_concurrency`
tasks of one account, and, in each process that runs them, at most `account_concurrency` API
calls in flight per account (task.account_gate), per-resource threads included. Only a few
accounts are in flight at once (`accounts_in_flight`), oldest first served, so accounts finish
one after another: each account's shard is written (SnapshotWriter.add_account) as soon as it
completes and dropped from memory, with its sessions and clients, so the coordinating process
does not grow with the organization.

The snapshot carries the scan's coverage in `organization_scan`: the header lists every account
of the organization with its outcome planned (`pending`, `not_scanned` with the account's state,
`excluded` by the selection); the end record gives the final outcome of each pending account
(`assessed`, `not_assessed` with the error, `interrupted`). snapshot.organization_scan merges them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from awsaudit import __version__, snapshot
from awsaudit.collect import Collector
from awsaudit.collect._call import Context
from awsaudit.collect.scan import (
    DEFAULT_HOME_REGION,
    INTERRUPTED,
    TERMINATED,
    ScanOptions,
    build_tasks,
    check_region_names,
    enabled_regions,
    identify,
    merge,
    new_account,
    select_collectors,
    sorted_errors,
    split_enabled,
)
from awsaudit.collect.task import CollectTask, CredentialSource, TaskOptions, TaskResult, run_task
from awsaudit.errors import InputError, ScanInterrupted, SnapshotWriteError, Terminated
from awsaudit.model import Json

log = logging.getLogger(__name__)

DEFAULT_ROLE = "OrganizationAccountAccessRole"
"""The role AWS Organizations creates in every account it creates (not in invited ones)."""
ACTIVE = "ACTIVE"
ASSESSED = "assessed"
NOT_ASSESSED = "not_assessed"
NOT_SCANNED = "not_scanned"
EXCLUDED = "excluded"
INTERRUPTED_OUTCOME = "interrupted"
ACCOUNT_ID = re.compile(r"^\d{12}$")
OU_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$")


@dataclass(frozen=True)
class OrgOptions:
    """What an Organization scan reaches, and how (the `--organization` options)."""

    role_name: str = DEFAULT_ROLE
    external_id: str | None = None
    session_name: str = "awsaudit"
    accounts: tuple[str, ...] = ()
    """Only these accounts (with `ous`: these and the OUs' accounts); empty: every account."""
    exclude_accounts: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()
    """OU (or root) ids: their accounts, nested OUs included."""
    account_concurrency: int = 4
    """Tasks of one account in flight, and its API calls in flight per process."""
    accounts_in_flight: int = 0
    """Accounts being collected at once (0: twice what the bounds can keep busy)."""
    resume: Path | None = None
    """An earlier Organization snapshot: its accounts are taken as they are, the rest collected."""


@dataclass(frozen=True, slots=True)
class Member:
    """One account of the organization, as ListAccounts describes it."""

    id: str
    name: str
    email: str
    state: str


@dataclass(frozen=True, slots=True)
class PrepareTask:
    """The first task of an account: reach it and list its regions (picklable, like CollectTask)."""

    account: str
    partition: str
    credentials: CredentialSource
    options: TaskOptions
    home_region: str
    regions: tuple[str, ...] = ()
    """The regions to scan; empty: the account's enabled regions."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """The account's regions, or why it cannot be assessed."""

    task: PrepareTask
    regions: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()
    error: Json | None = None
    """{operation, code, message} when the account cannot be reached."""


def prepare_account(task: PrepareTask) -> Prepared:
    """Assume the account's role (where the task runs), check the identity, list its regions.

    Runs on the executor, so that the coordinating process never holds a member's session and
    a worker's first task of an account builds the session its collection tasks then share.
    """
    operation = "AssumeRole" if task.credentials.role_arn else "GetCallerIdentity"
    try:
        session = task.credentials.session()
        config = task.options.botocore_config()
        reached = session.client("sts", region_name=task.home_region, config=config).get_caller_identity()
        if reached["Account"] != task.account:
            return Prepared(task, error={"operation": operation, "code": "WrongAccount",
                                         "message": f"the credentials reached account {reached['Account']}"})
        ctx = Context(session, task.account, task.home_region, task.partition, config)
        if task.regions:  # as scan_account: the asked-for regions the account has enabled
            scanned, skipped = split_enabled(ctx, sorted(set(task.regions)))
            return Prepared(task, tuple(scanned), tuple(skipped))
        operation = "DescribeRegions"
        enabled, disabled = enabled_regions(ctx)
        return Prepared(task, tuple(enabled), tuple(disabled))
    except ClientError as exc:
        err = exc.response.get("Error", {})
        return Prepared(task, error={"operation": exc.operation_name or operation,
                                     "code": str(err.get("Code") or "ClientError"),
                                     "message": str(err.get("Message") or exc)})
    except (BotoCoreError, InputError, ImportError, AttributeError, KeyError) as exc:
        return Prepared(task, error={"operation": operation, "code": type(exc).__name__, "message": str(exc)})


def member_source(base: CredentialSource, account: str, partition: str, org: OrgOptions,
                  region: str) -> CredentialSource:
    """How a task reaches a member account: the role, assumed from the caller's credentials.

    A session factory is asked for the role's session itself (the demo simulates AWS that way);
    a process-local session cannot be assumed from where a task runs.
    """
    role_arn = f"arn:{partition}:iam::{account}:role/{org.role_name}"
    if base.kind == "factory":
        return dataclasses.replace(base, role_arn=role_arn, external_id=org.external_id,
                                   session_name=org.session_name)
    if base.kind in ("default", "profile"):
        return CredentialSource.assume_role(role_arn, external_id=org.external_id,
                                            session_name=org.session_name, base_profile=base.profile,
                                            region=region)
    raise InputError("an Organization scan needs a profile, the default credentials or a session factory")


# --- the organization's accounts ------------------------------------------------------------


def _aws_error(what: str, exc: ClientError | BotoCoreError) -> InputError:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code")
        if code == "AWSOrganizationsNotInUseException":
            return InputError("--organization: this account is not in an AWS Organization")
        hint = (" (run from the management account or a delegated administrator)"
                if code in {"AccessDeniedException", "AccessDenied"} else "")
        return InputError(f"--organization: cannot {what}: {code}: {err.get('Message')}{hint}")
    return InputError(f"--organization: cannot {what}: {exc}")


def list_members(client: Any) -> list[Member]:
    """Every account of the organization (ListAccounts), sorted by id."""
    try:
        listed = [a for page in client.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error("list the accounts (organizations:ListAccounts)", exc) from None
    # `State` (2024) distinguishes CLOSED from SUSPENDED; older answers carry `Status` only.
    members = (Member(a["Id"], a.get("Name", ""), a.get("Email", ""), str(a.get("State") or a.get("Status")))
               for a in listed)
    return sorted(members, key=lambda m: m.id)


def accounts_under(client: Any, parents: Iterable[str]) -> set[str]:
    """The accounts under these OUs or roots, nested OUs included (a walk down the tree)."""
    found: set[str] = set()
    level = list(parents)
    try:
        while level:
            children: list[str] = []
            for parent in level:
                for page in client.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
                    found.update(a["Id"] for a in page["Accounts"])
                ous = client.get_paginator("list_organizational_units_for_parent")
                for page in ous.paginate(ParentId=parent):
                    children.extend(ou["Id"] for ou in page["OrganizationalUnits"])
            level = children
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error(f"walk the OU(s) {', '.join(parents)}", exc) from None
    return found


def plan(members: list[Member], org: OrgOptions, under_ous: set[str] | None) -> dict[str, Json]:
    """Every account's planned outcome: pending (to collect), not scanned (its state), excluded."""
    known = {m.id for m in members}
    for flag, ids in (("--accounts", org.accounts), ("--exclude-accounts", org.exclude_accounts)):
        bad = [a for a in ids if not ACCOUNT_ID.match(a)]
        if bad:
            raise InputError(f"{flag}: not an account id (12 digits): {', '.join(bad)}")
        foreign = sorted(set(ids) - known)
        if foreign:
            raise InputError(f"{flag}: not in the organization: {', '.join(foreign)}")
    wanted: set[str] | None = None
    if org.accounts or under_ous is not None:
        wanted = set(org.accounts) | (under_ous or set())
    coverage: dict[str, Json] = {}
    for m in members:
        entry: Json = {"name": m.name, "email": m.email, "state": m.state}
        if m.id in org.exclude_accounts:
            entry.update(outcome=EXCLUDED, reason="--exclude-accounts")
        elif wanted is not None and m.id not in wanted:
            entry.update(outcome=EXCLUDED, reason="not selected (--accounts / --ou)")
        elif m.state != ACTIVE:
            entry.update(outcome=NOT_SCANNED, reason=f"the account is {m.state}")
        else:
            entry["outcome"] = snapshot.PENDING
        coverage[m.id] = entry
    return coverage


# --- the scan --------------------------------------------------------------------------------


@dataclass
class _Account:
    """An account being collected: its document, its tasks not yet sent, its tasks in flight."""

    id: str
    source: CredentialSource
    doc: Json | None = None
    waiting: deque[CollectTask] = field(default_factory=deque)
    running: int = 0
    total: int = 0
    done: int = 0


@dataclass
class OrgProgress:
    """Counts for the progress bar and the summary."""

    accounts: int = 0
    accounts_done: int = 0
    tasks_done: int = 0


class _Scan:
    """One Organization scan's coordinator (the main process): submits, merges, writes shards."""

    def __init__(self, base: CredentialSource, options: ScanOptions, org: OrgOptions, partition: str,
                 caller: str, home: str, collectors: list[Collector], coverage: dict[str, Json],
                 writer: snapshot.SnapshotWriter | None, snap: Json) -> None:
        self.base, self.options, self.org = base, options, org
        self.partition, self.caller, self.home = partition, caller, home
        self.collectors, self.coverage, self.writer, self.snap = collectors, coverage, writer, snap
        self.task_options = dataclasses.replace(options.task_options(), share_clients=False,
                                                account_concurrency=org.account_concurrency)
        per_account = max(1, org.account_concurrency)
        self.in_flight = org.accounts_in_flight or max(2, 2 * math.ceil(options.concurrency / per_account))
        self.progress = OrgProgress()
        self.futures: dict[Future[Any], tuple[_Account, CollectTask | None]] = {}
        self.active: list[_Account] = []

    def source_for(self, account: str) -> CredentialSource:
        if account == self.caller:
            return self.base
        return member_source(self.base, account, self.partition, self.org, self.home)

    def run(self, executor: Executor, queue: deque[str]) -> None:
        self.progress.accounts += len(queue)
        while queue or self.active:
            while queue and len(self.active) < self.in_flight:
                self._admit(executor, queue.popleft())
            self._dispatch(executor)
            if not self.futures:  # nothing in flight and nothing to send: every account is done
                break
            done, _ = wait(list(self.futures), return_when=FIRST_COMPLETED)
            for future in done:
                self._collect(future)

    def _admit(self, executor: Executor, account_id: str) -> None:
        acct = _Account(account_id, self.source_for(account_id))
        task = PrepareTask(account_id, self.partition, acct.source, self.task_options, self.home,
                           tuple(self.options.regions))
        self.futures[executor.submit(prepare_account, task)] = (acct, None)
        acct.running = 1
        self.active.append(acct)

    def _dispatch(self, executor: Executor) -> None:
        """Fill the global slots, oldest account first, each account up to its own bound."""
        for acct in self.active:
            while (acct.waiting and acct.running < self.org.account_concurrency
                   and len(self.futures) < self.options.concurrency):
                task = acct.waiting.popleft()
                self.futures[executor.submit(run_task, task)] = (acct, task)
                acct.running += 1

    def _collect(self, future: Future[Any]) -> None:
        acct, task = self.futures.pop(future)
        acct.running -= 1
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - a lost worker or an unpicklable answer: recorded
            if task is not None:  # the task's service stays absent there: its checks are UNKNOWN
                result = TaskResult(task, {"_errors": {"*": "ExecutorError"}}, [{
                    "service": task.service, "region": task.region or task.home_region, "operation": "*",
                    "resource": task.account, "code": "ExecutorError",
                    "message": f"{type(exc).__name__}: {exc}"}])
            else:
                result = exc
        if task is None:
            self._prepared(acct, result)
        else:
            self._merged(acct, result)

    def _prepared(self, acct: _Account, result: Prepared | Exception) -> None:
        if isinstance(result, Exception):
            result = Prepared(PrepareTask(acct.id, self.partition, acct.source, self.task_options, self.home),
                              error={"operation": "*", "code": "ExecutorError",
                                     "message": f"{type(result).__name__}: {result}"})
        if result.error is not None:
            self._finish(acct, {"outcome": NOT_ASSESSED, **result.error})
            return
        acct.doc = new_account(acct.id, self.partition, self.home, result.regions, result.disabled,
                               self.options.regions)
        tasks = build_tasks(self.collectors, acct.id, self.partition, self.home, result.regions,
                            acct.source, self.task_options)
        acct.waiting.extend(tasks)
        acct.total = len(tasks)
        if not tasks:
            self._finish(acct, {"outcome": ASSESSED})

    def _merged(self, acct: _Account, result: TaskResult) -> None:
        assert acct.doc is not None  # set by _prepared before any task is sent
        merge(acct.doc, result)
        acct.done += 1
        self.progress.tasks_done += 1
        if self.options.progress:
            self.options.progress(
                f"{self.progress.accounts_done}/{self.progress.accounts} accounts, "
                f"{self.progress.tasks_done} tasks", self.progress.accounts_done, self.progress.accounts)
        if acct.done == acct.total:
            self._finish(acct, {"outcome": ASSESSED})

    def _finish(self, acct: _Account, outcome: Json) -> None:
        """The account is done: its shard written (or kept, in memory), its sessions released."""
        self.active.remove(acct)
        if acct.doc is not None:
            acct.doc["errors"] = sorted_errors(acct.doc["errors"])
            if self.writer is not None:
                try:
                    self.writer.add_account(acct.id, acct.doc)
                except OSError as exc:  # disk full, folder removed: the CLI saves what it can
                    raise SnapshotWriteError(self.snap, f"cannot write the snapshot {self.writer.path}: "
                                                        f"{exc}") from None
            else:
                self.snap["accounts"][acct.id] = acct.doc
            acct.doc = None
        self.coverage[acct.id].update(outcome)
        acct.source.forget()  # this process's session and clients of the account (threads)
        self.progress.accounts_done += 1
        if self.options.progress:
            self.options.progress(
                f"{self.progress.accounts_done}/{self.progress.accounts} accounts, "
                f"{self.progress.tasks_done} tasks", self.progress.accounts_done, self.progress.accounts)

    def interrupted(self, reason: str) -> None:
        """Ctrl-C: accounts in flight are abandoned (re-collected by --resume); finished ones stay."""
        for future in self.futures:
            future.cancel()
        for acct in list(self.active):
            self.coverage[acct.id].update(outcome=INTERRUPTED_OUTCOME, reason=reason)
            acct.source.forget()
        self.active.clear()
        for entry in self.coverage.values():
            if entry.get("outcome") == snapshot.PENDING:
                entry.update(outcome=INTERRUPTED_OUTCOME, reason=reason)


def _resumed(source: Path, partition: str) -> Iterator[tuple[str, Json]]:
    """The accounts of an earlier Organization snapshot, one at a time (checked before the first)."""
    reader = snapshot.SnapshotReader(source)
    if not isinstance(reader.header.get("organization_scan"), dict):
        raise InputError(f"--resume: {source} is not the snapshot of an Organization scan")
    if reader.header.get("partition", "aws") != partition:
        raise InputError(f"--resume: {source} is from partition {reader.header.get('partition')}, "
                         f"not {partition}")
    yield from reader.accounts()


def resume_source(path: Path) -> Path:
    """The snapshot file --resume names (a folder means its snapshot.json.gz)."""
    return path / "snapshot.json.gz" if path.is_dir() else path


def scan_organization(base: CredentialSource, options: ScanOptions, org: OrgOptions) -> Json:
    """Collect every selected account of the caller's organization; returns the snapshot.

    With `options.snapshot_path`, accounts go to the file as they complete and the returned
    snapshot has no accounts (only the header and `organization_scan`); without, they are kept
    in memory (the demo, tests). Raises ScanInterrupted on Ctrl-C, the file closed as incomplete.
    """
    if org.account_concurrency < 1:
        raise InputError("--account-concurrency must be at least 1")
    check_region_names(options.regions)  # before any call: a typo is a usage error, not a scan
    session = base.session()
    caller, partition = identify(session, options.botocore_config())
    home = session.region_name or DEFAULT_HOME_REGION
    snap = snapshot.new(__version__, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), partition)
    snap["organization_scan"] = survey(
        session.client("organizations", region_name=home, config=options.botocore_config()), org, caller)
    coverage: dict[str, Json] = snap["organization_scan"]["accounts"]
    collectors = select_collectors(options.services)
    queue = deque(a for a, entry in coverage.items() if entry["outcome"] == snapshot.PENDING)
    resumed, previous = _resume(org.resume, options.snapshot_path, partition)
    writer = (snapshot.SnapshotWriter(options.snapshot_path, snapshot.header_of(snap))
              if options.snapshot_path is not None else None)
    # Accounts already collected are copied one at a time (memory: one account), before any
    # collection, so the new file holds them all from the start.
    for account_id, account in resumed:
        if coverage.get(account_id, {}).get("outcome") == snapshot.PENDING:
            if writer is not None:
                writer.add_account(account_id, account)
            else:
                snap["accounts"][account_id] = account
            coverage[account_id].update(outcome=ASSESSED, resumed=True)
            queue.remove(account_id)
    if previous is not None:
        previous.unlink()
    scan = _Scan(base, options, org, partition, caller, home, collectors, coverage, writer, snap)
    executor = options.executor or ThreadPoolExecutor(max_workers=options.concurrency,
                                                      thread_name_prefix="awsaudit")
    try:
        scan.run(executor, queue)
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (Terminated) as the CLI turns it
        terminated = isinstance(stop, Terminated)
        reason = TERMINATED if terminated else INTERRUPTED
        scan.interrupted(reason)
        if options.executor is None:
            executor.shutdown(wait=False, cancel_futures=True)
        _close(writer, coverage, reason)
        snap["incomplete"] = reason
        raise ScanInterrupted(snap, "scan " + reason,
                              Terminated.signal_exit_code if terminated else 130) from None
    except Exception as exc:
        scan.interrupted(f"the scan failed: {type(exc).__name__}")
        _close(writer, coverage, f"the scan failed: {type(exc).__name__}: {exc}")
        raise
    if options.executor is None:
        executor.shutdown(wait=True)
    _close(writer, coverage, None)
    return snap


def survey(client: Any, org: OrgOptions, caller: str) -> Json:
    """The organization, its accounts and each one's planned outcome (the header's organization_scan)."""
    try:
        organization = client.describe_organization()["Organization"]
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error("describe the organization", exc) from None
    members = list_members(client)
    under = None
    if org.ous:
        bad = [o for o in org.ous if not OU_ID.match(o)]
        if bad:
            raise InputError(f"--ou: not an OU or root id (ou-xxxx-xxxxxxxx, r-xxxx): {', '.join(bad)}")
        under = accounts_under(client, org.ous)
    return {
        "organization_id": organization.get("Id"),
        "management_account": organization.get("MasterAccountId"),
        "caller_account": caller,
        "role_name": org.role_name,
        "accounts": plan(members, org, under),
    }


def _resume(
    path: Path | None, output: Path | None, partition: str
) -> tuple[Iterator[tuple[str, Json]], Path | None]:
    """The resumed snapshot's accounts, and the copy to delete once they are copied (when the
    new snapshot is written over the one resumed)."""
    if path is None:
        return iter(()), None
    source = resume_source(path)
    if not source.exists():
        raise InputError(f"--resume: {source} does not exist")
    previous = None
    if output is not None and output.exists() and source.samefile(output):
        previous = source.with_name(source.name + ".previous")
        source.replace(previous)
        source = previous
    return _resumed(source, partition), previous


def _close(writer: snapshot.SnapshotWriter | None, coverage: dict[str, Json], incomplete: str | None) -> None:
    if writer is None:
        return
    outcomes = {a: {k: v for k, v in e.items() if k not in ("name", "email", "state")}
                for a, e in coverage.items()}
    try:
        writer.close(complete=incomplete is None, reason=incomplete,
                     extra={"organization_scan": {"accounts": outcomes}})
    except OSError as exc:
        if incomplete is None:
            raise
        log.warning("cannot close the snapshot %s: %s", writer.path, exc)  # a write already failed


def summary(coverage: dict[str, Json]) -> dict[str, list[str]]:
    """Account ids by outcome (assessed, not_assessed, not_scanned, excluded, interrupted)."""
    found: dict[str, list[str]] = {}
    for account_id, entry in sorted(coverage.items()):
        found.setdefault(str(entry.get("outcome")), []).append(account_id)
    return found
