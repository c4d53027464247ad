"""Reading the inputs and writing the report: files, standard input and output.

Every problem is a ``UsageError`` whose message says what to do (exit 2).
"""

from __future__ import annotations

import gc
import os
import shlex
import sys
from pathlib import Path

from sqlreview.errors import UsageError
from sqlreview.report import FORMATS
from sqlreview.report.encoding import ERRORS as ENCODE_ERRORS
from sqlreview.report.encoding import for_stream
from sqlreview.report.scanning import outside_repository
from sqlreview.report.terminal import TerminalOptions
from sqlreview.report.text import render_text
from sqlreview.results import Level, Review


def fewer_collections() -> None:
    """Run Python's cycle collector rarely: a big input makes millions of small
    objects (syntax trees, results, the JSON document) with no cycles among
    them, and the collector's passes over them took a fifth of the run.
    Everything allocated so far (the imported modules) is left out of them."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 1_000)


def check_output_path(path: Path | None) -> None:
    """Fail (UsageError) before any work when the report could not be written:
    ``path`` (``-o``) must be creatable or writable, or without one, standard
    output must be open. A file this creates to find out is removed again."""
    if path is None:
        if sys.stdout is None:
            raise UsageError("standard output is closed: give -o FILE to write the report "
                             "to a file")
        return
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path}: the directory {path.parent} does not exist")
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
        if not existed:
            path.unlink()
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def read_input(path: Path | None, *, label: str | None = None) -> str:
    """The text of a SQL input; binary or undecodable input is a usage error."""
    label = label or (str(path) if path else "standard input")
    try:
        data = path.read_bytes() if path else _stdin_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {label}: {error.strerror or error}") from None
    wide = wide_encoding(data)
    if wide is not None:
        source = shlex.quote(str(path)) if path else "FILE"
        raise UsageError(
            f"{label} looks like {wide} text, not UTF-8: convert it, e.g. "
            f"iconv -f {wide} -t UTF-8 {source} > {source}.utf8")
    if b"\x00" in data:
        raise UsageError(f"{label} looks like a binary file (it contains NUL bytes): "
                         "give a SQL text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{label} is not UTF-8 text ({error.reason} at byte {error.start}): convert it, "
            f"e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8"
        ) from None


def _stdin_bytes() -> bytes:
    if sys.stdin is None:
        raise UsageError("standard input is closed: give SQL files, or pipe SQL into "
                         "sqlreview sql -")
    return sys.stdin.buffer.read()


_BOMS = [  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
]


def wide_encoding(data: bytes) -> str | None:
    """The iconv name of a UTF-16 or UTF-32 encoding ``data`` looks like, by its
    byte-order mark or, without one, by where the NUL bytes of ASCII text fall."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name
    sample = data[:4096]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    units = len(sample) // 4
    # How often each of the four byte positions of a 4-byte group is NUL.
    nul_share = [sample[i::4].count(0) / units for i in range(4)]
    mostly, rarely = 0.8, 0.2
    if all(share >= mostly for share in nul_share[1:]) and nul_share[0] <= rarely:
        return "UTF-32LE"
    if all(share >= mostly for share in nul_share[:3]) and nul_share[3] <= rarely:
        return "UTF-32BE"
    odd, even = (nul_share[1] + nul_share[3]) / 2, (nul_share[0] + nul_share[2]) / 2
    if odd >= mostly and even <= rarely:
        return "UTF-16LE"
    if even >= mostly and odd <= rarely:
        return "UTF-16BE"
    return None


def emit(review: Review, output_format: str, output: Path | None, *,
         show: Level | None = Level.MEDIUM, terminal: TerminalOptions) -> None:
    """The report in ``output_format`` to ``output`` (or standard output); ``terminal``:
    the width and colour of the text report."""
    # The review lives until exit: spare the collector rescanning its (many)
    # objects while the report is drawn; on 40,000 statements that halves it.
    gc.freeze()
    if output_format == "text":
        report = render_text(review, show=show, options=terminal)
    else:
        report = FORMATS[output_format](review, show=show)
    write_output(report, output)
    if output_format == "codequality":
        _say_what_code_quality_left_out(review)


def _say_what_code_quality_left_out(review: Review) -> None:
    left_out = outside_repository(review)
    if left_out and sys.stderr is not None:
        print(f"sqlreview: {left_out} finding{'s' if left_out != 1 else ''} in migrations of "
              "installed packages left out of the Code Quality report (it needs a file of the "
              "repository); --format text or json lists them", file=sys.stderr)


def write_output(text: str, output: Path | None) -> None:
    """The report to ``output``, or to standard output."""
    if output is None:
        _write_stdout(text)
        return
    try:
        output.write_text(text, encoding="utf-8", errors=ENCODE_ERRORS)
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from None


def _write_stdout(text: str) -> None:
    if sys.stdout is None:
        raise UsageError("standard output is closed: give -o FILE to write the report to a file")
    try:
        sys.stdout.write(for_stream(text, sys.stdout))  # never fails on an ASCII/cp1252 stdout
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): nothing more can reach it, and
        # Python would complain again when it flushes at exit.
        _silence_stdout()
        raise UsageError("standard output was closed before the whole report was written "
                         "(broken pipe)") from None
    except OSError as error:
        raise UsageError(f"cannot write the report to standard output: "
                         f"{error.strerror or error}") from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def print_error(message: str) -> None:
    """To standard error if it is open: ``print(file=None)`` would write to stdout."""
    if sys.stderr is not None:
        print(message, file=sys.stderr)
