"""The ``sqlreview`` command line.

``sqlreview sql FILE ...`` analyses raw SQL; ``sqlreview stats dump`` writes a
snapshot of production sizes for ``--stats`` (see ``sqlreview.stats.dump`` for
its exit codes); ``sqlreview calibrate`` measures the throughput behind the
duration estimates (``sqlreview.stats.calibrate``: exit 0, 2 or 130);
``sqlreview [targets]`` (and ``manage.py sqlreview``) reviews Django
migrations. Exit codes:

0  nothing at or above --fail-on
1  at least one statement at or above --fail-on
2  usage or input error (bad flag, unreadable file, settings or database problem)
3  the review is incomplete: a migration could not be rendered, or failed on the
   scratch database (the rest is reported)
4  --publish failed (the report is still printed; 2 and 3 win over it)
130  interrupted (Ctrl-C or SIGTERM); the scratch server and databases are cleaned up
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlreview import __version__, interrupts, publish
from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.parse import ParsedStatement, iter_statements
from sqlreview.pg.schema import Schema
from sqlreview.report import FORMATS
from sqlreview.report.scanning import outside_repository
from sqlreview.results import Level, Review, Section

if TYPE_CHECKING:
    from sqlreview.stats.apply import Thresholds
    from sqlreview.stats.estimate import Calibration
    from sqlreview.stats.snapshot import Snapshot

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130

FALLBACK_PG_VERSION = 13
OLDEST_PG_VERSION = 10
NEWEST_PG_VERSION = 30


DEFAULT_THRESHOLDS = {"risk_critical_seconds": 60.0, "risk_high_seconds": 10.0,
                      "risk_medium_seconds": 1.0}


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
    sizes = parser.add_argument_group("production sizes")
    sizes.add_argument("--stats", type=Path, metavar="FILE",
                       help="a snapshot from `sqlreview stats dump`: estimate how long each "
                            "statement takes on those tables and grade the risk by it")
    sizes.add_argument("--calibration", type=Path, metavar="FILE",
                       help="throughput figures for the estimates (default: the ones shipped "
                            "with sqlreview)")
    parser.set_defaults(**DEFAULT_THRESHOLDS)
    publish.add_publish_options(parser)
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
               "error, 4 --publish failed (the report is printed anyway).")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="SQL files to analyse, each on its own; - reads standard input")
    parser.add_argument("--schema", type=Path, metavar="FILE",
                        help="SQL describing the existing tables (pg_dump --schema-only output "
                             "or any DDL script; DML in it is ignored), or a snapshot from "
                             "`sqlreview stats dump` (default with --stats: its schema)")
    add_report_options(parser)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]
                    ) -> argparse.Namespace:
    """``argv`` parsed, with ``[tool.sqlreview]`` (pyproject.toml) as the defaults."""
    from sqlreview import config

    try:
        config.apply(parser)
    except config.ConfigError as error:
        raise UsageError(str(error)) from None
    return parser.parse_args(argv)


def apply_config(review: Review, args: argparse.Namespace) -> None:
    """The config's ``ignore`` on every statement, its warnings, where it was read."""
    from sqlreview.suppress import suppress_everywhere

    path = args.config_path
    if path is not None:
        review.settings["config"] = str(path)
    review.warnings.extend(args.config_warnings)
    reason = f"ignored in {path} ([tool.sqlreview] ignore)"
    suppress_everywhere(review.statements, dict.fromkeys(args.ignore, reason))


def run_sql(argv: Sequence[str]) -> int:
    args = parse_arguments(sql_parser(), argv)
    check_output_path(args.output)  # before the analysis, which may take a while
    sizes = load_sizes(args)
    fewer_collections()
    pg_version = args.pg_version or default_pg_version()
    options = AnalyzerOptions(pg_version=pg_version, assume_lock_timeout=args.assume_lock_timeout)
    review = Review(pg_version=pg_version, kind="sql")
    schema = read_schema(args.schema, review) if args.schema else None
    if schema is None and sizes is not None and sizes.snapshot.schema.relations:
        schema = sizes.snapshot.schema  # the snapshot doubles as --schema
        review.settings["schema"] = f"the --stats snapshot {args.stats}"
    inputs = args.files or (["-"] if sys.stdin is not None and not sys.stdin.isatty() else [])
    if not inputs:
        raise UsageError("give one or more SQL files, or - to read standard input "
                         "(see sqlreview sql --help)")
    for name in inputs:
        try:
            text = read_input(None if name == "-" else Path(name))
        except UsageError as error:
            review.errors.append(str(error))
            _print_error(f"sqlreview: {error}")
            continue
        analysis = analyze_sql(text, options=options, schema=schema, file=name)
        review.sections.append(Section(title=name if name != "-" else "standard input",
                                       analysis=analysis))
    apply_sizes(review, sizes)
    apply_config(review, args)
    emit(review, args.format, args.output, show=args.show)
    if review.errors:
        return EXIT_USAGE
    return exit_code(review, args.fail_on)


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


@dataclass
class Sizes:
    """``--stats`` and what grading by it needs."""

    snapshot: Snapshot
    calibration: Calibration
    thresholds: Thresholds
    source: str


