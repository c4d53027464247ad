"""The ground floor every layer may use: exit codes, the usage error, one-line errors,
and the converter of a flag that takes a count (a usage error when it is not one).

Imports nothing of sqlreview, so any module can import it at the top.
"""

from __future__ import annotations

import argparse
import enum


class ExitCode(enum.IntEnum):
    """What ``sqlreview`` exits with (README "Exit codes" has the combined table)."""

    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # at least one statement at or above --fail-on
    USAGE = 2  # usage or input error; internal error
    INCOMPLETE = 3  # the review (or the stats dump) is incomplete; the rest is reported
    PUBLISH_FAILED = 4  # --publish failed; see publish_outcome for when it shows
    INTERRUPTED = 130  # Ctrl-C or SIGTERM


class UsageError(Exception):
    """Bad input from the user: the message says what to do; exit code 2."""


def positive_int_argument(text: str) -> int:
    """A flag's value that counts something (``--pr``, ``--repeat``): 1 or more."""
    try:
        number: int | None = int(text)
    except ValueError:
        number = None
    if number is None or number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return number


def first_line(error: BaseException, *, strip_period: bool = False,
               with_type: bool = False) -> str:
    """The first line of ``error``'s message, or its type's name when it has none.

    ``strip_period``: without a trailing '.', to be followed by more text.
    ``with_type``: ``Type: first line`` (just ``Type`` without a message).
    """
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    name = type(error).__name__
    if with_type:
        return f"{name}: {line}" if line else name
    line = line or name
    return line.rstrip(".") if strip_period else line
