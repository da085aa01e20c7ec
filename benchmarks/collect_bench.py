"""How fast and how economical is a scan? Calls, wall time and memory against moto with a fixed latency.

    .venv/bin/python -m benchmarks.collect_bench --size small [--size medium] [--latency-ms 50]
        [--latency-ms 10] [--concurrency 8] [--verbose] [--json results.json]

Per size: a fresh moto server in its own process (behind benchmarks.latency_server), an account
generated through it without latency, its inventory surveyed, then for each latency and
concurrency given: the counters reset and one scan (awsaudit.collect.scan.scan_account, every registered
collector) in a process of its own, so that its peak RSS is the scanner's alone. Printed: wall
time against the bound (minimum calls x latency / concurrency), API calls against the minimum
the inventory needs (benchmarks.minimum), peak RSS, and the calls by service (by operation with
--verbose). See benchmarks/README.md for the targets and the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from awsaudit.collect import COLLECTORS
from awsaudit.collect.scan import ScanOptions
from benchmarks.accounts import SIZES, Size, generate, survey
from benchmarks.minimum import Minimum, minimum

ROOT = Path(__file__).resolve().parent.parent
TARGET_CALLS = 1.2
TARGET_WALL = 1.5
TARGET_RSS_MB = {"small": 100, "large": 200}
"""Peak RSS targets (MiB) by size; other sizes are held to the large account's."""
TARGET_E2E_SECONDS = {"small": 7.0}
"""Whole `python -m awsaudit scan` process (start, imports, scan, evaluation, reports), by size."""
DEFAULT_LATENCY_MS = 50.0


