"""What the fuzz tests share: settings that keep the suite inside CI time, and the one-line rule."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings

FUZZ = settings(
    deadline=None,  # a loaded 2-core CI machine makes per-example deadlines flaky; bound() instead
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("AWSAUDIT_FUZZ_RANDOM")
    is None,  # the same examples on every run: a CI failure reproduces locally
)


def fuzz(examples: int) -> settings:
    """FUZZ with this many examples (the figures per input kind are in docs/hostile-input.md).

    AWSAUDIT_FUZZ_SCALE=N runs N times as many, and AWSAUDIT_FUZZ_RANDOM=1 new random ones:
    for a long hunt by hand, outside CI.
    """
    scale = int(os.environ.get("AWSAUDIT_FUZZ_SCALE", "1"))
    return settings(FUZZ, max_examples=examples * scale)


def one_line(message: str) -> None:
    """An error a user sees: one line, no traceback text."""
    assert message and "\n" not in message, repr(message)
    assert "Traceback" not in message


@contextmanager
def bound(seconds: float) -> Iterator[None]:
    """The block must finish within `seconds` (hostile input must not make awsaudit hang)."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s (bound {seconds} s)"
