"""The demo: Acme Corp's misconfigured account, simulated in-process with moto, audited for real.

Each area module builds its part of the account (`build(session, regions)`); the
account is then collected by the very scanner a real scan uses.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3

from awsaudit.collect.scan import Progress, ScanOptions, scan_account
from awsaudit.collect.task import CredentialSource, clear_process_cache
from awsaudit.model import Json

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
"""Home region first: Acme runs in Ireland, has legacy in Virginia and backups in Frankfurt."""

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": REGIONS[0], "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}
_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


@contextmanager
def simulated_aws() -> Iterator[None]:
    """moto in-process with fake credentials, so the demo can never touch a real account.

    moto's catalogue of ~1,300 public AMIs would be listed as the account's own; an empty
    catalogue keeps the simulated account realistic and the demo fast.
    """
    saved = {k: os.environ.get(k) for k in (*_FAKE_ENV, *_CLEARED, "MOTO_AMIS_PATH")}
    with tempfile.TemporaryDirectory(prefix="awsaudit-demo-") as tmp:
        amis = Path(tmp) / "amis.json"
        amis.write_text("[]", encoding="utf-8")
        os.environ.update(_FAKE_ENV)
        os.environ["MOTO_AMIS_PATH"] = str(amis)
        for key in _CLEARED:
            os.environ.pop(key, None)
        try:
            from moto import mock_aws  # noqa: PLC0415 - moto is a demo/test dependency only

            with mock_aws():
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def build_account(regions: tuple[str, ...] = REGIONS) -> None:
    """Create Acme's resources in the (already active) moto backend."""
    from awsaudit.demo import (  # noqa: PLC0415
        account,
        databases,
        governance,
        iam,
        logging,
        messaging,
        monitoring,
        network,
        restricted,
        s3,
    )

    session = boto3.Session(region_name=regions[0])
    for area in (iam, network, s3, logging, monitoring, messaging, governance, databases, account,
                 restricted):
        area.build(session, regions)


def scan_session(region_name: str | None = None) -> boto3.Session:
    """The auditor's session on the simulated account: the scan's session factory.

    Its event handlers answer what moto lacks and deny what Acme's policies deny, so it cannot
    travel in a task; tasks name this function ("awsaudit.demo:scan_session") and each process
    builds it. Only threads see the in-process moto backend, so the demo runs on threads.
    """
    from awsaudit.demo import account, governance, restricted  # noqa: PLC0415

    session = boto3.Session(region_name=region_name or REGIONS[0])
    restricted.enforce(session)  # the auditor's role is denied on the HR bucket, as in real life
    account.simulate(session)  # answers the read-only calls moto lacks, as AWS would for Acme
    governance.simulate(session)  # IAM Access Analyzer, which moto lacks
    return session


def collect_demo(progress: Progress | None = None, regions: tuple[str, ...] = REGIONS) -> Json:
    """Build the demo account and collect it with the real scanner; returns the snapshot."""
    source = CredentialSource.from_factory(f"{__name__}:scan_session", regions[0])
    with simulated_aws():
        build_account(regions)
        clear_process_cache()  # sessions cached by an earlier scan belong to another backend
        try:
            return scan_account(source, ScanOptions(regions=regions, progress=progress))
        finally:
            clear_process_cache()


def collect_demo_drift(
    progress: Progress | None = None, regions: tuple[str, ...] = REGIONS
) -> tuple[Json, Json, list[str]]:
    """Acme audited twice with a change set in between (demo/drift.py), in one simulated account:
    (the first snapshot, the second, what changed in words)."""
    from awsaudit.demo import drift  # noqa: PLC0415

    source = CredentialSource.from_factory(f"{__name__}:scan_session", regions[0])
    with simulated_aws():
        build_account(regions)
        clear_process_cache()
        try:
            before = scan_account(source, ScanOptions(regions=regions, progress=progress))
            changes = drift.apply(boto3.Session(region_name=regions[0]), regions)
            clear_process_cache()
            after = scan_account(source, ScanOptions(regions=regions, progress=progress))
        finally:
            clear_process_cache()
    return before, after, changes
