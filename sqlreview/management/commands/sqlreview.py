"""``manage.py sqlreview``: the sqlreview CLI, with Django already configured.

Every argument is handed unparsed to the CLI, so the command takes exactly the
flags of ``sqlreview`` (``--help`` prints them) and has the same exit codes.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sqlreview import interrupts
from sqlreview.cli import main


class Command(BaseCommand):
    help = (
        "Review the SQL of this project's migrations before they reach production "
        "PostgreSQL: locks, table rewrites and risks per statement."
    )
    requires_system_checks: ClassVar[list[str]] = []  # type: ignore[misc]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "args",
            nargs="*",
            metavar="ARG",
            help="sqlreview arguments, e.g. targets (app_label, app_label:0007) and flags",
        )

    def run_from_argv(self, argv: list[str]) -> None:
        """``manage.py sqlreview ...``: the CLI parses its own flags and exits with its code."""
        interrupts.install()
        sys.exit(main(argv[2:], configured=True))

    def handle(self, *args: str, **options: Any) -> None:
        """``call_command("sqlreview", ...)``: a non-zero exit becomes a CommandError."""
        code = main(list(args), configured=True)
        if code:
            raise CommandError(f"sqlreview exited with status {code}", returncode=code)
