"""What every command shares: one place that turns errors into a line and an exit code, the
progress bar, and the default output folder."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from awsaudit.cli.exit_codes import EXIT_SCAN_ERROR
from awsaudit.errors import AuditError, InputError, ScanInterrupted, Terminated
from awsaudit.untrusted.text import visible

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from awsaudit.collect.task import CredentialSource


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_out(kind: str) -> Path:
    return Path("awsaudit-output") / f"{kind}-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}"


def say(text: str, err: bool = False) -> None:
    """Print a line of human output: account text in it cannot control the terminal (visible())."""
    click.echo(visible(text, keep_newlines=True), err=err)


def handle_errors(func: F) -> F:
    """Every way a command ends becomes one line on stderr and an exit code, never a traceback.

    AuditError: its own code (2 input, 3 scan error, 130/143 interrupted). Ctrl-C: 130,
    SIGTERM: 143. Anything else is a bug in awsaudit: exit 3, never 1 (1 means "findings at or
    above --fail-on", and a crash must not read as a verdict on the account).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScanInterrupted as exc:
            click.echo(f"awsaudit: {visible(str(exc))}", err=True)
            _exit_now(exc.exit_code)
        except AuditError as exc:
            click.echo(f"awsaudit: error: {visible(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            click.echo("awsaudit: terminated" if terminated else "awsaudit: interrupted", err=True)
            _exit_now(Terminated.signal_exit_code if terminated else 130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            log.info("internal error", exc_info=True)
            message = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(f"awsaudit: internal error: {type(exc).__name__}: {visible(message)} "
                       "(a bug in awsaudit; -v shows the traceback)", err=True)
            sys.exit(EXIT_SCAN_ERROR)

    return wrapper  # type: ignore[return-value]


def _exit_now(code: int) -> None:
    """Exit without waiting for abandoned collection threads (a hung endpoint would hold the
    interpreter's exit for minutes); what matters is already written and flushed.

    Only when awsaudit is the program (`awsaudit`, `python -m awsaudit`): a caller that runs the
    command in its own process (a test's CliRunner) gets SystemExit as usual.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    program = Path(sys.argv[0]).name == "awsaudit" or getattr(spec, "name", "") == "awsaudit.__main__"
    if threading.active_count() == 1 or not program:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    logging.shutdown()
    os._exit(code)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """During a collection, SIGTERM takes Ctrl-C's path: what was collected is saved, marked
    incomplete. Only the main thread can install a handler; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def writable_folder(out_dir: Path) -> Path:
    """The output folder, created and proven writable before anything is collected.

    A folder under a file, in /proc or without write permission is one line and exit 2 now,
    not a traceback after an hour of collection.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".awsaudit-write-test-"):
            pass
    except OSError as exc:
        raise InputError(f"cannot write the results to {out_dir}: {exc.strerror or exc}") from None
    return out_dir


def rescue_path() -> Path:
    """Where a snapshot goes when its own folder cannot take it: the system's temporary folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    handle, name = tempfile.mkstemp(prefix=f"awsaudit-snapshot-{stamp}-", suffix=".json.gz")
    os.close(handle)
    return Path(name)


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(
        TextColumn("collecting {task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total)

        yield update


def credentials(profile: str | None, region: str | None = None) -> CredentialSource:
    """How every live command gets credentials: the named profile, else the standard chain. An
    unknown profile is one readable line (exit 2) when the session is first built."""
    from awsaudit.collect.task import CredentialSource  # noqa: PLC0415 - keep `awsaudit --help` fast

    if profile:
        return CredentialSource.named_profile(profile, region)
    return CredentialSource.default_chain(region)
