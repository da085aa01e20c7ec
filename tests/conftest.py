"""Shared fixtures: fake credentials, moto, and injected AWS errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from awsaudit.collect._call import Context
from awsaudit.collect.task import clear_process_cache

REGION = "eu-west-1"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def _fresh_process_cache() -> Iterator[None]:
    """Sessions and clients cached per process would carry one test's moto and credentials into the next."""
    clear_process_cache()
    yield
    clear_process_cache()


@pytest.fixture(autouse=True)
def _private_history_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own XDG data dir: no test ever writes the user's real history store,
    and no test sees another test's scans."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so that nothing can ever reach a real account."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        # Loading ~1,300 AWS managed policies costs seconds per test; tests that need them ask.
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def mocked_aws(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def session(mocked_aws: None) -> boto3.Session:
    return boto3.Session(region_name=REGION)


@pytest.fixture
def ctx(session: boto3.Session) -> Context:
    return Context(session, ACCOUNT, REGION)


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """deny("GetBucketAcl", code="AccessDenied"): make these operations fail like AWS would."""

    def install(*operations: str, code: str = "AccessDenied", status: int = 403) -> None:
        original = BaseClient._make_api_call

        def fake(self: BaseClient, operation_name: str, api_params: Any) -> Any:
            if operation_name in operations:
                raise ClientError(
                    {"Error": {"Code": code, "Message": f"injected {code}"},
                     "ResponseMetadata": {"HTTPStatusCode": status}},
                    operation_name,
                )
            return original(self, operation_name, api_params)

        monkeypatch.setattr(BaseClient, "_make_api_call", fake)

    return install


@pytest.fixture(scope="session", autouse=True)
def _small_ami_catalogue(tmp_path_factory: pytest.TempPathFactory) -> None:
    """moto ships ~1,300 AMIs per region; an empty catalogue keeps EC2 scans fast and realistic."""
    path = tmp_path_factory.mktemp("moto") / "amis.json"
    path.write_text("[]")
    os.environ.setdefault("MOTO_AMIS_PATH", str(path))


@pytest.fixture
def managed_policies(aws_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that attach AWS managed policies (AdministratorAccess ...): request before mocked_aws."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@pytest.fixture(scope="session")
def demo_snapshot() -> dict[str, Any]:
    """The demo account, collected once per test session (about 20 s); tests must not modify it."""
    from awsaudit.demo import collect_demo  # noqa: PLC0415

    return collect_demo()