def load_sizes(args: argparse.Namespace) -> Sizes | None:
    """The ``--stats`` snapshot with its calibration, or None without ``--stats``;
    a file that cannot be used is a usage error, found before any work."""
    from sqlreview.stats.apply import Thresholds
    from sqlreview.stats.calibration import CalibrationError, load_calibration
    from sqlreview.stats.snapshot import SnapshotError, load_snapshot

    if args.stats is None:
        return None
    thresholds = Thresholds(critical_seconds=args.risk_critical_seconds,
                            high_seconds=args.risk_high_seconds,
                            medium_seconds=args.risk_medium_seconds)
    try:
        thresholds.check()
        snapshot = load_snapshot(args.stats)
        calibration = load_calibration(args.calibration)
    except (SnapshotError, CalibrationError, ValueError) as error:
        raise UsageError(str(error)) from None
    return Sizes(snapshot, calibration, thresholds, str(args.stats))


def apply_sizes(review: Review, sizes: Sizes | None) -> None:
    """Estimates and size-graded risk with ``--stats``; without, say sizes are unknown."""
    if sizes is None:
        review.settings["stats"] = None
        return
    from sqlreview.stats.apply import apply_stats

    apply_stats(review, sizes.snapshot, sizes.calibration, sizes.thresholds,
                source=sizes.source)
    review.warnings.extend(f"--stats {sizes.source}: the dump could not read {item}"
                           for item in sizes.snapshot.unreadable)


def read_schema(path: Path, review: Review) -> Schema:
    """The ``--schema`` model; a file that describes no table is a usage error,
    statements that cannot be parsed become a warning of the review. A
    snapshot from ``sqlreview stats dump`` is read as the schema it holds."""
    from sqlreview.stats.snapshot import SnapshotError, looks_like_snapshot, snapshot_from_text

    label = f"--schema {path}"
    text = read_input(path, label=label)
    if looks_like_snapshot(text):
        try:
            snapshot = snapshot_from_text(text, label)
        except SnapshotError as error:
            raise UsageError(str(error)) from None
        if not snapshot.schema.relations:
            raise UsageError(f"{label} is a snapshot that describes no tables: dump it again "
                             "without --tables/--schema-name limits that match nothing")
        return snapshot.schema
    schema = Schema()
    statements = 0
    broken: list[ParsedStatement] = []
    for statement in iter_statements(text):
        statements += 1
        if statement.node is not None:
            schema.learn(statement.node, mark_new=False)
        elif not statement.meta_command:
            broken.append(statement)
    first = (f"(the first at line {broken[0].line}: {broken[0].error_message()})"
             if broken else "")
    if not schema.relations:
        found = (f"{_count(statements, 'statement')}, none of them creating a table"
                 if statements else "it holds no SQL statement")
        if broken:
            found += f", {len(broken)} cannot be parsed {first}"
        raise UsageError(f"{label} describes no tables: {found}. Give pg_dump --schema-only "
                         "output or the CREATE TABLE statements of the existing tables")
    if broken:
        review.warnings.append(
            f"{label}: {_count(len(broken), 'statement')} cannot be parsed and "
            f"{'was' if len(broken) == 1 else 'were'} skipped {first}")
    return schema


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


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
         show: Level | None = Level.MEDIUM) -> None:
    # The review lives until exit: spare the collector rescanning its (many)
    # objects while the report is drawn; on 40,000 statements that halves it.
    gc.freeze()
    write_output(FORMATS[output_format](review, show=show), output)
    if output_format == "codequality":
        _say_what_code_quality_left_out(review)
    publish.emitted(review, show)


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
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {output}: {error.strerror or error}") from None


def _write_stdout(text: str) -> None:
    if sys.stdout is None:
        raise UsageError("standard output is closed: give -o FILE to write the report to a file")
    try:
        sys.stdout.write(text)
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


def _print_error(message: str) -> None:
    """To standard error if it is open: ``print(file=None)`` would write to stdout."""
    if sys.stderr is not None:
        print(message, file=sys.stderr)


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
        if arguments and arguments[0] == "calibrate" and not configured:
            from sqlreview.stats import calibrate

            return calibrate.main(arguments[1:])
        with publish.publishing(arguments) as publishing:
            if arguments and arguments[0] == "sql" and not configured:
                code = run_sql(arguments[1:])
            elif arguments[:2] == ["stats", "dump"] and not configured:
                # Only with "dump": ``sqlreview stats`` alone still reviews an app "stats".
                from sqlreview.stats.dump import run_stats

                code = run_stats(arguments[1:])
            else:
                code = run_django(arguments, configured=configured)
        return publishing.exit_code(code)
    except UsageError as error:
        _print_error(f"sqlreview: {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _print_error("sqlreview: interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:
        if debug:
            raise
        _print_error(f"sqlreview: internal error: {type(error).__name__}: {error}\n"
                     "Run again with --debug for the traceback, and please report it.")
        return EXIT_USAGE


def entry_point() -> None:
    # A CI runner cancelling the job sends SIGTERM: treat it like Ctrl-C, so the
    # scratch databases and the embedded server are cleaned up on the way out.
    interrupts.install()
    code = main()
    interrupts.settle()
    sys.exit(code)


__all__ = ["check_output_path", "main", "run_django", "run_sql"]
