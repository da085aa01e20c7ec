"""One scan, alone in its own process, so that its peak RSS is the scanner's and nothing else's.

    python -m benchmarks.scan_worker '{"endpoint": ..., "regions": [...], "concurrency": 8}'

Prints one JSON line: wall time, RSS after imports and at peak, and what the snapshot holds.
The endpoint is forced through AWS_ENDPOINT_URL with fake credentials: this never reaches AWS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def _peak_rss_mb() -> float:
    """The process's peak RSS: VmHWM of its own memory map.

    Not getrusage().ru_maxrss: Linux keeps that across exec, so a process started by a big parent
    (the benchmark, after generating an account) reports the parent's RSS at fork time.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the best there is


def _current_rss_mb() -> float:
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(job: dict[str, Any]) -> dict[str, Any]:
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(FAKE_ENV)
    os.environ["AWS_ENDPOINT_URL"] = job["endpoint"]
    os.environ["AWS_DEFAULT_REGION"] = job["regions"][0]

    import boto3  # noqa: F401, PLC0415  (imported after the environment is set: boto3 reads it once)

    from awsaudit.collect.scan import ScanOptions, scan_account  # noqa: PLC0415
    from awsaudit.collect.task import CredentialSource  # noqa: PLC0415

    try:  # as `awsaudit scan` does before collecting (source trees before it had no such call)
        from awsaudit.collect.task import limit_malloc_arenas  # noqa: PLC0415
    except ImportError:
        pass
    else:
        limit_malloc_arenas()
    rss_ready = _current_rss_mb()
    # As `awsaudit scan` does: the default credential chain, sessions built by the scanner (a ready
    # boto3.Session would bring its own botocore loader, not the scanner's shared one).
    source = CredentialSource.default_chain(job["regions"][0])
    finished: list[tuple[str, float]] = []
    options = ScanOptions(regions=tuple(job["regions"]), concurrency=int(job["concurrency"]),
                          progress=lambda what, _done, _total: finished.append(
                              (what, round(time.perf_counter() - started, 2))))
    started, cpu_started = time.perf_counter(), time.process_time()
    snap = scan_account(source, options)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = _peak_rss_mb()

    account = next(iter(snap["accounts"].values()))
    errors: dict[str, dict[str, Any]] = {}
    for error in account["errors"]:
        key = f"{error['service']} {error['operation']} {error['code']}"
        message = " ".join(str(error["message"]).split())[:160]
        row = errors.setdefault(key, {"count": 0,
                                      "example": f"{error['region']} {error['resource']}: {message}"})
        row["count"] += 1
    return {
        "wall_seconds": wall,
        "rss_after_imports_mb": rss_ready,
        "rss_peak_mb": peak,
        "resources": _resources(account),
        "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1]["count"])),
        "cpu_seconds": cpu,
        "finished": finished,  # (service region, seconds since the scan started), in completion order
        "snapshot_bytes": len(json.dumps(snap)),
    }


def _resources(account: dict[str, Any]) -> dict[str, int]:
    """Items per service.collection (summed over regions): a cross-check against the inventory."""
    found: Counter[str] = Counter()
    places = [account["global"], *account["regions"].values()]
    for place in places:
        for service, data in place.items():
            for collection, value in data.items():
                if isinstance(value, list) and not collection.startswith("_"):
                    found[f"{service}.{collection}"] += len(value)
    return dict(sorted(found.items()))


def main() -> None:
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)


if __name__ == "__main__":
    main()
