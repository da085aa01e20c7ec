"""What every command shares: one place that turns errors into a line and an exit code, the
progress bar, and the default output folder."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from awsaudit.errors import AuditError
from awsaudit.untrusted.text import visible

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
    """AuditError -> one line on stderr and its exit code; Ctrl-C -> 130, no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditError as exc:
            click.echo(f"awsaudit: error: {visible(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("awsaudit: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


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
