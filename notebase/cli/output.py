"""Printing for the CLI: JSON for scripts, plain text for people.

Every line of text meant for a person goes through ``print_text`` (or ``terminal_text``):
note titles, questions, tags and file names come from the vault, and a character a
terminal acts on (an escape sequence that sets the window title or clears the screen, a
bidirectional override that reorders what is shown) is written as a visible escape
instead. ``--json`` output is left as it is (JSON escapes control characters itself).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # C0 controls (ESC, BEL, CR, ...), DEL, C1 controls (CSI, OSC)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff]"  # lone surrogates: undecodable bytes of a file name
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """``text`` safe to print on a terminal: control characters, bidirectional overrides
    and undecodable bytes become ``\\x1b``-style escapes; everything else (Korean
    included) is kept as it is."""
    return _UNSAFE.sub(_escape, text)


def print_text(line: str = "", *, file: TextIO | None = None) -> None:
    """Print one line for a person, escaped (a newline inside it is shown as ``\\n``):
    on stdout, or ``file``."""
    print(terminal_text(line), file=file or sys.stdout)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8 kept readable (Korean stays Korean)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")
