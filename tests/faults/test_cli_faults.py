"""The command line under faults: SIGTERM and Ctrl-C save the partial snapshot, exit codes tell
findings from failures, a bad output folder is refused before anything is collected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from awsaudit import __version__, snapshot
from awsaudit.cli import main
from awsaudit.cli.audit import _keep_snapshot
from awsaudit.cli.exit_codes import EXIT_FINDINGS, EXIT_OK, EXIT_SCAN_ERROR, EXIT_USAGE
from tests.faults.harness import HOME, ROOT, FaultServer, environment


def cli(server: FaultServer, *args: str) -> Any:
    with environment(server.env()):
        return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                   (signal.SIGINT, 130, "interrupted")])
def test_a_signal_during_a_scan_saves_the_partial_snapshot(
    fault_server: FaultServer, tmp_path: Path, sig: signal.Signals, code: int, word: str
) -> None:
    """KMS hangs: the scan is stuck in it when the signal comes. One line, the exit code, and a
    snapshot that loads as incomplete with every service that had finished."""
    fault_server.rules({"kind": "hang", "services": ["kms"], "seconds": 100})
    out = tmp_path / "out"
    env = {**os.environ, **fault_server.env(), "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "awsaudit", "scan", "--region", HOME, "-o", str(out), "-q", "--no-history"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not fault_server.stats()["faulted"].get("hang") and time.monotonic() < deadline:
            time.sleep(0.2)
        settled, last = time.monotonic() + 15, -1
        while time.monotonic() < settled:  # the other collectors finish: requests stop coming
            time.sleep(1)
            count = fault_server.stats()["requests"]
            if count == last:
                break
            last = count
        process.send_signal(sig)
        sent = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        exited_after = time.monotonic() - sent
    finally:
        process.kill()
        fault_server.clear()
    assert process.returncode == code, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"awsaudit: {word}; what was collected so far is saved in")
    assert exited_after < 5, "abandoned threads stuck in the hang do not hold the exit"
    partial = snapshot.load(out / "snapshot.json.gz")
    reason = "terminated (SIGTERM)" if sig == signal.SIGTERM else "interrupted by the user"
    assert partial["incomplete"] == reason
    account = next(iter(partial["accounts"].values()))
    collected = set(account["global"]) | set(account["regions"][HOME])
    assert "kms" not in collected and len(collected) >= 5, collected


def test_demo_interrupted_saves_what_it_collected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from awsaudit.errors import ScanInterrupted  # noqa: PLC0415

    partial = snapshot.new(__version__, "2026-01-01T00:00:00+00:00", "aws")
    partial["incomplete"] = "terminated (SIGTERM)"

    def stopped(**_: Any) -> None:
        raise ScanInterrupted(partial, "scan terminated (SIGTERM)", 143)

    monkeypatch.setattr("awsaudit.demo.collect_demo", stopped)
    result = CliRunner().invoke(main, ["demo", "-o", str(tmp_path / "d"), "-q", "--no-history"])
    assert result.exit_code == 143
    assert "terminated; what was collected so far is saved in" in result.output
    assert snapshot.load(tmp_path / "d" / "snapshot.json.gz")["incomplete"] == "terminated (SIGTERM)"


def test_exit_codes(fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """0 whole and nothing gating; 1 findings at --fail-on; 3 a service not collected at all, or
    any gap with --fail-on-gaps, or a crash; 2 a bad region, before any call."""
    base = ["scan", "--region", HOME, "--service", "iam", "--service", "sns", "-q", "--no-history",
            "--max-attempts", "2"]

    def run(name: str, *extra: str) -> Any:
        return cli(fault_server, *base, "-o", str(tmp_path / name), *extra)

    assert run("ok").exit_code == EXIT_OK  # iam is partial (moto lacks the root row): not a failure
    assert run("gate", "--fail-on", "high").exit_code == EXIT_FINDINGS
    gaps = run("gaps", "--fail-on-gaps")
    assert gaps.exit_code == EXIT_SCAN_ERROR and "--fail-on-gaps" in gaps.output
    fault_server.rules({"kind": "deny", "services": ["sns"]})
    failed = run("failed", "--fail-on", "high")
    assert failed.exit_code == EXIT_SCAN_ERROR, "3 wins over 1: the gate cannot pass on unread data"
    assert "could not be collected at all" in failed.output
    fault_server.clear()
    bad_region = run("nowhere", "--region", "nowhere-1")
    assert bad_region.exit_code == EXIT_USAGE
    assert bad_region.output.strip() == ("awsaudit: error: unknown region(s): nowhere-1 (e.g. eu-west-1; "
                                         "`aws ec2 describe-regions` lists the account's)")
    assert fault_server.stats()["requests"] == 0

    def boom(*_: Any, **__: Any) -> Any:
        raise TypeError("'int' object is not subscriptable")

    monkeypatch.setattr("awsaudit.cli.audit.evaluate_shards", boom)
    crash = run("crash")
    assert crash.exit_code == EXIT_SCAN_ERROR, "a crash never reads as 'findings' (1)"
    assert crash.output.strip().splitlines() == [
        "awsaudit: internal error: TypeError: 'int' object is not subscriptable "
        "(a bug in awsaudit; -v shows the traceback)"]


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_bad_output_folder_is_refused_before_collecting(
    fault_server: FaultServer, tmp_path: Path, where: str
) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "out" if where == "under-a-file" else Path("/proc/awsaudit-out")
    fault_server.clear()
    started = time.perf_counter()
    result = cli(fault_server, "scan", "--region", HOME, "-o", str(out), "-q", "--no-history")
    assert time.perf_counter() - started < 2
    assert result.exit_code == EXIT_USAGE
    assert result.output.startswith(f"awsaudit: error: cannot write the results to {out}: ")
    assert len(result.output.strip().splitlines()) == 1
    assert fault_server.stats()["requests"] == 0, "no AWS call was made"


def test_reports_that_cannot_be_written_keep_the_snapshot(
    fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: Any, **__: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("awsaudit.cli.audit.write_all", full)
    out = tmp_path / "out"
    result = cli(fault_server, "scan", "--region", HOME, "--service", "sns", "-o", str(out), "-q",
                 "--no-history")
    assert result.exit_code == EXIT_SCAN_ERROR
    assert result.output.strip() == (f"awsaudit: error: cannot write the reports to {out}: No space left "
                                     f"on device; the snapshot is in {out / 'snapshot.json.gz'}")
    assert "sns" in next(iter(snapshot.load(out / "snapshot.json.gz")["accounts"].values()))["regions"][HOME]
    # an in-memory snapshot (the demo's) is saved elsewhere, and the line says where
    memory = snapshot.new(__version__, "2026-01-01T00:00:00+00:00", "aws")
    said = _keep_snapshot(memory, tmp_path / "nothing-here")
    rescued = Path(said.split("saved in ")[1].split(" ")[0])
    try:
        assert snapshot.load(rescued)["accounts"] == {}
    finally:
        rescued.unlink()
