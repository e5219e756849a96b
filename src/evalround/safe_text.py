"""Text from submissions, made safe to print to a terminal or put in a page.

A file name, a kernel's stderr or an answer can carry terminal escape sequences (which
rewrite what the operator's terminal shows, or its title) and invisible controls
(bidirectional overrides that reorder what a reader sees). ``printable`` shows each
such character as a visible escape instead.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_KEEP = frozenset("\n\t")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def printable(text: str, keep_newlines: bool = True) -> str:
    """``text`` with every control or format character (C0, C1, DEL, bidi overrides,
    zero-width ones) written as a visible ``\\xNN`` / ``\\uNNNN`` escape."""
    keep = _KEEP if keep_newlines else frozenset()
    if text.isprintable() and not any(c in text for c in "\t\n"):
        return text
    return "".join(
        c if c in keep or (c.isprintable() and unicodedata.category(c) != "Cf")
        else _escape(c) for c in text)


class VisibleText:
    """A text stream whose writes pass through ``printable``: what the CLI prints
    (file names, reasons, candidate ids) can never drive the operator's terminal."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return int(self._stream.write(printable(text)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def visible(value: Any) -> Any:
    """A Jinja ``finalize``: every string a report renders, controls shown as escapes
    (markup already marked safe stays markup)."""
    if not isinstance(value, str):
        return value
    from markupsafe import Markup

    shown = printable(str(value))
    return Markup(shown) if isinstance(value, Markup) else shown
