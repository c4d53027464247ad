"""``sqlreview sql FILE ...``: analyse raw SQL files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlreview.cli.io import check_output_path, emit, fewer_collections, print_error, read_input
from sqlreview.cli.options import (
    HelpFormatter,
    add_report_options,
    default_pg_version,
    load_sizes,
    parse_arguments,
    project_config,
    terminal_options,
)
from sqlreview.cli.outcome import EXIT_CODES_HELP, exit_code, with_publishing
from sqlreview.errors import ExitCode, UsageError
from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import learn
from sqlreview.pg.parse import ParsedStatement, iter_statements
from sqlreview.pg.schema import Schema
from sqlreview.publish import publish_review
from sqlreview.results import Review, Section
from sqlreview.review import finish
from sqlreview.stats.snapshot import SnapshotError, looks_like_snapshot, snapshot_from_text


def sql_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlreview sql",
        description="Analyse PostgreSQL statements: the lock each one takes on which table, "
                    "what it blocks, how long it is held, and whether it rewrites or scans.",
        epilog=EXIT_CODES_HELP, formatter_class=HelpFormatter)
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="SQL files to analyse, each on its own; - reads standard input")
    parser.add_argument("--schema", type=Path, metavar="FILE",
                        help="SQL describing the existing tables (pg_dump --schema-only output "
                             "or any DDL script; DML in it is ignored), or a snapshot from "
                             "`sqlreview stats dump` (default with --stats: its schema)")
    add_report_options(parser)
    return parser


def run_sql(argv: Sequence[str]) -> int:
    """``sqlreview sql FILE ...``: each file analysed on its own."""
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
        review.settings.schema = f"the --stats snapshot {args.stats}"
    inputs = args.files or (["-"] if sys.stdin is not None and not sys.stdin.isatty() else [])
    if not inputs:
        raise UsageError("give one or more SQL files, or - to read standard input "
                         "(see sqlreview sql --help)")
    for name in inputs:
        try:
            text = read_input(None if name == "-" else Path(name))
        except UsageError as error:
            review.errors.append(str(error))
            print_error(f"sqlreview: {error}")
            continue
        analysis = analyze_sql(text, options=options, schema=schema, file=name)
        review.sections.append(Section(title=name if name != "-" else "standard input",
                                       analysis=analysis))
    finish(review, sizes=sizes, config=project_config(args))
    emit(review, args.format, args.output, show=args.show,
         terminal=terminal_options(args))
    failed = publish_review(review, args, show=args.show)
    code = ExitCode.USAGE if review.errors else exit_code(review, args.fail_on)
    return with_publishing(code, failed, publish_required=args.publish_required)


def read_schema(path: Path, review: Review) -> Schema:
    """The ``--schema`` model; a file that describes no table is a usage error,
    statements that cannot be parsed become a warning of the review. A
    snapshot from ``sqlreview stats dump`` is read as the schema it holds."""
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
            learn(schema, statement.node, mark_new=False)
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
