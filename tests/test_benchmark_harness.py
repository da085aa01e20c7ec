"""The benchmark harness works: operations are named right, the minimum is priced, a tiny run completes.

The benchmark is run by hand (benchmarks/README.md); this only guards the machinery, in seconds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pytest
from benchmarks.accounts import SIZES, Inventory
from benchmarks.collect_bench import bench, render
from benchmarks.latency_server import LatencyCounter, OperationResolver
from benchmarks.minimum import COSTS, minimum, pages

from awsaudit.collect import COLLECTORS

AUTH = "AWS4-HMAC-SHA256 Credential=testing/20250101/eu-west-1/{service}/aws4_request, SignedHeaders=host"


def environ(service: str, method: str = "GET", path: str = "/", query: str = "", body: bytes = b"",
            **headers: str) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "HTTP_AUTHORIZATION": AUTH.format(service=service), "wsgi.input": io.BytesIO(body),
    }
    if body:
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded; charset=utf-8"
        env["CONTENT_LENGTH"] = str(len(body))
    env.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    return env


@pytest.fixture(scope="module")
def resolver() -> OperationResolver:
    return OperationResolver()


@pytest.mark.parametrize(("env", "expected"), [
    (environ("kms", "POST", x_amz_target="TrentService.ListKeys"), ("kms", "ListKeys")),
    (environ("ec2", "POST", body=b"Action=DescribeSecurityGroups&Version=2016-11-15"),
     ("ec2", "DescribeSecurityGroups")),
    (environ("monitoring", "POST", "/service/GraniteServiceVersion20100801/operation/DescribeAlarms"),
     ("cloudwatch", "DescribeAlarms")),
    (environ("s3", "GET", "/"), ("s3", "ListBuckets")),
    (environ("s3", "GET", "/acme-logs", "acl"), ("s3", "GetBucketAcl")),
    (environ("s3", "GET", "/acme-logs", "policyStatus"), ("s3", "GetBucketPolicyStatus")),
    (environ("s3", "PUT", "/acme-logs/a/b.txt"), ("s3", "PutObject")),
    (environ("s3", "PUT", "/acme-logs/a/b.txt", x_amz_copy_source="other/key"), ("s3", "CopyObject")),
    (environ("s3", "GET", "/v20180820/configuration/publicAccessBlock", x_amz_account_id="123456789012"),
     ("s3control", "GetPublicAccessBlock")),
    (environ("elasticfilesystem", "GET", "/2015-02-01/file-systems"), ("efs", "DescribeFileSystems")),
])
def test_operations_are_named_per_protocol(resolver: OperationResolver, env: dict[str, Any],
                                           expected: tuple[str, str]) -> None:
    assert resolver.resolve(env, LatencyCounter._read_form(env)) == expected


def test_the_form_body_is_given_back_to_the_app() -> None:
    seen: list[bytes] = []

    def app(env: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(env["wsgi.input"].read())
        start_response("403 Forbidden", [])
        return [b"denied"]

    layer = LatencyCounter(app, latency=0)
    body = b"Action=GetAccountSummary&Version=2010-05-08"
    assert b"".join(layer(environ("iam", "POST", body=body), lambda *a: None)) == b"denied"
    assert seen == [body]
    [row] = layer.counters.rows()
    assert (row["service"], row["operation"]) == ("iam", "GetAccountSummary")
    assert (row["calls"], row["errors"]) == (1, 1)


def test_minimum_prices_listings_per_page_and_unknown_actions_per_region() -> None:
    assert (pages(0, 100), pages(100, 100), pages(101, 100)) == (1, 1, 2)
    inventory = Inventory(account={"buckets": 3, "buckets_with_policy": 1},
                          regions={"eu-west-1": {"security_groups": 1500}, "us-east-1": {}})
    floor = minimum(inventory, ["eu-west-1", "us-east-1"], [
        ("s3", "global", ("s3:ListAllMyBuckets", "s3:GetBucketPolicyStatus", "s3:GetBucketLocation")),
        ("ec2", "regional", ("ec2:DescribeSecurityGroups", "ec2:DescribeSomethingNew")),
    ])
    assert floor.calls == {("sts", "GetCallerIdentity"): 1, ("s3", "ListBuckets"): 1,
                           ("s3", "GetBucketPolicyStatus"): 1, ("s3", "GetBucketLocation"): 3,
                           ("ec2", "DescribeSecurityGroups"): 3, ("ec2", "DescribeSomethingNew"): 2}
    assert floor.assumed == ("ec2:DescribeSomethingNew",)


def test_tiny_account_end_to_end() -> None:
    """One server, generation, survey and a scan in a subprocess: figures come back and add up."""
    [figures] = list(bench(SIZES["tiny"], [(0.0, 4)], log=lambda _message: None, end_to_end=True))
    rows = {(r["service"], r["operation"]): r for r in figures["operations"]}
    assert rows[("iam", "GetAccountAuthorizationDetails")]["calls"] >= 1
    assert rows[("s3", "GetBucketAcl")]["calls"] == figures["inventory"]["account"]["buckets"]
    assert figures["calls"] == sum(r["calls"] for r in rows.values()) > 0
    assert figures["minimum"] > 0 and figures["rss_peak_mb"] > figures["rss_after_imports_mb"] > 0
    assert figures["snapshot_resources"]["iam.users"] == SIZES["tiny"].users
    assert figures["wall_ratio"] is None  # no latency, no bound
    assert set(figures["collectors"]) == set(COLLECTORS)
    assert "API calls" in render(figures, verbose=True)
    whole = figures["end_to_end"]  # a whole `python -m awsaudit scan -o DIR` process
    assert whole["findings"] > 0 and whole["rss_peak_mb"] > 0 and whole["calls"] > 0
    assert {"findings.json", "report.html", "snapshot.json.gz"} <= set(whole["files"])


def test_every_priced_action_names_its_operation() -> None:
    for action, costs in COSTS.items():
        for cost in costs if isinstance(costs, tuple) else (costs,):
            assert cost.operation[0].isupper() and cost.service, action


def test_evaluate_bench_at_a_tiny_size() -> None:
    """The synthetic snapshot has about the resources asked for, unique ARNs, and evaluates twice alike."""
    from benchmarks.evaluate_bench import build, count_resources, run  # noqa: PLC0415
    from benchmarks.evaluate_bench import render as render_evaluation  # noqa: PLC0415

    snap = build(600, 2)
    assert 450 <= count_resources(snap) <= 750
    [account] = snap["accounts"].values()
    assert sorted(account["regions"]) == ["eu-west-1", "us-east-1"]
    arns = [u["_arn"] for u in account["global"]["iam"]["users"]]
    assert len(arns) == len(set(arns)) == 30
    first, second = run(600, 2, reports=False), run(600, 2, reports=False)
    assert first["findings"] > 0 and first["findings_hash"] == second["findings_hash"]
    assert "evaluate" in render_evaluation(first)


def test_the_organization_extrapolation_takes_the_slowest_bound() -> None:
    from benchmarks.org_bench import extrapolate  # noqa: PLC0415

    run = {"calls_per_account": 200.0, "calls": 10_000, "cpu_seconds": 2.0, "accounts": 50,
           "worker_cpu_seconds": 30.0, "dask_workers": 2, "regions": 2}
    e = extrapolate(run, accounts=1000, workers=8, threads=16, latency_ms=50)
    # 3 ms per call: a worker makes min(16 / 0.053, 1 / 0.003) = 301.9 calls/s, 8 of them 2,415/s.
    assert e["cpu_ms_per_call"] == 3.0
    assert e["calls_per_second"] == 2415
    assert e["collect_minutes"] == round(200_000 / 2415.09 / 60, 1)
    assert e["coordinator_minutes"] == round(0.04 * 1000 / 60, 1)  # 40 ms of coordinator CPU per account
    assert e["minutes"] == e["collect_minutes"] and e["met"]
    slow = extrapolate({**run, "cpu_seconds": 50.0})  # 1 s per account in the coordinator: its bound
    assert slow["minutes"] == slow["coordinator_minutes"] == round(1000 / 60, 1) and not slow["met"]
    # 4,000 global calls (80 per account) and 6,000 over 2 regions (60 per account and region).
    by_region = extrapolate({**run, "calls_by_service": {"iam": 1000, "s3": 3000, "ec2": 6000}}, regions=17)
    assert by_region["calls"] == (80 + 60 * 17) * 1000
    busy = extrapolate({**run, "worker_cpu_seconds": 100.0})  # 10 ms per call: the core is the bound
    assert busy["calls_per_second"] == 800 and busy["minutes"] == round(200_000 / 800 / 60, 1)
