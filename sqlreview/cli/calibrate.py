"""``sqlreview calibrate``: measure this server's throughput (``sqlreview.stats.calibrate``).

Exit codes: 0 the calibration was written (or ``--check`` read it), 2 it could
not be made or read (the message says why), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlreview.errors import ExitCode, positive_int_argument
from sqlreview.progress import Progress
from sqlreview.stats.calibrate import DEFAULT_REPEAT, DEFAULT_SIZE_MB, CalibrateError, calibrate
from sqlreview.stats.calibration import CalibrationError, calibration_to_json, load_calibration
from sqlreview.stats.estimate import Calibration

DEFAULT_OUTPUT = Path("sqlreview-calibration.json")


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="sqlreview calibrate",
        description="Measure how fast this PostgreSQL server rewrites, scans, indexes, updates "
                    "and deletes, on scratch tables it creates and drops, and write the figures "
                    "the duration estimates use (--calibration FILE).",
        epilog="Exit codes: 0 the calibration was written, 2 it could not be made (the message "
               "says why), 130 interrupted. Never point --database-url at production: "
               "calibration writes a few hundred MB and loads the server for a minute.")
    command.add_argument("--database-url", metavar="URL",
                         help="an EMPTY database on a staging server like production's, to "
                              "measure there (default: the embedded PostgreSQL). Refused on a "
                              "standby or when the database has tables")
    command.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT, metavar="FILE",
                         help=f"where to write the calibration (default: {DEFAULT_OUTPUT}; "
                              "- for standard output)")
    command.add_argument("--size-mb", type=positive_int_argument, default=DEFAULT_SIZE_MB,
                         metavar="MB",
                         help=f"heap size of each scratch table (default: {DEFAULT_SIZE_MB}); "
                              "larger is steadier and slower")
    command.add_argument("--repeat", type=positive_int_argument, default=DEFAULT_REPEAT,
                         metavar="N",
                         help="time each statement N times and keep the fastest "
                              f"(default: {DEFAULT_REPEAT})")
    command.add_argument("--check", type=Path, metavar="FILE",
                         help="measure nothing: read the calibration FILE, say whether "
                              "--calibration can use it and print its figures")
    command.add_argument("--quiet", "-q", action="store_true",
                         help="no progress report on stderr (one rewritten line on a "
                              "terminal, else a line every ~10 s)")
    command.add_argument("--debug", action="store_true",
                         help="show Python tracebacks of internal errors")
    return command


def run_calibrate(argv: Sequence[str]) -> int:
    """``sqlreview calibrate ...``; errors are one line on stderr and exit 2."""
    args = parser().parse_args(argv)
    if args.check is not None:
        return check_file(args.check)
    try:
        _check_output(args.output)
        calibration = calibrate(args.database_url, size_mb=args.size_mb, repeat=args.repeat,
                                progress=Progress.for_terminal(args.quiet))
        _write(calibration, args.output)
    except CalibrateError as error:
        print(f"sqlreview calibrate: {error}", file=sys.stderr)
        return ExitCode.USAGE
    if str(args.output) != "-":
        print(f"sqlreview calibrate: wrote {args.output} ({calibration.machine})",
              file=sys.stderr)
    return ExitCode.OK


def check_file(path: Path) -> int:
    """``--check FILE``: the file's figures on stdout, or why it cannot be used."""
    try:
        calibration = load_calibration(path)
    except CalibrationError as error:
        print(f"sqlreview calibrate: {error}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"{path}: measured {calibration.measured_at or 'at an unknown time'} on "
          f"{calibration.machine}")
    for name, value in calibration_to_json(calibration)["figures"].items():
        print(f"  {name} = {value:g}")
    return ExitCode.OK


def _check_output(path: Path) -> None:
    if str(path) == "-":
        return
    if path.is_dir():
        raise CalibrateError(f"cannot write {path}: it is a directory")
    if not path.parent.is_dir():
        raise CalibrateError(f"cannot write {path}: the directory {path.parent} does not exist")


def _write(calibration: Calibration, path: Path) -> None:
    text = json.dumps(calibration_to_json(calibration), indent=2) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CalibrateError(f"cannot write {path}: {error.strerror or error}") from None