class Server:
    """The latency server's control endpoints."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _control(self, command: str, method: str = "POST") -> Any:
        request = urllib.request.Request(f"{self.url}/_bench/{command}", method=method)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def counts(self) -> dict[str, Any]:
        """{"counts": [row per (service, operation)], "cpu_seconds": server CPU since the reset}."""
        answer: dict[str, Any] = self._control("counts", "GET")
        return answer

    def reset(self) -> None:
        self._control("reset")

    def latency(self, ms: float) -> None:
        self._control(f"latency?ms={ms}")


@contextmanager
def server_process() -> Iterator[Server]:
    """A fresh moto server (empty AMI catalogue, no AWS managed policies) on a free port."""
    with tempfile.TemporaryDirectory(prefix="awsaudit-bench-") as tmp:
        amis = Path(tmp) / "amis.json"
        amis.write_text("[]")
        env = {**os.environ, "MOTO_AMIS_PATH": str(amis), "MOTO_IAM_LOAD_MANAGED_POLICIES": "false",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        # moto prints a traceback for each request to a service it lacks (HTTP 500): kept out of sight.
        log = (Path(tmp) / "server.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.latency_server", "--port", "0", "--latency-ms", "0",
             "--exit-on-stdin-eof"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # blocks until the server listens (or dies)
            if not line.startswith("PORT "):
                log.flush()
                tail = (Path(tmp) / "server.log").read_text()[-2000:]
                raise RuntimeError(f"latency server did not start (exit code {process.poll()}):\n{tail}")
            yield Server(f"http://127.0.0.1:{int(line.split()[1])}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
            log.close()


def scan_in_subprocess(url: str, regions: tuple[str, ...], concurrency: int) -> dict[str, Any]:
    job = json.dumps({"endpoint": url, "regions": list(regions), "concurrency": concurrency})
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "benchmarks.scan_worker", job], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scan failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def end_to_end_in_subprocess(url: str, regions: tuple[str, ...], concurrency: int) -> dict[str, Any]:
    """A whole `python -m awsaudit scan -o DIR` process, started by benchmarks.e2e_worker."""
    job = json.dumps({"endpoint": url, "regions": list(regions), "concurrency": concurrency})
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "benchmarks.e2e_worker", job], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"end-to-end launcher failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # 1: findings at --fail-on (not asked here); 3: a service moto's server lacks (Access Analyzer)
    # could not be collected at all, which the coverage reports; 2 or a crash: trouble
    if result["exit_code"] not in (0, 1, 3):
        raise RuntimeError(f"awsaudit scan exited {result['exit_code']}:\n{result['stderr']}")
    return result


def bench(size: Size, runs: Sequence[tuple[float, int]], log: Callable[[str], None] = print,
          end_to_end: bool = False) -> Iterator[dict[str, Any]]:
    """Generate and survey once, then scan once per (latency ms, concurrency); yield each run's figures.

    With end_to_end, each run is followed by a whole `python -m awsaudit scan -o DIR` process at
    the same latency and concurrency (figures under "end_to_end").
    """
    with server_process() as server:
        started = time.perf_counter()
        generate(server.url, size, warn=log)
        generated = time.perf_counter()
        inventory = survey(server.url, size.regions)
        log(f"[{size.name}] generated in {generated - started:.1f} s, "
            f"surveyed in {time.perf_counter() - generated:.1f} s")
        declared = [(c.service, c.scope, c.actions) for c in COLLECTORS.values()]
        for latency_ms, concurrency in runs:
            server.reset()
            server.latency(latency_ms)
            scan = scan_in_subprocess(server.url, size.regions, concurrency)
            counts = server.counts()
            server.latency(0)
            floor = minimum(inventory, size.regions, declared)
            figures = _figures(size, latency_ms, concurrency, generated - started, inventory.as_json(), scan,
                               counts, floor)
            # AWS keeps a credential report for 4 hours: the next scan finds it ready.
            inventory.facts["credential_report_ready"] = True
            if end_to_end:
                server.reset()
                server.latency(latency_ms)
                whole = end_to_end_in_subprocess(server.url, size.regions, concurrency)
                calls = sum(r["calls"] for r in server.counts()["counts"])
                server.latency(0)
                again = minimum(inventory, size.regions, declared).total
                figures["end_to_end"] = {
                    "wall_seconds": round(whole["wall_seconds"], 2),
                    "rss_peak_mb": round(whole["rss_peak_mb"], 1),
                    "cpu_seconds": round(whole["cpu_seconds"], 2),
                    "calls": calls, "minimum": again, "findings": whole["findings"], "files": whole["files"],
                }
            yield figures


def _figures(size: Size, latency_ms: float, concurrency: int, generation: float, inventory: dict[str, Any],
             scan: dict[str, Any], server: dict[str, Any], floor: Minimum) -> dict[str, Any]:
    operations: dict[str, dict[str, Any]] = {f"{r['service']} {r['operation']}": {**r, "minimum": 0}
                                             for r in server["counts"]}
    for (service, operation), needed in floor.calls.items():
        row = operations.setdefault(f"{service} {operation}", {
            "service": service, "operation": operation, "calls": 0, "errors": 0, "server_errors": 0,
            "moto_seconds": 0.0})
        row["minimum"] = needed
    calls = sum(r["calls"] for r in operations.values())
    bound = floor.total * latency_ms / 1000 / concurrency
    # Operations the server does not implement answer 500 to every attempt, and botocore retries
    # each (max_attempts): a moto artefact that real AWS would not show. Reported apart.
    missing = [r for r in operations.values() if r["calls"] and r["server_errors"] == r["calls"]]
    calls_implemented = calls - sum(r["calls"] for r in missing)
    minimum_implemented = floor.total - sum(r["minimum"] for r in missing)
    return {
        "size": size.name,
        "regions": len(size.regions),
        "latency_ms": latency_ms,
        "concurrency": concurrency,
        "collectors": sorted(COLLECTORS),
        "source": source_version(),
        "generation_seconds": round(generation, 1),
        "wall_seconds": round(scan["wall_seconds"], 2),
        "bound_seconds": round(bound, 2),
        "wall_ratio": round(scan["wall_seconds"] / bound, 2) if bound else None,
        "calls": calls,
        "minimum": floor.total,
        "calls_ratio": round(calls / floor.total, 3),
        "unimplemented_operations": sorted(f"{r['service']} {r['operation']}" for r in missing),
        "calls_implemented": calls_implemented,
        "minimum_implemented": minimum_implemented,
        "calls_ratio_implemented": round(calls_implemented / minimum_implemented, 3),
        "http_errors": sum(r["errors"] for r in operations.values()),
        "moto_busy_seconds": round(sum(r["moto_seconds"] for r in operations.values()), 2),
        "server_cpu_seconds": round(server["cpu_seconds"], 2),
        "scanner_cpu_seconds": round(scan["cpu_seconds"], 2),
        "rss_peak_mb": round(scan["rss_peak_mb"], 1),
        "rss_after_imports_mb": round(scan["rss_after_imports_mb"], 1),
        "snapshot_mb": round(scan["snapshot_bytes"] / 2**20, 2),
        "assumed_actions": list(floor.assumed),
        "operations": sorted(operations.values(), key=lambda r: (r["service"], r["operation"])),
        "scan_errors": scan["errors"],
        "last_tasks": scan["finished"][-5:],
        "snapshot_resources": scan["resources"],
        "inventory": inventory,
    }


def source_version() -> str:
    """The commit measured (with '+changes' when the work tree differs): figures without it are hearsay.

    That of the awsaudit package imported (PYTHONPATH may point to another work tree's src).
    """
    import awsaudit  # noqa: PLC0415

    where = Path(awsaudit.__file__).resolve().parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", ".") else "")


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def render(f: dict[str, Any], verbose: bool = False) -> str:
    calls_ok = f["calls_ratio"] <= TARGET_CALLS
    lines = [
        f"== {f['size']}: {f['regions']} regions, latency {f['latency_ms']:g} ms, "
        f"concurrency {f['concurrency']}; collectors: {', '.join(f['collectors'])}",
        f"source {f['source']}; generation (not counted): {f['generation_seconds']} s",
        f"API calls   {f['calls']:>7}   minimum {f['minimum']:>7}   ratio {f['calls_ratio']:.2f}  "
        f"(target <= {TARGET_CALLS}: {_mark(calls_ok)})",
    ]
    if f["unimplemented_operations"]:
        lines.append(
            f"  without what moto lacks (HTTP 500 to every attempt, retried): {f['calls_implemented']} / "
            f"{f['minimum_implemented']} = {f['calls_ratio_implemented']:.2f}; lacking: "
            + ", ".join(f["unimplemented_operations"]))
    if f["wall_ratio"] is not None:
        wall_ok = f["wall_ratio"] <= TARGET_WALL
        lines.append(f"wall time   {f['wall_seconds']:>7.2f} s bound {f['bound_seconds']:>7.2f} s "
                     f"ratio {f['wall_ratio']:.2f}  (target <= {TARGET_WALL}: {_mark(wall_ok)})")
    else:
        lines.append(f"wall time   {f['wall_seconds']:>7.2f} s (no latency: no bound)")
    rss_target = TARGET_RSS_MB.get(f["size"], TARGET_RSS_MB["large"])
    rss_ok = f["rss_peak_mb"] <= rss_target
    lines += [
        f"peak RSS    {f['rss_peak_mb']:>7.1f} MiB (scanner process; "
        f"{f['rss_after_imports_mb']:.1f} MiB after imports)  (target <= {rss_target}: {_mark(rss_ok)})",
        f"CPU         scanner {f['scanner_cpu_seconds']:.2f} s, moto server {f['server_cpu_seconds']:.2f} s "
        f"(one core at most: the GIL); time inside moto summed over requests {f['moto_busy_seconds']:.2f} s",
        f"HTTP errors {f['http_errors']} (AccessDenied-like 'not configured' answers included); "
        f"snapshot {f['snapshot_mb']} MB",
    ]
    whole = f.get("end_to_end")
    if whole:
        e2e_target = TARGET_E2E_SECONDS.get(f["size"])
        verdict = (f"  (target <= {e2e_target:g} s: {_mark(whole['wall_seconds'] <= e2e_target)})"
                   if e2e_target else "")
        ratio = (f", {whole['wall_seconds'] / f['bound_seconds']:.2f} x the bound"
                 if f["bound_seconds"] else "")
        lines.append(
            f"end to end  {whole['wall_seconds']:>7.2f} s{ratio} (python -m awsaudit scan -o DIR: start, "
            f"imports, scan, evaluation, reports){verdict}")
        lines.append(
            f"            peak RSS {whole['rss_peak_mb']:.1f} MiB (target <= {rss_target}: "
            f"{_mark(whole['rss_peak_mb'] <= rss_target)}), CPU {whole['cpu_seconds']:.2f} s, calls "
            f"{whole['calls']} / {whole['minimum']} = {whole['calls'] / whole['minimum']:.2f}, "
            f"{whole['findings']} findings")
    lines.append("last tasks to finish (seconds into the scan): "
                 + ", ".join(f"{what} {at:.1f}" for what, at in f["last_tasks"]))
    columns = ("calls", "minimum", "excess", "errors", "server_errors", "moto_seconds")
    lines.append(_table(_by_service(f["operations"]), ("service", *columns)))
    if verbose:
        active = [r for r in f["operations"] if r["calls"] or r["minimum"]]
        lines.append(_table(active, ("service", "operation", *columns)))
        lines.append("collected: " + ", ".join(f"{k}={v}" for k, v in f["snapshot_resources"].items()))
    if f["scan_errors"]:
        lines.append("errors recorded in the snapshot (service operation code: count):")
        for key, error in list(f["scan_errors"].items())[:15]:
            lines.append(f"  {key}: {error['count']}  (e.g. {error['example']})")
    if f["assumed_actions"]:
        lines.append("actions priced at 1 call per region/scan (no entry in benchmarks.minimum.COSTS): "
                     + ", ".join(f["assumed_actions"]))
    return "\n".join(lines)


def _by_service(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    numbers = ("calls", "minimum", "errors", "server_errors", "moto_seconds")
    rows: dict[str, dict[str, Any]] = {}
    for op in operations:
        row = rows.setdefault(op["service"], {"service": op["service"], **dict.fromkeys(numbers, 0)})
        for key in numbers:
            row[key] += op[key]
    return sorted(rows.values(), key=lambda r: -r["calls"])


TEXT_COLUMNS = frozenset({"service", "operation"})


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    def cell(row: dict[str, Any], column: str) -> str:
        if column == "excess":
            return f"{row['calls'] - row['minimum']:+d}"
        value = row[column]
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    grid = [list(columns), *([cell(r, c) for c in columns] for r in rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) if c in TEXT_COLUMNS else v.rjust(w)
                         for c, v, w in zip(columns, values, widths, strict=True))

    return "\n".join(line(values) for values in grid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", choices=sorted(SIZES), help="repeatable; default small")
    parser.add_argument("--latency-ms", type=float, action="append",
                        help=f"added to every request; repeatable (default {DEFAULT_LATENCY_MS:g})")
    parser.add_argument("--concurrency", type=int, action="append",
                        help=f"the scanner's; repeatable (default {ScanOptions().concurrency}, its default)")
    parser.add_argument("--verbose", "-v", action="store_true", help="calls by operation, collected items")
    parser.add_argument("--end-to-end", action="store_true",
                        help="after each scan, time a whole `python -m awsaudit scan -o DIR` process too")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    runs = list(itertools.product(args.latency_ms or [DEFAULT_LATENCY_MS],
                                  args.concurrency or [ScanOptions().concurrency]))
    results = []
    for name in args.size or ["small"]:
        for figures in bench(SIZES[name], runs, log=lambda m: print(m, file=sys.stderr),
                             end_to_end=args.end_to_end):
            print(render(figures, args.verbose), flush=True)
            print(flush=True)
            results.append(figures)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
