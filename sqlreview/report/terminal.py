"""The terminal the text report is written for: its width and whether to colour.

Width: ``--width N``, else ``$COLUMNS``, else stdout's terminal, else 100 (a
file or a pipe). Colour: ``--color always|never``; with ``auto`` (the
default) ``NO_COLOR`` turns it off, ``FORCE_COLOR`` on, and otherwise stdout
being a terminal decides.

The flags are registered by ``add_terminal_options(group)``; the choices are
remembered here, so the reporters' common signature (``review, show=``) stays
as it is and a reporter called without the flags gets the defaults.

Colour is a handful of ANSI SGR codes of our own rather than ``rich``: the
report is drawn as plain text (it must be, for files and the golden tests) and
only the risk words, finding codes and the verdict are painted; a library
would add a dependency and a second layout engine for that, and its per-cell
measuring would cost on 40,000-row outputs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

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


@dataclass
class _Requested:
    width: int | None = None
    color: str = "auto"
    to_file: bool = False  # --output FILE: not the terminal, whatever stdout is


_requested = _Requested()


def add_terminal_options(group: argparse._ActionsContainer) -> None:
    """``--width N`` and ``--color auto|always|never``, for the text report.

    Call it after ``--output`` is added to the same parser: a report written
    to a file is then drawn as for a file (no colour, 100 columns), even when
    stdout is a terminal."""
    _requested.width, _requested.color, _requested.to_file = None, "auto", False
    _note_output_option(group)
    group.add_argument("--width", type=_width_argument, default=None, metavar="N",
                       action=_Remember,
                       help="text: fit the report to N columns (default: $COLUMNS, the "
                            f"terminal's width, or {DEFAULT_WIDTH} when not a terminal)")
    group.add_argument("--color", choices=COLOR_CHOICES, default="auto", action=_Remember,
                       help="text: colour risk levels and the verdict: auto (on a terminal, "
                            "unless NO_COLOR is set or FORCE_COLOR is), always or never "
                            "(default: auto)")


class _Remember(argparse.Action):
    """Stores the value as usual and remembers it for ``requested_options``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        setattr(_requested, self.dest, values)


def _note_output_option(container: argparse._ActionsContainer) -> None:
    """Wrap the ``--output`` option's converter so that using it is remembered."""
    for action in getattr(container, "_actions", []):
        if "--output" not in action.option_strings or action.type is None \
                or getattr(action.type, "notes_output", False):
            continue
        convert = action.type

        def noted(text: str, convert: Any = convert) -> Any:
            _requested.to_file = text != "-"
            return convert(text)

        noted.notes_output = True  # type: ignore[attr-defined]
        action.type = noted


def _width_argument(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < MINIMUM_WIDTH:
        raise argparse.ArgumentTypeError(f"at least {MINIMUM_WIDTH} columns")
    return value


def requested_options(stream: TextIO | None = None,
                      environ: Mapping[str, str] | None = None) -> TerminalOptions:
    """What the flags asked for, resolved against ``stream`` (stdout) and the environment."""
    if stream is None:
        stream = None if _requested.to_file else sys.stdout
    return resolve(width=_requested.width, color=_requested.color, stream=stream,
                   environ=environ if environ is not None else os.environ)


def resolve(*, width: int | None, color: str, stream: TextIO | None,
            environ: Mapping[str, str]) -> TerminalOptions:
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


__all__ = ["COLOR_CHOICES", "DEFAULT_WIDTH", "MINIMUM_WIDTH", "TerminalOptions",
           "add_terminal_options", "is_terminal", "requested_options", "resolve",
           "terminal_columns", "visible_length", "without_colour"]
