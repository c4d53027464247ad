"""Where a long review is, on stderr: one rewritten line on a terminal, a plain
line every ~10 s elsewhere (a CI log, where minutes of silence look like a hang).

Our own few lines rather than a dependency: all it does is rewrite one line,
at most a few times a second. It measures stderr, the stream it writes: with
the report redirected (``> file``) stdout has no width, and a line longer than
the terminal would wrap and stay in the scrollback.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DEFAULT_COLUMNS = 100  # a terminal whose size cannot be read
LOG_INTERVAL = 10.0  # seconds between two lines when stderr is not a terminal


class Progress:
    """``sqlreview: rendering 12/50 library.0012_alter_book_title  3.1 s, ~9 s left``."""

    def __init__(self, stream: TextIO, interval: float = 0.2, *, terminal: bool = True) -> None:
        self.stream = stream
        self.interval = interval
        self.terminal = terminal
        self._phase = ""
        self._started = time.monotonic()
        self._phase_started = self._started
        self._last_shown = self._started if not terminal else 0.0
        self._shown = False

    @classmethod
    def for_terminal(cls, quiet: bool, stream: TextIO | None = None) -> Progress | None:
        """On stderr (or ``stream``): rewritten on a terminal, logged every
        ~10 s otherwise; None with ``--quiet`` or without a stream."""
        stream = stream if stream is not None else sys.stderr
        if quiet or stream is None:
            return None
        if _is_terminal(stream):
            return cls(stream)
        return cls(stream, LOG_INTERVAL, terminal=False)

    def update(self, phase: str, done: int, total: int, item: str) -> None:
        now = time.monotonic()
        if phase != self._phase:
            self._phase, self._phase_started = phase, now
        if now - self._last_shown < self.interval and (done < total or not self.terminal):
            return
        self._last_shown = now
        line = self._line(phase, done, total, item, now - self._phase_started)
        if self.terminal:
            width = columns(self.stream) - 1
            self.stream.write("\r" + line[:width].ljust(width))
            self._shown = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @staticmethod
    def _line(phase: str, done: int, total: int, item: str, elapsed: float) -> str:
        line = f"sqlreview: {phase} {done}/{total} {item}  {elapsed:.1f} s"
        if 0 < done < total:
            line += f", ~{elapsed / done * (total - done):.0f} s left"
        return line

    def finish(self) -> None:
        """Clear the line, so the report starts on a clean one."""
        if self._shown:
            width = columns(self.stream) - 1
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self._shown = False


def columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to (not stdout's)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, ValueError, OSError):
        return DEFAULT_COLUMNS


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
