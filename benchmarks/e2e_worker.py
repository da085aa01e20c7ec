"""One whole `python -m awsaudit scan -o DIR` process, timed from outside, with its peak RSS.

    python -m benchmarks.e2e_worker '{"endpoint": ..., "regions": [...], "concurrency": 8}'

This launcher imports nothing heavy: the scan process is its child, so the child's
`ru_maxrss` (from wait4) starts from this small process's size, not from the benchmark's (Linux
carries the high-water mark across fork and exec). The wall time includes Python's start,
every import, collection, evaluation and the reports (json, html, csv: the scan's defaults).
Prints one JSON line: wall seconds, peak RSS (MiB), exit code, the output files and their sizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def run(job: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")}
    env.update(FAKE_ENV)
    env["AWS_ENDPOINT_URL"] = job["endpoint"]
    env["AWS_DEFAULT_REGION"] = job["regions"][0]
    with tempfile.TemporaryDirectory(prefix="awsaudit-e2e-") as tmp:
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "awsaudit", "scan", "-o", str(out), "-q",
                   "--concurrency", str(job["concurrency"])]
        for region in job["regions"]:
            command += ["--region", region]
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        stderr = process.stderr.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        files = {p.name: p.stat().st_size for p in sorted(out.iterdir())} if out.is_dir() else {}
        findings = out / "findings.json"
        count = len(json.loads(findings.read_text()).get("findings", [])) if findings.exists() else 0
    return {
        "wall_seconds": wall,
        "rss_peak_mb": usage.ru_maxrss / 1024,  # kB on Linux
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "exit_code": process.returncode,
        "files": files,
        "findings": count,
        "stderr": stderr.decode("utf-8", "replace")[-4000:],
    }


def main() -> None:
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)


if __name__ == "__main__":
    main()
