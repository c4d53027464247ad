"""The progress line: on stderr, measured on stderr; rewritten on a terminal,
a plain line every ~10 s elsewhere (CI logs)."""

from __future__ import annotations

import fcntl
import io
import os
import struct
import termios
from collections.abc import Iterator

import pytest

from sqlreview import progress as progress_module
from sqlreview.progress import LOG_INTERVAL, Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("sqlreview.progress.time.monotonic", fake)
    return fake


@pytest.fixture
def narrow_terminal() -> Iterator[io.TextIOWrapper]:
    """A real terminal (a pseudo-terminal) 60 columns wide, as stderr would be."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    stream = io.TextIOWrapper(io.FileIO(follower, "w"), encoding="utf-8")
    os.set_blocking(leader, False)
    yield stream
    stream.close()
    os.close(leader)


def test_no_progress_when_quiet() -> None:
    assert Progress.for_terminal(quiet=True, stream=Terminal()) is None
    assert Progress.for_terminal(quiet=True, stream=io.StringIO()) is None


def test_progress_rewrites_one_line_with_position_item_and_time_left() -> None:
    stream = Terminal()
    progress = Progress.for_terminal(quiet=False, stream=stream)
    assert progress is not None
    progress.interval = 0.0
    progress.update("pre-state", 1, 4, "library.0001_initial")
    progress.update("pre-state", 2, 4, "library.0002_book_pages")
    text = stream.getvalue()
    assert "\n" not in text and text.count("\r") == 2
    assert "pre-state 2/4 library.0002_book_pages" in text
    assert "s left" in text
    progress.finish()
    assert stream.getvalue().endswith("\r")
    assert stream.getvalue().rsplit("\r", 2)[-2].strip() == ""


def test_the_line_is_as_wide_as_stderr_whatever_stdout_is(
        narrow_terminal: io.TextIOWrapper, capsys: pytest.CaptureFixture[str]) -> None:
    """With the report redirected (``> file``), stdout has no width: the line
    must be measured on the terminal it is written to."""
    progress = Progress.for_terminal(quiet=False, stream=narrow_terminal)
    assert progress is not None and progress.terminal
    assert progress_module.columns(narrow_terminal) == 60
    written: list[str] = []
    narrow_terminal.write = written.append  # type: ignore[method-assign, assignment]
    progress.interval = 0.0
    progress.update("rendering", 12, 299, "library.0012_" + "x" * 100)
    (line,) = written
    assert line.startswith("\rsqlreview: rendering 12/299 library.0012_")
    assert len(line) == 1 + 59  # never wider than the terminal: no wrapped leftovers
    assert capsys.readouterr().out == ""


def test_defaults_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Terminal()
    monkeypatch.setattr("sqlreview.progress.sys.stderr", stream)
    progress = Progress.for_terminal(quiet=False)
    assert progress is not None and progress.stream is stream


def test_in_a_log_a_plain_line_every_ten_seconds(clock: Clock) -> None:
    stream = io.StringIO()
    progress = Progress.for_terminal(quiet=False, stream=stream)
    assert progress is not None and not progress.terminal
    progress.update("pre-state", 1, 50, "library.0001_initial")
    clock.now += 3
    progress.update("pre-state", 2, 50, "library.0002_book")
    assert stream.getvalue() == ""  # a short review says nothing
    clock.now += LOG_INTERVAL
    progress.update("pre-state", 10, 50, "library.0010_author")
    clock.now += 1
    progress.update("pre-state", 11, 50, "library.0011_author")
    clock.now += LOG_INTERVAL
    progress.update("rendering", 3, 50, "library.0003_book")
    progress.finish()
    lines = stream.getvalue().splitlines(keepends=True)
    assert len(lines) == 2 and all(line.endswith("\n") for line in lines)
    assert "\r" not in stream.getvalue()
    assert lines[0].startswith("sqlreview: pre-state 10/50 library.0010_author  13.0 s")
    assert lines[1].startswith("sqlreview: rendering 3/50 library.0003_book")
