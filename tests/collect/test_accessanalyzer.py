"""Access Analyzer collector with botocore's Stubber (moto 5.2 does not implement the service)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from awsaudit.checks import evaluate
from awsaudit.checks.iam.accessanalyzer import accessanalyzer_enabled
from awsaudit.collect import accessanalyzer
from awsaudit.collect._call import Context
from awsaudit.model import Json, Status
from tests.conftest import ACCOUNT, REGION


def analyzer(name: str, type: str = "ACCOUNT", status: str = "ACTIVE") -> Json:
    return {"arn": f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/{name}", "name": name, "type": type,
            "createdAt": "2024-05-01T10:00:00Z", "status": status}


@pytest.fixture
def ctx(aws_credentials: None) -> Context:
    """No moto here: the Stubber answers every call, and fails the test on any it was not given."""
    return Context(boto3.Session(region_name=REGION), ACCOUNT, REGION)


@pytest.fixture
def stub(ctx: Context) -> Iterator[Stubber]:
    client: Any = ctx.client("accessanalyzer")  # the cached client collect() will use
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_analyzers_across_pages(ctx: Context, stub: Stubber) -> None:
    stub.add_response("list_analyzers", {"analyzers": [analyzer("acme-unused", "ACCOUNT_UNUSED_ACCESS")],
                                         "nextToken": "page-2"}, {})
    stub.add_response("list_analyzers", {"analyzers": [analyzer("acme-account")]}, {"nextToken": "page-2"})

    region = accessanalyzer.collect(ctx)["region"]

    assert region["_arn"] == f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:region"
    assert [a["name"] for a in region["analyzers"]] == ["acme-unused", "acme-account"]
    assert isinstance(region["analyzers"][0]["createdAt"], str)
    assert ctx.errors == []
    regions = {REGION: {"accessanalyzer": {"region": region}}}
    (finding,) = evaluate({"accounts": {ACCOUNT: {"regions": regions}}}, [accessanalyzer_enabled])
    assert finding.status is Status.PASS
    assert finding.resource == region["_arn"]


def test_no_analyzer_fails(ctx: Context, stub: Stubber) -> None:
    stub.add_response("list_analyzers", {"analyzers": []}, {})

    region = accessanalyzer.collect(ctx)["region"]

    assert region["analyzers"] == []
    assert accessanalyzer_enabled.evaluate(region).status is Status.FAIL


def test_denied_listing_is_absent_with_reason(ctx: Context, stub: Stubber) -> None:
    stub.add_client_error("list_analyzers", service_error_code="AccessDeniedException", http_status_code=403)

    region = accessanalyzer.collect(ctx)["region"]

    assert "analyzers" not in region
    assert region["_errors"] == {"analyzers": "AccessDeniedException"}
    assert [(e["service"], e["operation"], e["code"]) for e in ctx.errors] == [
        ("accessanalyzer", "ListAnalyzers", "AccessDeniedException")]
    assert accessanalyzer_enabled.evaluate(region).status is Status.UNKNOWN
