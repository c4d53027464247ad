"""``sqlreview rule [CODE]``: explain a finding code, or list them all."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence

from sqlreview import docs
from sqlreview.cli.io import write_output
from sqlreview.errors import ExitCode, UsageError


def rule_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlreview rule",
        description="Explain a finding code: what it finds, why it is risky, what to do "
                    "instead, with its examples and its page. Without CODE, list every code.",
        epilog="Exit codes: 0 explained or listed, 2 no such code.")
    parser.add_argument("code", nargs="?", metavar="CODE", help="e.g. SR103")
    return parser


def run_rule(argv: Sequence[str]) -> int:
    args = rule_parser().parse_args(argv)
    width = shutil.get_terminal_size((100, 24)).columns
    if args.code is None:
        write_output(docs.rule_list(width), None)
        return ExitCode.OK
    try:
        text = docs.rule_text(args.code, width)
    except KeyError as error:
        raise UsageError(str(error.args[0])) from None
    write_output(text, None)
    return ExitCode.OK
