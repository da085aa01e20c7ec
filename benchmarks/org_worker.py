"""One Organization scan, alone in its own process: the coordinating process whose memory is measured.

    python -m benchmarks.org_worker '{"endpoint": ..., "regions": [...], "accounts": [...],
        "concurrency": 16, "account_concurrency": 4, "max_attempts": 2, "dask": null | "HOST:PORT",
        "snapshot": "/tmp/org.json.gz"}'

Runs awsaudit.collect.organization.scan_organization as `awsaudit scan --organization` does (the
default credential chain, the malloc arena cap, shards written to the snapshot file as accounts
complete), on threads or on a Dask scheduler's workers. Prints one JSON line: wall and CPU time,
RSS after imports, at peak, and after each account completed, and the accounts' outcomes.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.scan_worker import FAKE_ENV, _current_rss_mb, _peak_rss_mb


def run(job: dict[str, Any]) -> dict[str, Any]:
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(FAKE_ENV)
    os.environ["AWS_ENDPOINT_URL"] = job["endpoint"]
    os.environ["AWS_DEFAULT_REGION"] = job["regions"][0]

    import boto3  # noqa: F401, PLC0415  (after the environment is set: boto3 reads it once)

    from awsaudit.collect.executors import open_executor  # noqa: PLC0415
    from awsaudit.collect.organization import OrgOptions, scan_organization  # noqa: PLC0415
    from awsaudit.collect.scan import ScanOptions  # noqa: PLC0415
    from awsaudit.collect.task import CredentialSource, limit_malloc_arenas  # noqa: PLC0415

    limit_malloc_arenas()
    rss_ready = _current_rss_mb()
    samples: list[tuple[int, float, float, int]] = []  # (accounts done, seconds, RSS MiB, objects)
    last = [-1]

    def progress(_what: str, done: int, _total: int) -> None:
        if done != last[0]:
            last[0] = done
            samples.append((done, round(time.perf_counter() - started, 2), round(_current_rss_mb(), 1),
                            len(gc.get_objects())))

    spec = f"dask://{job['dask']}" if job.get("dask") else "threads"
    path = Path(job["snapshot"])
    with open_executor(spec) as executor:
        options = ScanOptions(regions=tuple(job["regions"]), concurrency=int(job["concurrency"]),
                              max_attempts=int(job["max_attempts"]), executor=executor,
                              progress=progress, snapshot_path=path)
        org = OrgOptions(accounts=tuple(job["accounts"]), account_concurrency=int(job["account_concurrency"]))
        started, cpu_started = time.perf_counter(), time.process_time()
        snap = scan_organization(CredentialSource.default_chain(job["regions"][0]), options, org)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    coverage = snap["organization_scan"]["accounts"]
    outcomes: dict[str, int] = {}
    for entry in coverage.values():
        outcomes[entry["outcome"]] = outcomes.get(entry["outcome"], 0) + 1
    return {
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "rss_after_imports_mb": rss_ready,
        "rss_peak_mb": _peak_rss_mb(),
        "rss_samples": samples,
        "outcomes": outcomes,
        "accounts_in_memory": len(snap["accounts"]),
        "snapshot_bytes": path.stat().st_size,
    }


def main() -> None:
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)


if __name__ == "__main__":
    main()
