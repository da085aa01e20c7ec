"""Collection tasks: picklable values, their results carry their errors, clients shared per process.

Two ways of running tasks off the main thread's memory are tested:
- in-process with mock_aws, through an executor that pickles every task and every result
  (what crosses a process boundary is exactly what crosses it here);
- a real ProcessPoolExecutor (spawned workers) against moto's ThreadedMotoServer on 127.0.0.1
  via AWS_ENDPOINT_URL, since worker processes cannot see an in-process mock.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, ParamSpec, TypeVar

import boto3
import pytest
from botocore.credentials import DeferredRefreshableCredentials

from awsaudit.collect import COLLECTORS
from awsaudit.collect._call import Context
from awsaudit.collect.scan import ScanOptions, scan_account
from awsaudit.collect.task import (
    CollectTask,
    CredentialSource,
    TaskOptions,
    TaskResult,
    clear_process_cache,
    run_task,
)
from awsaudit.model import Json
from tests.conftest import ACCOUNT, REGION

P = ParamSpec("P")
T = TypeVar("T")
SERVICES = ("ec2", "cloudtrail", "kms", "sns")


class PicklingExecutor(Executor):
    """Runs each call inline, but only on a pickled copy of its arguments, returning a pickled copy."""

    def __init__(self) -> None:
        self.tasks = 0

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        fn, args, kwargs = pickle.loads(pickle.dumps((fn, args, kwargs)))
        self.tasks += 1
        future.set_result(pickle.loads(pickle.dumps(fn(*args, **kwargs))))
        return future


def task(service: str, region: str | None = REGION, **options: Any) -> CollectTask:
    return CollectTask(ACCOUNT, "aws", service, region, CredentialSource.default_chain(REGION),
                       TaskOptions(**options), REGION)


def comparable(snap: Json) -> Json:
    return {k: v for k, v in snap.items() if k != "collected_at"}


def test_a_task_pickles_and_carries_no_session() -> None:
    sources = [
        CredentialSource.default_chain("eu-west-1"),
        CredentialSource.named_profile("audit", "eu-west-1"),
        CredentialSource.assume_role("arn:aws:iam::111111111111:role/Audit", external_id="x-42",
                                     session_name="awsaudit-test"),
        CredentialSource.from_factory("awsaudit.demo:scan_session", "eu-west-1"),
    ]
    for source in sources:
        original = CollectTask("111111111111", "aws", "iam", None, source, TaskOptions(max_attempts=3))
        data = pickle.dumps(original)
        assert pickle.loads(data) == original
        assert len(data) < 1_000  # a description, not a session


def test_threaded_and_pickled_runs_give_the_same_snapshot(session: boto3.Session) -> None:
    ec2 = session.client("ec2")
    group = ec2.create_security_group(GroupName="open", Description="open")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    session.client("sns").create_topic(Name="alerts")
    source = CredentialSource.default_chain(REGION)
    options = ScanOptions(regions=(REGION, "us-east-1"), services=SERVICES)
    threaded = scan_account(source, options)
    executor = PicklingExecutor()
    pickled = scan_account(source, ScanOptions(regions=options.regions, services=SERVICES, executor=executor))
    assert executor.tasks == len(SERVICES) * 2
    assert comparable(pickled) == comparable(threaded)
    assert threaded["accounts"][ACCOUNT]["regions"][REGION]["ec2"]["security_groups"]


def test_errors_of_a_task_come_back_in_its_result(mocked_aws: None, deny: Callable[..., None]) -> None:
    deny("DescribeTrails")
    result = pickle.loads(pickle.dumps(run_task(task("cloudtrail"))))
    assert isinstance(result, TaskResult)
    assert [(e["operation"], e["code"], e["region"]) for e in result.errors] == [
        ("DescribeTrails", "AccessDenied", REGION)]
    assert result.data["_errors"]["trails"] == "AccessDenied"
    assert run_task(task("sns")).errors == []  # each task has its own error list


def test_a_crashing_collector_is_contained_in_its_result(
    mocked_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: Context) -> Json:
        raise KeyError("surprise")

    monkeypatch.setitem(COLLECTORS, "sns", COLLECTORS["sns"].__class__(
        "sns", "regional", boom, COLLECTORS["sns"].produces, COLLECTORS["sns"].actions))
    result = run_task(task("sns"))
    assert result.data == {"_errors": {"*": "CollectorError: KeyError"}}
    assert [e["code"] for e in result.errors] == ["CollectorError"]


def test_a_process_local_session_elsewhere_is_a_recorded_error(mocked_aws: None) -> None:
    session = boto3.Session(region_name=REGION)  # held weakly by the registry: the caller keeps it
    source = CredentialSource.local(session)
    elsewhere = CredentialSource("local", REGION, token="local-from-another-process")
    assert run_task(CollectTask(ACCOUNT, "aws", "sns", REGION, source)).errors == []
    result = run_task(CollectTask(ACCOUNT, "aws", "sns", REGION, elsewhere))
    assert [e["code"] for e in result.errors] == ["CredentialSourceError"]
    assert result.data == {"_errors": {"*": "CredentialSourceError"}}


def test_one_client_per_service_and_region_per_process(
    mocked_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: Counter[tuple[str, str]] = Counter()
    original = boto3.Session.client

    def counting(self: boto3.Session, service: str, region_name: str | None = None, **kw: Any) -> Any:
        made[(service, region_name or "")] += 1
        return original(self, service, region_name=region_name, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(boto3.Session, "client", counting)
    tasks = [task(s, r) for s in ("ec2", "kms", "sns") for r in (REGION, "us-east-1")]
    for _ in range(2):  # a second round (another scan, the same process) makes no new clients
        for t in tasks:
            assert run_task(t).errors == []
    assert made and set(made.values()) == {1}, made
    assert {("ec2", REGION), ("ec2", "us-east-1"), ("sns", REGION), ("kms", "us-east-1")} <= set(made)
    clear_process_cache()
    run_task(tasks[0])
    assert made[("ec2", REGION)] == 2


def test_an_assumed_role_source_refreshes_and_acts_in_the_role_account(mocked_aws: None) -> None:
    source = CredentialSource.assume_role("arn:aws:iam::111111111111:role/Audit", external_id="x-42",
                                          region=REGION)
    session = source.session()
    assert isinstance(session.get_credentials(), DeferredRefreshableCredentials)
    assert session.client("sts").get_caller_identity()["Account"] == "111111111111"
    assert source.session() is session  # one session per source per process




def test_a_process_pool_gives_the_same_snapshot_as_threads(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    boto3.client("sns", region_name=REGION).create_topic(Name="process-pool")
    source = CredentialSource.default_chain(REGION)
    threaded = scan_account(source, ScanOptions(regions=(REGION,), services=SERVICES))
    context = multiprocessing.get_context("spawn")  # workers inherit nothing but the environment
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        pooled = scan_account(source, ScanOptions(regions=(REGION,), services=SERVICES, executor=pool))
    assert comparable(pooled) == comparable(threaded)
    topics = pooled["accounts"][next(iter(pooled["accounts"]))]["regions"][REGION]["sns"]["topics"]
    assert any("process-pool" in str(t) for t in topics)
