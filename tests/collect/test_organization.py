"""Organization scans: a simulated organization of a dozen accounts, collected end to end in moto.

moto gives every account reached through sts:AssumeRole a backend of its own, so each member's
resources are its own. moto lets any role be assumed, existing or not: the account whose role is
"missing" gets AssumeRole denied here (patched into botocore, as AWS answers AccessDenied when the
role does not exist or does not trust the caller). Suspending is moto's own CloseAccount (the
account is listed SUSPENDED), no simulation needed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from click.testing import CliRunner
from moto.iam.models import get_account_id_from

from awsaudit import snapshot
from awsaudit.cli import main
from awsaudit.collect import organization
from awsaudit.collect.organization import OrgOptions, scan_organization
from awsaudit.collect.scan import ScanOptions
from awsaudit.collect.task import CollectTask, CredentialSource, TaskResult
from awsaudit.errors import InputError, ScanInterrupted
from awsaudit.model import Json
from tests.conftest import ACCOUNT, REGION

SERVICES = ("s3", "sns")
MEMBERS = 12


@dataclass
class Org:
    """The simulated organization: who is where, and which accounts cannot be assessed."""

    members: list[str] = field(default_factory=list)
    suspended: str = ""
    missing_role: str = ""
    ou_parent: str = ""
    ou_child: str = ""
    in_parent: list[str] = field(default_factory=list)
    in_child: list[str] = field(default_factory=list)

    @property
    def scanned(self) -> list[str]:
        """Accounts that an unrestricted scan assesses."""
        return sorted({ACCOUNT, *self.members} - {self.suspended, self.missing_role})


def member_session(account: str) -> boto3.Session:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="setup")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def deny_assume_role(monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    """AssumeRole into `account` fails as AWS fails it for a role that does not exist."""
    original = BaseClient._make_api_call

    def fake(self: BaseClient, operation: str, params: Any) -> Any:
        if operation == "AssumeRole" and f"::{account}:" in params.get("RoleArn", ""):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized to perform "
                                         "sts:AssumeRole"}, "ResponseMetadata": {"HTTPStatusCode": 403}},
                              operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", fake)


def build_org(members: int = MEMBERS) -> Org:
    """A management account and `members` members: the first two under a nested OU pair, one
    suspended, one whose role is missing; every active member owns a bucket named after it."""
    orgs = boto3.client("organizations", region_name=REGION)
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    org = Org()
    org.ou_parent = orgs.create_organizational_unit(
        ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    org.ou_child = orgs.create_organizational_unit(
        ParentId=org.ou_parent, Name="Prod")["OrganizationalUnit"]["Id"]
    for i in range(members):
        created = orgs.create_account(AccountName=f"member-{i:02d}", Email=f"m{i}@example.com")
        org.members.append(created["CreateAccountStatus"]["AccountId"])
    org.in_parent, org.in_child = [org.members[0]], [org.members[1]]
    orgs.move_account(AccountId=org.members[0], SourceParentId=root, DestinationParentId=org.ou_parent)
    orgs.move_account(AccountId=org.members[1], SourceParentId=root, DestinationParentId=org.ou_child)
    org.suspended, org.missing_role = org.members[-1], org.members[-2]
    orgs.close_account(AccountId=org.suspended)
    for account in org.members[:-1]:
        member_session(account).client("s3").create_bucket(
            Bucket=f"bucket-{account}", CreateBucketConfiguration={"LocationConstraint": REGION})
    return org


@pytest.fixture
def org(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Org:
    built = build_org()
    deny_assume_role(monkeypatch, built.missing_role)
    return built


def scan(org_options: OrgOptions | None = None, **options: Any) -> Json:
    return scan_organization(CredentialSource.default_chain(REGION),
                             ScanOptions(regions=(REGION,), services=SERVICES, **options),
                             org_options or OrgOptions())


def buckets(account: Json) -> list[str]:
    return [b["Name"] for b in account["global"]["s3"]["buckets"]]


def test_a_dozen_accounts_each_scanned_in_its_own_backend(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "org.json.gz"
    returned = scan(snapshot_path=path)
    assert returned["accounts"] == {}  # written as they completed, not kept
    loaded = snapshot.load(path)
    assert "incomplete" not in loaded
    assert sorted(loaded["accounts"]) == org.scanned
    assert len(loaded["accounts"]) == MEMBERS - 1  # the management account and 10 members
    for account_id, account in loaded["accounts"].items():
        assert buckets(account) == ([] if account_id == ACCOUNT else [f"bucket-{account_id}"])
        assert account["regions_scanned"] == [REGION]
    coverage = loaded["organization_scan"]["accounts"]
    assert loaded["organization_scan"]["caller_account"] == ACCOUNT
    assert coverage == returned["organization_scan"]["accounts"]
    assert coverage[org.suspended]["outcome"] == "not_scanned"
    assert coverage[org.suspended]["state"] == "SUSPENDED"
    missing = coverage[org.missing_role]
    assert (missing["outcome"], missing["code"], missing["operation"]) == ("not_assessed", "AccessDenied",
                                                                           "AssumeRole")
    assert {a for a, e in coverage.items() if e["outcome"] == "assessed"} == set(org.scanned)


def test_selection_by_account_exclusion_and_nested_ou(org: Org) -> None:
    chosen = scan(OrgOptions(accounts=(org.members[3], org.members[4])))
    assert sorted(chosen["accounts"]) == sorted(org.members[3:5])
    assert chosen["organization_scan"]["accounts"][ACCOUNT]["outcome"] == "excluded"

    under = scan(OrgOptions(ous=(org.ou_parent,)))  # Prod sits inside Workloads
    assert sorted(under["accounts"]) == sorted(org.in_parent + org.in_child)

    both = scan(OrgOptions(ous=(org.ou_child,), accounts=(org.members[5],)))
    assert sorted(both["accounts"]) == sorted([*org.in_child, org.members[5]])

    rest = scan(OrgOptions(exclude_accounts=(ACCOUNT, org.members[0])))
    assert sorted(rest["accounts"]) == sorted(set(org.scanned) - {ACCOUNT, org.members[0]})


@pytest.mark.parametrize(("options", "message"), [
    (OrgOptions(accounts=("999999999999",)), "--accounts: not in the organization: 999999999999"),
    (OrgOptions(exclude_accounts=("12345",)), "--exclude-accounts: not an account id"),
    (OrgOptions(ous=("Workloads",)), "--ou: not an OU or root id"),
    (OrgOptions(ous=("ou-abcd-12345678",)), "--organization: cannot walk the OU(s) ou-abcd-12345678"),
])
def test_a_bad_selection_is_one_readable_error(org: Org, options: OrgOptions, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scan(options)


def test_outside_an_organization_is_one_readable_error(mocked_aws: None) -> None:
    with pytest.raises(InputError, match="not in an AWS Organization"):
        scan()


class Counting:
    """Counts tasks run per account (the executor's work), wrapping organization.run_task."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tasks: Counter[str] = Counter()
        self.lock = threading.Lock()
        original = organization.run_task

        def counted(task: CollectTask) -> TaskResult:
            with self.lock:
                self.tasks[task.account] += 1
            return original(task)

        monkeypatch.setattr(organization, "run_task", counted)


def test_ctrl_c_keeps_finished_accounts_and_resume_collects_only_the_rest(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "org.json.gz"

    def stop_after_four(description: str, done: int, total: int) -> None:
        if done == 4 and "accounts" in description:
            raise KeyboardInterrupt

    with pytest.raises(ScanInterrupted):
        scan(snapshot_path=path, progress=stop_after_four, concurrency=2)
    partial = snapshot.load(path)
    assert partial["incomplete"] == "interrupted by the user"
    finished = sorted(partial["accounts"])
    coverage = partial["organization_scan"]["accounts"]
    assert len(finished) == 4 - (1 if coverage[org.missing_role]["outcome"] == "not_assessed" else 0)
    assert {a for a, e in coverage.items() if e["outcome"] == "assessed"} == set(finished)
    left = set(org.scanned) - set(finished)
    assert left and all(coverage[a]["outcome"] == "interrupted" for a in left)

    counting = Counting(monkeypatch)
    scan(OrgOptions(resume=path), snapshot_path=path)  # written over the snapshot it resumes
    assert not path.with_name(path.name + ".previous").exists()
    resumed = snapshot.load(path)
    assert "incomplete" not in resumed
    assert sorted(resumed["accounts"]) == org.scanned
    assert set(counting.tasks) == left  # nothing collected twice
    for account_id in finished:
        assert resumed["accounts"][account_id] == partial["accounts"][account_id]
        assert resumed["organization_scan"]["accounts"][account_id]["resumed"] is True


def test_resume_refuses_a_single_account_snapshot(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "single.json.gz"
    snapshot.save(snapshot.new("0", "2026-01-01T00:00:00+00:00"), path)
    with pytest.raises(InputError, match="not the snapshot of an Organization scan"):
        scan(OrgOptions(resume=path))
    with pytest.raises(InputError, match=r"snapshot\.json\.gz does not exist"):
        scan(OrgOptions(resume=tmp_path))  # a folder means its snapshot.json.gz


@pytest.fixture
def calls_in_flight(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """The most calls in flight seen per account (each call held 20 ms, so that they overlap)."""
    peak: Counter[str] = Counter()
    now: Counter[str] = Counter()
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def counted(self: BaseClient, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "sts":  # reaching an account, not calling it
            return original(self, operation, params)
        account = get_account_id_from(self._request_signer._credentials.access_key)
        with lock:
            now[account] += 1
            peak[account] = max(peak[account], now[account])
        try:
            time.sleep(0.02)
            return original(self, operation, params)
        finally:
            with lock:
                now[account] -= 1

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    yield peak


def test_the_per_account_bound_on_calls_in_flight_holds(org: Org, calls_in_flight: Counter[str]) -> None:
    snap = scan(OrgOptions(account_concurrency=2), concurrency=16)
    assert sorted(snap["accounts"]) == org.scanned
    assert calls_in_flight and max(calls_in_flight.values()) <= 2, calls_in_flight
    assert max(calls_in_flight.values()) == 2  # the bound is reached: the measure can fail


def test_the_cli_reports_how_many_accounts_were_assessed(org: Org, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "scan", "--organization", "--region", REGION, "--service", "s3", "--service", "sns",
        "-o", str(out), "--no-history", "-q", "--output-formats", "json"])
    assert result.exit_code == 3, result.output  # an account could not be assessed
    assert f"{MEMBERS - 1} of {MEMBERS} selected account(s) assessed" in result.output
    assert f"account {org.missing_role} (member-10) not assessed: AccessDenied" in result.output
    assert f"1 not scanned ({org.suspended} SUSPENDED)" in result.output
    assert sorted(snapshot.load(out / "snapshot.json.gz")["accounts"]) == org.scanned

    fine = CliRunner().invoke(main, [
        "collect", "--organization", "--region", REGION, "--service", "sns", "-q",
        "--exclude-accounts", org.missing_role, "-o", str(tmp_path / "c.json.gz")])
    assert fine.exit_code == 0, fine.output


def test_org_options_without_organization_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collect", "--ou", "r-abcd", "-o", str(tmp_path / "x.json.gz")])
    assert result.exit_code == 2
    assert "--ou needs --organization" in result.output
    bad = CliRunner().invoke(main, ["collect", "--executor", "spark://x", "-o", str(tmp_path / "x.json.gz")])
    assert bad.exit_code == 2
    assert "expected 'threads' or 'dask://HOST:PORT'" in bad.output


def test_a_factory_source_is_asked_for_the_member_role() -> None:
    base = CredentialSource.from_factory("awsaudit.demo:scan_session", REGION)
    member = organization.member_source(base, "111111111111", "aws", OrgOptions(external_id="x"), REGION)
    assert (member.kind, member.role_arn, member.external_id) == (
        "factory", "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole", "x")
    assumed = organization.member_source(CredentialSource.named_profile("audit"), "111111111111", "aws",
                                         OrgOptions(role_name="Audit"), REGION)
    assert (assumed.kind, assumed.profile, assumed.role_arn) == (
        "assume_role", "audit", "arn:aws:iam::111111111111:role/Audit")


def test_a_killed_scan_still_says_which_accounts_it_finished(tmp_path: Path) -> None:
    """No end record (the process was killed): a pending account with a shard was assessed."""
    path = tmp_path / "killed.json.gz"
    plan = {"accounts": {"111111111111": {"outcome": "pending"}, "222222222222": {"outcome": "pending"},
                         "333333333333": {"outcome": "not_scanned", "state": "SUSPENDED"}}}
    header = snapshot.header_of({**snapshot.new("0", "2026-01-01T00:00:00+00:00"), "organization_scan": plan})
    writer = snapshot.SnapshotWriter(path, header)
    writer.add_account("111111111111", {"account_id": "111111111111", "global": {}, "regions": {}})
    loaded = snapshot.load(path)  # as if killed: no end record
    assert writer._file is not None
    writer._file.close()
    outcomes = {a: e["outcome"] for a, e in loaded["organization_scan"]["accounts"].items()}
    assert outcomes == {"111111111111": "assessed", "222222222222": "not_collected",
                        "333333333333": "not_scanned"}
    assert loaded["incomplete"] == snapshot.NO_END


def test_a_process_keeps_the_sessions_of_a_few_accounts_only(mocked_aws: None) -> None:
    from awsaudit.collect import task as task_module  # noqa: PLC0415

    sources = [CredentialSource.assume_role(f"arn:aws:iam::{n:012d}:role/Audit", region=REGION)
               for n in range(task_module.MAX_CACHED_SOURCES + 3)]
    first = sources[0].session()
    for source in sources[1:]:
        source.session()
    assert len(task_module._SESSIONS) == task_module.MAX_CACHED_SOURCES
    assert sources[0] not in task_module._SESSIONS and sources[-1] in task_module._SESSIONS
    assert sources[0].session() is not first  # built again when needed again
    sources[-1].forget()
    assert sources[-1] not in task_module._SESSIONS


class LosingExecutor(ThreadPoolExecutor):
    """A pool that 'loses the worker' of every sns task of one account, and of one account's first task."""

    def __init__(self, lost_sns: str, lost_prepare: str) -> None:
        super().__init__(max_workers=4)
        self.lost_sns, self.lost_prepare = lost_sns, lost_prepare

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        task = args[0]
        if (isinstance(task, CollectTask) and task.account == self.lost_sns and task.service == "sns") or (
                isinstance(task, organization.PrepareTask) and task.account == self.lost_prepare):
            lost: Future[Any] = Future()
            lost.set_exception(OSError("worker lost"))
            return lost
        return super().submit(fn, *args, **kwargs)


def test_a_lost_task_is_recorded_and_the_rest_collected(org: Org) -> None:
    with LosingExecutor(org.members[0], org.members[1]) as pool:
        snap = scan(executor=pool)
    account = snap["accounts"][org.members[0]]
    assert account["regions"][REGION]["sns"] == {"_errors": {"*": "ExecutorError"}}
    assert [(e["service"], e["code"]) for e in account["errors"]] == [("sns", "ExecutorError")]
    assert buckets(account) == [f"bucket-{org.members[0]}"]
    lost = snap["organization_scan"]["accounts"][org.members[1]]
    assert (lost["outcome"], lost["code"]) == ("not_assessed", "ExecutorError")


def test_scan_resume_of_a_folder_carries_on_in_it(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["collect", "--organization", "--region", REGION, "--service", "sns",
                                      "-q", "-o", str(out / "snapshot.json.gz")])
    assert first.exit_code == 3, first.output  # the member whose role is missing
    counting = Counting(monkeypatch)
    again = CliRunner().invoke(main, ["scan", "--organization", "--region", REGION, "--service", "sns",
                                      "--resume", str(out), "--no-history", "-q", "--output-formats", "json"])
    assert again.exit_code == 3, again.output  # still missing: tried again, denied again
    assert counting.tasks == Counter()  # every other account was taken from the folder's snapshot
    resumed = snapshot.load(out / "snapshot.json.gz")
    assert sorted(resumed["accounts"]) == org.scanned
    assert (out / "findings.json").exists()
    coverage = resumed["organization_scan"]["accounts"]
    assert all(coverage[a].get("resumed") for a in org.scanned)
    assert coverage[org.missing_role]["outcome"] == "not_assessed"
