"""An internal error (a bug in sqlreview): one line on stderr, exit code 2.

With ``--debug`` the traceback comes first, and the exit code stays 2: a
traceback printed by Python itself would exit 1, the code for "a risky
migration was found", and a CI job would take a crash for a verdict.
"""

from __future__ import annotations

import sys
import traceback

from sqlreview.errors import ExitCode

EXIT_INTERNAL = ExitCode.USAGE  # the usage/input error code: never 0 or 1


def internal_error(error: BaseException, *, debug: bool) -> int:
    """Report ``error`` on stderr (its traceback too with ``debug``); the exit code."""
    if sys.stderr is None:  # closed (2>&-): nowhere to say it
        return EXIT_INTERNAL
    if debug:
        sys.stderr.write("".join(traceback.format_exception(error)))
        message = f"sqlreview: internal error: {type(error).__name__}: {error}\nPlease report it."
    else:
        message = (f"sqlreview: internal error: {type(error).__name__}: {error}\n"
                   "Run again with --debug for the traceback, and please report it.")
    print(message, file=sys.stderr)
    return EXIT_INTERNAL
