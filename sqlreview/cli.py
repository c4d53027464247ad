"""The ``sqlreview`` command line.

``sqlreview sql FILE ...`` analyses raw SQL; ``sqlreview [targets]`` (and
``manage.py sqlreview``) reviews Django migrations. Exit codes:

0  nothing at or above --fail-on
1  at least one statement at or above --fail-on
2  usage or input error (bad flag, unreadable file, settings or database problem)
3  the review is incomplete: a migration could not be rendered (the rest is reported)
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlreview import __version__
from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.schema import Schema
from sqlreview.report import FORMATS
from sqlreview.results import Level, Review, Section

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130

FALLBACK_PG_VERSION = 13
OLDEST_PG_VERSION = 10
NEWEST_PG_VERSION = 30


class UsageError(Exception):
    """Bad input from the user: the message says what to do; exit code 2."""


def default_pg_version() -> int:
    """The oldest PostgreSQL the installed Django supports: never too optimistic."""
    try:
        from django.db.backends.postgresql.features import DatabaseFeatures
    except Exception:  # Django or its Postgres backend not importable
        return FALLBACK_PG_VERSION
    minimum = getattr(DatabaseFeatures, "minimum_database_version", None)
    return int(minimum[0]) if minimum else FALLBACK_PG_VERSION


def pg_version_argument(text: str) -> int:
    try:
        major = int(text.split(".")[0])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a PostgreSQL major version") from None
    if not OLDEST_PG_VERSION <= major <= NEWEST_PG_VERSION:
        raise argparse.ArgumentTypeError(
            f"PostgreSQL {major} is out of range ({OLDEST_PG_VERSION} to {NEWEST_PG_VERSION})")
    return major


def level_argument(text: str) -> Level | None:
    if text.strip().lower() == "never":
        return None
    try:
        return Level.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}, or never") from None


def show_argument(text: str) -> Level | None:
    if text.strip().lower() == "all":
        return None
    try:
        return Level.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}, or all") from None


def add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("analysis and report")
    group.add_argument(
        "--pg-version", type=pg_version_argument, default=None, metavar="N",
        help="PostgreSQL major version you deploy on (default: the oldest one the installed "
             f"Django supports, {default_pg_version()} here)")
    group.add_argument("--format", choices=sorted(FORMATS), default="text",
                       help="text (terminal report), markdown (a PR comment), json, github "
                            "(GitHub Actions annotations), sarif (GitHub code scanning) or "
                            "codequality (GitLab Code Quality); default: text")
    group.add_argument("--show", type=show_argument, default=Level.MEDIUM, metavar="LEVEL",
                       help="text and Markdown: list statements at or above LEVEL in detail "
                            "(low, medium, high, critical, or all; default: medium)")
    group.add_argument("--fail-on", type=level_argument, default=Level.HIGH, metavar="LEVEL",
                       help="exit 1 when a statement's risk is at or above LEVEL: low, medium, "
                            "high, critical or never (default: high)")
    group.add_argument("--assume-lock-timeout", action="store_true",
                       default=_env_flag("SQLREVIEW_ASSUME_LOCK_TIMEOUT"),
                       help="your migration runner or database role sets lock_timeout: do not "
                            "report SR201 (env SQLREVIEW_ASSUME_LOCK_TIMEOUT=1)")
    group.add_argument("--output", "-o", type=Path, metavar="FILE",
                       help="write the report to FILE instead of standard output")
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"sqlreview {__version__}")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def sql_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlreview sql",
        description="Analyse PostgreSQL statements: the lock each one takes on which table, "
                    "what it blocks, how long it is held, and whether it rewrites or scans.",
        epilog="Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 usage or input "
               "error.")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="SQL files to analyse, each on its own; - reads standard input")
    parser.add_argument("--schema", type=Path, metavar="FILE",
                        help="SQL describing the existing tables (pg_dump --schema-only output "
                             "or any DDL script; DML in it is ignored)")
    add_report_options(parser)
    return parser


def run_sql(argv: Sequence[str]) -> int:
    args = sql_parser().parse_args(argv)
    pg_version = args.pg_version or default_pg_version()
    options = AnalyzerOptions(pg_version=pg_version, assume_lock_timeout=args.assume_lock_timeout)
    schema = Schema.from_sql(read_input(args.schema)) if args.schema else None
    review = Review(pg_version=pg_version, kind="sql")
    inputs = args.files or (["-"] if not sys.stdin.isatty() else [])
    if not inputs:
        raise UsageError("give one or more SQL files, or - to read standard input "
                         "(see sqlreview sql --help)")
    for name in inputs:
        try:
            text = read_input(None if name == "-" else Path(name))
        except UsageError as error:
            review.errors.append(str(error))
            print(f"sqlreview: {error}", file=sys.stderr)
            continue
        analysis = analyze_sql(text, options=options, schema=schema, file=name)
        review.sections.append(Section(title=name if name != "-" else "standard input",
                                       analysis=analysis))
    emit(review, args.format, args.output, show=args.show)
    if review.errors:
        return EXIT_USAGE
    return exit_code(review, args.fail_on)


def read_input(path: Path | None) -> str:
    """The text of a SQL input; binary or undecodable input is a usage error."""
    label = str(path) if path else "standard input"
    try:
        data = path.read_bytes() if path else sys.stdin.buffer.read()
    except OSError as error:
        raise UsageError(f"cannot read {label}: {error.strerror or error}") from None
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


def emit(review: Review, output_format: str, output: Path | None, *,
         show: Level | None = Level.MEDIUM) -> None:
    # The review lives until exit: spare the collector rescanning its (many)
    # objects while the report is drawn; on 40,000 statements that halves it.
    gc.freeze()
    text = FORMATS[output_format](review, show=show)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from None


def exit_code(review: Review, fail_on: Level | None) -> int:
    if any(section.error for section in review.sections):
        return EXIT_INCOMPLETE
    worst = review.worst_risk()
    if fail_on is not None and worst is not None and worst >= fail_on:
        return EXIT_FINDINGS
    return EXIT_OK


def run_django(argv: Sequence[str], *, configured: bool = False) -> int:
    """``sqlreview [targets]`` and ``manage.py sqlreview``."""
    from sqlreview.django.command import run

    return run(argv, configured=configured)


def main(argv: Sequence[str] | None = None, *, configured: bool = False) -> int:
    """The whole command line; ``configured``: Django is set up already (manage.py)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    try:
        if arguments and arguments[0] == "sql" and not configured:
            return run_sql(arguments[1:])
        return run_django(arguments, configured=configured)
    except UsageError as error:
        print(f"sqlreview: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sqlreview: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if debug:
            raise
        print(f"sqlreview: internal error: {type(error).__name__}: {error}\n"
              "Run again with --debug for the traceback, and please report it.", file=sys.stderr)
        return EXIT_USAGE


def entry_point() -> None:
    # A CI runner cancelling the job sends SIGTERM: treat it like Ctrl-C, so the
    # scratch databases and the embedded server are cleaned up on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main())


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


__all__ = ["main", "run_django", "run_sql"]
