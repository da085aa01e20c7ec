"""`--executor dask://`: an Organization scanned by a Dask cluster of worker processes.

The cluster is a `distributed.LocalCluster` of two worker processes; AWS is moto's threaded
server on 127.0.0.1 (`AWS_ENDPOINT_URL`, which the workers inherit with the fake credentials),
since worker processes cannot see an in-process mock. The member accounts are created through
moto's Organizations; each account reached through AssumeRole has its own backend there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from awsaudit import snapshot
from awsaudit.cli import main
from awsaudit.collect import task as task_module
from awsaudit.collect.executors import open_executor, parse_executor
from awsaudit.collect.organization import OrgOptions, scan_organization
from awsaudit.collect.scan import ScanOptions
from awsaudit.collect.task import CredentialSource, clear_process_cache
from awsaudit.errors import InputError
from awsaudit.model import Json
from tests.conftest import REGION

SERVICES = ("sns", "kms")




@pytest.fixture
def organization(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Three member accounts, each with an SNS topic of its own (set before the cluster starts)."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": moto_endpoint,
                       "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    orgs = boto3.client("organizations", region_name=REGION)
    orgs.create_organization(FeatureSet="ALL")
    members = []
    for i in range(3):
        account = orgs.create_account(AccountName=f"dask-{i}", Email=f"d{i}@example.com")[
            "CreateAccountStatus"]["AccountId"]
        creds = boto3.client("sts", region_name=REGION).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            RoleSessionName="setup")["Credentials"]
        boto3.client("sns", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                     aws_secret_access_key=creds["SecretAccessKey"],
                     aws_session_token=creds["SessionToken"]).create_topic(Name=f"topic-{account}")
        members.append(account)
    return members


def comparable(snap: Json) -> Json:
    return {k: v for k, v in snap.items() if k != "collected_at"}


def scan(executor: Any = None) -> Json:
    clear_process_cache()
    return scan_organization(CredentialSource.default_chain(REGION),
                             ScanOptions(regions=(REGION,), services=SERVICES, executor=executor,
                                         concurrency=4),
                             OrgOptions(account_concurrency=2))


def test_a_local_dask_cluster_scans_the_organization_as_threads_do(
    organization: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from distributed import LocalCluster  # noqa: PLC0415 - the [dask] extra

    built_here: list[str] = []
    original = task_module._build_session

    def recorded(source: CredentialSource) -> boto3.Session:
        built_here.append(source.kind)
        return original(source)

    monkeypatch.setattr(task_module, "_build_session", recorded)
    threaded = scan()
    assert built_here.count("assume_role") == len(organization)  # threads: every role assumed here
    built_here.clear()
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=2, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        address = str(cluster.scheduler_address).removeprefix("tcp://")
        with open_executor(f"dask://{address}") as executor:
            assert executor is not None
            distributed = scan(executor)
        built_for_scan = list(built_here)
        out = tmp_path / "org.json.gz"
        cli = CliRunner().invoke(main, ["collect", "--organization", "--region", REGION, "--service", "sns",
                                        "--executor", f"dask://{address}", "-q", "-o", str(out)])
        assert cli.exit_code == 0, cli.output
    assert sorted(snapshot.load(out)["accounts"]) == sorted(distributed["accounts"])
    assert comparable(distributed) == comparable(threaded)
    assert sorted(distributed["accounts"]) == sorted([*organization, "123456789012"])
    for account in organization:
        topics = distributed["accounts"][account]["regions"][REGION]["sns"]["topics"]
        assert [t["TopicArn"].rsplit(":", 1)[1] for t in topics] == [f"topic-{account}"]
    # The members' roles were assumed where the tasks ran, in the workers: none in this process.
    assert built_for_scan == ["default"]  # the caller's own, to list the organization


def test_a_bad_executor_is_one_readable_error() -> None:
    assert parse_executor("threads") is None
    assert parse_executor("dask://10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    for spec in ("dask://nohost", "tcp://10.0.0.5:8786", "processes"):
        with pytest.raises(InputError, match="expected 'threads' or 'dask://HOST:PORT'"):
            parse_executor(spec)
    with pytest.raises(InputError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"), \
            open_executor("dask://127.0.0.1:9", timeout=1):
        pass


def test_without_the_option_nothing_of_dask_is_imported() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "import awsaudit.cli, awsaudit.collect.organization, awsaudit.collect.executors\n"
        "from awsaudit.collect.executors import open_executor\n"
        "with open_executor('threads') as executor: assert executor is None\n"
        "assert CliRunner().invoke(awsaudit.cli.main, ['scan', '--help']).exit_code == 0\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
