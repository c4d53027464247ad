"""The terminal the text report is written for: its width and whether to colour.

Width: ``--width N``, else ``$COLUMNS``, else stdout's terminal, else 100 (a
file or a pipe). Colour: ``--color always|never``; with ``auto`` (the
default) ``NO_COLOR`` turns it off, ``FORCE_COLOR`` on, and otherwise stdout
being a terminal decides.

The command line reads the flags and resolves them here (``resolve``) into a
``TerminalOptions`` it hands to ``render_text``; a text report drawn without
one gets the defaults (100 columns, no colour).

Colour is a handful of ANSI SGR codes of our own rather than ``rich``: the
report is drawn as plain text (it must be, for files and the golden tests) and
only the risk words, finding codes and the verdict are painted; a library
would add a dependency and a second layout engine for that, and its per-cell
measuring would cost on 40,000-row outputs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

DEFAULT_WIDTH = 100  # when the output is not a terminal
MINIMUM_WIDTH = 40  # below this, nothing readable fits
COLOR_CHOICES = ("auto", "always", "never")

_RESET = "\x1b[0m"
_STYLES = {
    "critical": "1;31", "failed": "1;31", "high": "31", "medium": "33", "low": "32",
    "unknown": "35", "bold": "1", "dim": "2",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class TerminalOptions:
    width: int = DEFAULT_WIDTH
    color: bool = False

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` (a risk label, ``bold`` or ``dim``, or several
        joined by ``+``: ``bold+critical``) when colouring."""
        codes = [_STYLES[name] for name in style.split("+") if name in _STYLES]
        if not self.color or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{_RESET}"


def resolve(*, width: int | None, color: str, stream: TextIO | None,
            environ: Mapping[str, str]) -> TerminalOptions:
    """What ``--width`` (None: not given) and ``--color`` ask for, for a report written
    to ``stream`` (None: a file) with ``environ`` as the environment."""
    return TerminalOptions(width=width or _width(stream, environ),
                           color=_colour(color, stream, environ))


def _width(stream: TextIO | None, environ: Mapping[str, str]) -> int:
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(MINIMUM_WIDTH, int(columns))
    size = terminal_columns(stream)
    return max(MINIMUM_WIDTH, size) if size else DEFAULT_WIDTH


def _colour(choice: str, stream: TextIO | None, environ: Mapping[str, str]) -> bool:
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_terminal(stream)


def is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def terminal_columns(stream: TextIO | None) -> int | None:
    """The width of the terminal ``stream`` writes to, or None when it is not one."""
    if not is_terminal(stream):
        return None
    try:
        assert stream is not None
        return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, ValueError, OSError):
        return None


def without_colour(text: str) -> str:
    """``text`` with our colour codes taken out."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def visible_length(line: str) -> int:
    """A line's width on screen: colour codes take none."""
    return len(without_colour(line))


__all__ = ["COLOR_CHOICES", "DEFAULT_WIDTH", "MINIMUM_WIDTH", "TerminalOptions", "is_terminal",
           "resolve", "terminal_columns", "visible_length", "without_colour"]
