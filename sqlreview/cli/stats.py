"""``sqlreview stats dump``: write a snapshot of production sizes (``sqlreview.stats.dump``).

Exit codes: 0 written, 2 bad flag, unreachable database, bad URL or unwritable
``-o``, 3 written but some part could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlreview.cli.io import check_output_path, write_output
from sqlreview.errors import ExitCode, UsageError
from sqlreview.stats.dump import DumpError, take_snapshot


def dump_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlreview stats dump",
        description="Write a read-only snapshot of a database's table sizes, row estimates "
                    "and schema (catalog data only, never row data) for --stats and --schema, "
                    "with its schema DDL and applied migrations (a review's pre-state).",
        epilog="Exit codes: 0 written, 2 usage error or the database could not be reached, "
               "3 written but some part could not be read (listed on stderr and in the file).")
    parser.add_argument("--database-url", required=True, metavar="URL",
                        help="postgresql://USER@HOST/DB of the database (a replica is best); "
                             "the role needs CONNECT, and for the schema DDL USAGE on the "
                             "schemas and SELECT on the tables (no row is read)")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="write the snapshot to FILE instead of standard output")
    parser.add_argument("--tables", metavar="T,...", type=_names,
                        help="only these tables (comma-separated, schema.table outside public)")
    parser.add_argument("--schema-name", metavar="S,...", type=_names,
                        help="only tables in these schemas (comma-separated)")
    parser.add_argument("--no-schema-ddl", dest="schema_ddl", action="store_false",
                        help="leave out the schema DDL and the applied migrations (the "
                             "pre-state of a review): sizes only, and CONNECT is enough")
    return parser


def _names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected one or more comma-separated names")
    return names


def run_stats(argv: Sequence[str]) -> int:
    """``argv``: what follows ``sqlreview stats``, i.e. ``dump ...``."""
    args = dump_parser().parse_args(list(argv[1:]))
    check_output_path(args.output)
    try:
        snapshot = take_snapshot(args.database_url, tables=args.tables,
                                 schema_names=args.schema_name, schema_ddl=args.schema_ddl)
    except DumpError as error:
        raise UsageError(str(error)) from None
    write_output(json.dumps(snapshot.to_json(), indent=1) + "\n", args.output)
    for problem in snapshot.unreadable:
        print(f"sqlreview stats dump: could not read {problem}", file=sys.stderr)
    return ExitCode.INCOMPLETE if snapshot.unreadable else ExitCode.OK
