"""A region the account has not enabled, and one whose endpoint refuses connections: both are
reported in coverage, and the scan goes on with the others."""

from __future__ import annotations

import os
import re
import socket
from typing import Any

import boto3

from awsaudit.collect.task import CredentialSource
from awsaudit.report.coverage import NOT_ENABLED, coverage
from tests.faults.conftest import Scan, Scanner
from tests.faults.harness import HOME, changed, made_up

REFUSING = "eu-central-1"
ACCOUNT_WIDE = frozenset({"organizations_management_account_no_workloads"})
"""Judges the account from every region's data (which buckets are trail or log buckets): a region
that cannot be read changes its per-bucket findings elsewhere; it still FAILs (not_unknown)."""
SCOPE_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refusing_session(region_name: str | None = None) -> boto3.Session:
    """The scan's session factory: requests for REFUSING go to a port that refuses connections."""
    session = boto3.Session(region_name=region_name)
    port = os.environ["FAULTS_REFUSED_PORT"]

    def redirect(request: Any, **_: Any) -> None:
        found = SCOPE_REGION.search(str(request.headers.get("Authorization", b""), "utf-8", "replace")
                                    if isinstance(request.headers.get("Authorization"), bytes)
                                    else str(request.headers.get("Authorization", "")))
        if found and found.group(1) == REFUSING:
            request.url = re.sub(r"^http://[^/]+", f"http://127.0.0.1:{port}", request.url)

    session.events.register_first("before-send", redirect)
    return session


def test_a_region_not_enabled_is_skipped_and_reported(baseline: Scan, scan: Scanner) -> None:
    result = scan(regions=(HOME, "ap-east-1"))
    account = result.account
    assert account["regions_scanned"] == [HOME] and account["regions_disabled"] == ["ap-east-1"]
    rows = [r for r in coverage(result.snapshot, result.findings) if r.region == "ap-east-1"]
    assert [(r.service, r.state) for r in rows] == [("*", NOT_ENABLED)]
    assert {k: v for k, v in result.keyed.items() if v[3] == HOME} == {
        k: v for k, v in baseline.keyed.items() if v[3] == HOME}


def test_a_region_refusing_connections_is_reported_and_the_rest_collected(
    baseline: Scan, scan: Scanner, monkeypatch: Any
) -> None:
    monkeypatch.setenv("FAULTS_REFUSED_PORT", str(closed_port()))
    source = CredentialSource.from_factory("tests.faults.test_regions:refusing_session", HOME)
    result = scan(source, max_attempts=2)
    rows = coverage(result.snapshot, result.findings)
    refused = [r for r in rows if r.region == REFUSING]
    assert refused and {r.state for r in refused} == {"failed"}
    assert {c for r in refused for c in r.codes} == {"EndpointConnectionError"}
    assert all(r.state != "failed" for r in rows if r.region in ("eu-west-1", "us-east-1")
               and r.service != "accessanalyzer")  # moto lacks Access Analyzer: failed everywhere
    diff = changed(baseline.keyed, result.keyed)
    assert diff and made_up(diff) == {}
    others = {k: v for k, v in baseline.keyed.items() if v[3] in ("eu-west-1", "us-east-1")
              and v[2] not in ACCOUNT_WIDE}
    assert {k: result.keyed.get(k) for k in others} == others, "the other regions are untouched"
