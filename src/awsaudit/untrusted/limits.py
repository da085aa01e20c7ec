"""How much awsaudit reads from a file, and how deep a JSON document may nest.

Without a bound, `awsaudit audit /dev/zero` grows until the OOM killer ends it, and a 2 MB
gzip bomb becomes a MemoryError. Every reader stops at a documented limit and says so in one
line (an InputError: exit 2).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from awsaudit.errors import InputError

MIB = 1 << 20
INPUT_LIMIT_ENV = "AWSAUDIT_MAX_INPUT_MB"
DEFAULT_RECORD_LIMIT = 1024 * MIB
"""Largest snapshot record (one account, decompressed) or plain-JSON snapshot: 1 GiB by default.

The largest benchmark account (94,210 resources) is far below it; raise it with
AWSAUDIT_MAX_INPUT_MB for a bigger one (memory use is a few times the record size)."""
TEXT_FILE_LIMIT = 64 * MIB
"""Config files, mutelists and `iam simulate` documents: a real one is kilobytes."""
MAX_DEPTH = 64
"""Deepest nesting accepted in a policy document; AWS's own documents nest fewer than ten levels."""


class InputTooLargeError(InputError):
    """A file or record past its limit (exit 2)."""


class NestingTooDeepError(ValueError):
    """JSON nested past MAX_DEPTH (or past what the parser can recurse into)."""


def record_limit() -> int:
    """The snapshot record limit in bytes, from AWSAUDIT_MAX_INPUT_MB when set."""
    raw = os.environ.get(INPUT_LIMIT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_RECORD_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"{INPUT_LIMIT_ENV}={raw!r}: expected a whole number of MiB") from None
    if value <= 0:
        raise InputError(f"{INPUT_LIMIT_ENV}={raw!r}: must be a positive number of MiB")
    return value * MIB


def too_large(origin: str, what: str, limit: int) -> InputTooLargeError:
    hint = f" (raise it with {INPUT_LIMIT_ENV})" if what.startswith("snapshot") else ""
    return InputTooLargeError(f"{origin}: {what} is larger than the {_size(limit)} limit{hint}")


def read_bytes(path: Path, what: str, limit: int | None = None) -> bytes:
    """At most `limit` (default TEXT_FILE_LIMIT) bytes of `path`; InputTooLargeError past that.

    OSError is left to the caller, which names the file in its own words.
    """
    limit = TEXT_FILE_LIMIT if limit is None else limit
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large(str(path), what, limit)
    return data


def read_text(path: Path, what: str, limit: int | None = None) -> str:
    """read_bytes() decoded as UTF-8 (UnicodeDecodeError and OSError are left to the caller)."""
    return read_bytes(path, what, limit).decode("utf-8")


def loads(text: str | bytes, max_depth: int | None = None) -> Any:
    """json.loads, with nesting past `max_depth` (or past the parser's recursion) a NestingTooDeepError.

    NestingTooDeepError is a ValueError, so every caller that already refuses bad JSON refuses it too.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise NestingTooDeepError("nested too deeply to parse") from None
    if max_depth is not None and depth(value, max_depth) > max_depth:
        raise NestingTooDeepError(f"nested deeper than {max_depth} levels")
    return value


def depth(value: Any, stop: int = MAX_DEPTH) -> int:
    """How deep lists and objects nest in `value` (a scalar is 0), counted up to `stop` + 1.

    Iterative, so a hostile document cannot exhaust the stack here either.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > stop:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


def _size(limit: int) -> str:
    if limit >= MIB and limit % MIB == 0:
        return f"{limit // MIB} MiB"
    return f"{limit} bytes"
