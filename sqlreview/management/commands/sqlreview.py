"""``manage.py sqlreview``: the sqlreview CLI, with Django already configured.

Every argument is handed unparsed to ``sqlreview.cli.run_django(argv)``, so
the command takes exactly the flags of the CLI (``--help`` prints them).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

RunDjango = Callable[[list[str]], "int | None"]


def _cli_entry() -> RunDjango | None:
    """``sqlreview.cli.run_django``, told that Django is already configured."""
    try:
        cli = importlib.import_module("sqlreview.cli")
    except ImportError:
        return None
    entry: Callable[..., int | None] | None = getattr(cli, "run_django", None)
    if entry is None:
        return None
    if "configured" in inspect.signature(entry).parameters:
        return functools.partial(entry, configured=True)
    return entry


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
        entry = _cli_entry()
        if entry is None:
            # No CLI yet: Django's own parser still answers --help.
            super().run_from_argv(argv)
            return
        code = entry(argv[2:])
        sys.exit(code or 0)

    def handle(self, *args: str, **options: Any) -> None:
        """Reached through ``call_command("sqlreview", ...)`` (or without the CLI)."""
        entry = _cli_entry()
        if entry is None:
            raise CommandError(
                "the sqlreview command-line interface (sqlreview.cli.run_django) is not "
                "installed with this sqlreview"
            )
        code = entry(list(args))
        if code:
            raise CommandError(f"sqlreview exited with status {code}", returncode=code)
