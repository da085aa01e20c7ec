"""Where collection tasks run: this process's threads (the default) or a Dask distributed cluster.

`--executor dask://HOST:PORT` connects a `distributed.Client` to an existing scheduler and runs
the very CollectTasks (and an Organization scan's PrepareTasks) on its workers through the
client's concurrent.futures executor. Tasks carry account, role and options, never a session
or a secret: each worker builds its sessions from its own credentials (its environment,
profile or instance role) and assumes the member roles itself. Results come back to this
process, which merges them and writes each account's shard as it completes.

Dask is imported only here, and only when a dask:// executor is asked for: without the option
nothing of it is loaded (`pip install 'awsaudit[dask]'` installs it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from awsaudit.errors import InputError

DASK = re.compile(r"^dask://(?P<address>[^/\s]+:\d+)$")
THREADS = "threads"


def parse_executor(spec: str | None) -> str | None:
    """The scheduler address of a dask:// spec; None for threads; one readable InputError otherwise."""
    if spec is None or spec == THREADS:
        return None
    found = DASK.match(spec)
    if found is None:
        raise InputError(f"--executor: expected 'threads' or 'dask://HOST:PORT', got {spec!r}")
    return f"tcp://{found['address']}"


@contextmanager
def open_executor(spec: str | None, timeout: float = 30) -> Iterator[Executor | None]:
    """The executor `spec` names (None: the scanner's own thread pool), closed on the way out."""
    address = parse_executor(spec)
    if address is None:
        yield None
        return
    try:
        from distributed import Client  # noqa: PLC0415 - optional, and only for --executor dask://
    except ImportError:
        raise InputError("--executor dask:// needs Dask: pip install 'awsaudit[dask]'") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--executor: cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        # pure=False: two tasks with equal arguments (a rescan) must both run, not share a result.
        executor: Executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
        yield executor
        executor.shutdown(wait=False)
    finally:
        client.close()  # type: ignore[no-untyped-call]
