"""A one-line progress report on stderr while long work runs (a terminal only).

Twenty lines of our own rather than a dependency: all it does is rewrite one
line, at most a few times a second, and stay silent when stderr is not a
terminal (CI logs) or with ``--quiet``.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


class Progress:
    """``sqlreview: rendering 12/50 library.0012_alter_book_title  3.1 s, ~9 s left``."""

    def __init__(self, stream: TextIO, interval: float = 0.2) -> None:
        self.stream = stream
        self.interval = interval
        self._phase = ""
        self._phase_started = time.monotonic()
        self._last_shown = 0.0
        self._shown = False

    @classmethod
    def for_terminal(cls, quiet: bool, stream: TextIO | None = None) -> Progress | None:
        stream = stream if stream is not None else sys.stderr
        if quiet or not _is_terminal(stream):
            return None
        return cls(stream)

    def update(self, phase: str, done: int, total: int, item: str) -> None:
        now = time.monotonic()
        if phase != self._phase:
            self._phase, self._phase_started = phase, now
        if now - self._last_shown < self.interval and done < total:
            return
        self._last_shown = now
        elapsed = now - self._phase_started
        line = f"sqlreview: {phase} {done}/{total} {item}  {elapsed:.1f} s"
        if 0 < done < total:
            line += f", ~{elapsed / done * (total - done):.0f} s left"
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.stream.write("\r" + line[:width].ljust(width))
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        """Clear the line, so the report starts on a clean one."""
        if self._shown:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()
            self._shown = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
