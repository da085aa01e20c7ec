"""Text from the audited account, made safe to show: no terminal control, no spoofed direction.

A resource name, tag, description or policy text may hold ESC sequences (`\\x1b[2J` clears the
screen, OSC 8 writes links, OSC 52 writes the clipboard), C1 controls (`\\x9b` is CSI on many
terminals) and Unicode bidi controls (U+202E turns `exe.txt` into `txt.exe` on screen). Every
text output (the terminal, summary.txt, CSV, Markdown, HTML, JUnit, log lines) passes account
text through visible(), which replaces each such character by its escape, shown as text
(`\\x1b`, `\\u202e`): nothing is lost, and nothing acts. The JSON outputs keep the exact values
(JSON escapes them, and a machine reads them).
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (but tab and newline), DEL, C1
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u2028\u2029]"  # line and paragraph separators: a second line inside one value
)
_UNSAFE_OR_NEWLINE = re.compile(_UNSAFE.pattern[:-1] + "\n]")


_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control and bidi character written as its escape (see above).

    keep_newlines: a newline stays a line break (multi-line cells, evidence blocks, log
    tracebacks); otherwise it is shown as `\\n`, so a value cannot start a line of its own.
    """
    pattern = _UNSAFE if keep_newlines else _UNSAFE_OR_NEWLINE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def visible_deep(value: Any) -> Any:
    """visible() on every string inside lists and dicts (keys too), newlines kept."""
    if isinstance(value, str):
        return visible(value, keep_newlines=True)
    if isinstance(value, dict):
        return {visible_deep(k) if isinstance(k, str) else k: visible_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible_deep(v) for v in value]
    return value
