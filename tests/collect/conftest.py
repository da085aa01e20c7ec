"""Fixtures shared by the collector tests that need AWS over HTTP rather than in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's threaded server on 127.0.0.1 (a free port), one per test module: what worker
    processes (a process pool, a Dask cluster) reach, since they cannot see in-process moto."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
