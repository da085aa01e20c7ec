"""The demo: Acme Corp's misconfigured Organization, simulated in-process with moto, audited for real.

Each area module builds its part of the management account (`build(session, regions)`), and
members.py the member accounts; the Organization is then collected by the very scanner a real
`awsaudit scan --organization` uses (collect/organization.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3

from awsaudit.collect.organization import OrgOptions, scan_organization
from awsaudit.collect.scan import Progress, ScanOptions
from awsaudit.collect.task import CredentialSource, clear_process_cache
from awsaudit.model import Json

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
"""Home region first: Acme runs in Ireland, has legacy in Virginia and backups in Frankfurt."""

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": REGIONS[0], "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}
DEMO_SEED = 20191103
"""Seed of moto's id generator in the demo (Acme's AWS account opened on 3 November 2019)."""
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
            from moto.moto_api._internal import mock_random  # noqa: PLC0415

            with mock_aws():
                # moto draws account, organization, OU and resource ids from one generator:
                # seeded, every run of the demo builds the same ids (history compares runs).
                mock_random.seed(DEMO_SEED)
                yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def build_account(regions: tuple[str, ...] = REGIONS) -> None:
    """Create Acme's resources (management account, then members) in the active moto backend."""
    from awsaudit.demo import (  # noqa: PLC0415
        account,
        databases,
        governance,
        iam,
        logging,
        members,
        messaging,
        monitoring,
        network,
        restricted,
        s3,
    )

    session = boto3.Session(region_name=regions[0])
    for area in (iam, network, s3, logging, monitoring, messaging, governance, databases, account,
                 restricted, members):
        area.build(session, regions)


def scan_session(region_name: str | None = None, role_arn: str | None = None,
                 external_id: str | None = None, session_name: str = "awsaudit") -> boto3.Session:
    """The auditor's session on the simulated account (or, with a role, on a member account):
    the scan's session factory.

    Its event handlers answer what moto lacks and deny what Acme's policies deny, so it cannot
    travel in a task; tasks name this function ("awsaudit.demo:scan_session") and each process
    builds it. Only threads see the in-process moto backend, so the demo runs on threads.
    """
    from awsaudit.demo import account, governance, members, restricted  # noqa: PLC0415

    region = region_name or REGIONS[0]
    session = boto3.Session(region_name=region)
    if role_arn is not None:  # a member account, through its role (AccessDenied if it has none)
        session = members.member_session(session, role_arn, region, session_name, external_id)
        account.simulate(session)
        governance.simulate(session, analyzer=False)  # no member account has an analyzer
        return session
    restricted.enforce(session)  # the auditor's role is denied on the HR bucket, as in real life
    account.simulate(session)  # answers the read-only calls moto lacks, as AWS would for Acme
    governance.simulate(session)  # IAM Access Analyzer, which moto lacks
    return session


def collect_demo(progress: Progress | None = None, regions: tuple[str, ...] = REGIONS) -> Json:
    """Build the demo Organization and collect every account with the real scanner (the
    management account with its own credentials, the members through their role); returns the
    snapshot, with the accounts that could not be assessed in its organization_scan."""
    source = CredentialSource.from_factory(f"{__name__}:scan_session", regions[0])
    with simulated_aws():
        build_account(regions)
        clear_process_cache()  # sessions cached by an earlier scan belong to another backend
        try:
            return scan_organization(source, ScanOptions(regions=regions, progress=progress), OrgOptions())
        finally:
            clear_process_cache()


def collect_demo_drift(
    progress: Progress | None = None, regions: tuple[str, ...] = REGIONS
) -> tuple[Json, Json, list[str]]:
    """Acme's Organization audited twice with a change set in between (demo/drift.py, in the
    management account): (the first snapshot, the second, what changed in words)."""
    from awsaudit.demo import drift  # noqa: PLC0415

    source = CredentialSource.from_factory(f"{__name__}:scan_session", regions[0])
    with simulated_aws():
        build_account(regions)
        clear_process_cache()
        try:
            before = scan_organization(source, ScanOptions(regions=regions, progress=progress), OrgOptions())
            changes = drift.apply(boto3.Session(region_name=regions[0]), regions)
            clear_process_cache()
            after = scan_organization(source, ScanOptions(regions=regions, progress=progress), OrgOptions())
        finally:
            clear_process_cache()
    return before, after, changes
