"""The ``sqlreview`` command line: which command runs, and what its errors exit with.

``sqlreview [targets]`` (and ``manage.py sqlreview``) reviews Django
migrations (``cli.review``); ``sqlreview sql FILE ...`` analyses raw SQL
(``cli.sql``); ``sqlreview stats dump`` writes a snapshot of production sizes
for ``--stats`` (``cli.stats``); ``sqlreview calibrate`` measures the
throughput behind the duration estimates (``cli.calibrate``). The exit codes
are ``sqlreview.errors.ExitCode``; how a publishing failure shows in them,
``sqlreview.cli.outcome``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from sqlreview import interrupts
from sqlreview.cli.io import print_error
from sqlreview.crash import internal_error
from sqlreview.errors import ExitCode, UsageError


def main(argv: Sequence[str] | None = None, *, configured: bool = False) -> int:
    """The whole command line; ``configured``: Django is set up already (manage.py)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in arguments
    try:
        return int(_dispatch(arguments, configured=configured))
    except UsageError as error:
        print_error(f"sqlreview: {error}")
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print_error("sqlreview: interrupted")
        return ExitCode.INTERRUPTED
    except Exception as error:
        return internal_error(error, debug=debug)  # exit 2, with or without --debug


def _dispatch(arguments: list[str], *, configured: bool) -> int:
    # Under manage.py every argument is the Django review's: an app may be named "sql".
    # Each command is imported when it runs: ``sqlreview sql`` never loads Django.
    command = arguments[0] if arguments and not configured else None
    if command == "calibrate":
        from sqlreview.cli.calibrate import run_calibrate  # only what the command needs

        return run_calibrate(arguments[1:])
    if command == "sql":
        from sqlreview.cli.sql import run_sql  # only what the command needs

        return run_sql(arguments[1:])
    if command == "stats":
        return _stats(arguments[1:])
    if command == "rule":
        from sqlreview.cli.rule import run_rule  # only what the command needs

        return run_rule(arguments[1:])
    from sqlreview.cli.review import run_review  # only what the command needs

    return run_review(arguments, configured=configured)


STATS_HELP = """\
usage: sqlreview stats dump --database-url URL [-o FILE] [...]

sqlreview stats groups the commands about production's tables:
  dump    write a read-only snapshot of their sizes, schema and applied migrations,
          for --stats and --pre-state snapshot (sqlreview stats dump --help)

An app named stats is reviewed as stats:0001 or with manage.py sqlreview stats.
"""


def _stats(arguments: list[str]) -> int:
    if arguments[:1] == ["dump"]:
        from sqlreview.cli.stats import run_stats  # only what the command needs

        return run_stats(arguments)
    if arguments[:1] in (["-h"], ["--help"]):
        sys.stdout.write(STATS_HELP)
        return ExitCode.OK
    raise UsageError("sqlreview stats needs a subcommand: dump (see sqlreview stats --help); "
                     "an app named stats is reviewed as stats:0001")


def run_program(command: Callable[[], int]) -> NoReturn:
    """Run ``command`` as the whole process, its result the exit status.

    A CI runner cancelling the job sends SIGTERM: it is treated like Ctrl-C, so the
    scratch databases and the embedded server are cleaned up on the way out.
    """
    interrupts.install()
    code = int(ExitCode.INTERRUPTED)
    # A second signal as the command returns: it was interrupted, and it cleaned up.
    with contextlib.suppress(KeyboardInterrupt):
        code = command()
    interrupts.settle()
    sys.exit(code)


def entry_point() -> None:
    run_program(main)
