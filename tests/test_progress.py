"""The progress line: on a terminal only, one rewritten line, cleared at the end."""

from __future__ import annotations

import io

from sqlreview.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_when_quiet_or_not_a_terminal() -> None:
    assert Progress.for_terminal(quiet=True, stream=Terminal()) is None
    assert Progress.for_terminal(quiet=False, stream=io.StringIO()) is None


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
