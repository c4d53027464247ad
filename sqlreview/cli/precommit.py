"""The pre-commit hook: ``sqlreview-precommit [SQLREVIEW ARGS] [FILE ...]``.

pre-commit passes the files it checks after the hook's ``args``: the migration files
among them (``<app>/migrations/<name>.py``) become ``app:name`` targets, so
``pre-commit run --all-files`` reviews every migration of the repository and a commit
reviews the migrations it touches, each against its parent state. The app label is the
directory that holds ``migrations/`` (Django's default); an app whose ``AppConfig.label``
differs is named in the error, review it with ``sqlreview LABEL`` instead.
Nothing to review (no migration file passed): exit 0 without starting anything.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import PurePath

from sqlreview.cli.main import main as review_command
from sqlreview.cli.main import run_program


def migration_target(argument: str) -> str | None:
    """``app:name`` for ``…/app/migrations/name.py``; None for anything else."""
    path = PurePath(argument.replace("\\", "/"))
    if path.suffix != ".py" or path.stem == "__init__" or len(path.parts) < 3:
        return None
    if path.parent.name != "migrations":
        return None
    return f"{path.parent.parent.name}:{path.stem}"


def split_arguments(arguments: Sequence[str]) -> tuple[list[str], list[str]]:
    """(sqlreview's own arguments, the migration targets), in the given order; files that
    are not migrations (``__init__.py``, a model file) are dropped."""
    options: list[str] = []
    targets: list[str] = []
    for argument in arguments:
        target = migration_target(argument) if not argument.startswith("-") else None
        if target is not None:
            targets.append(target)
        elif not argument.endswith(".py"):
            options.append(argument)
    return options, list(dict.fromkeys(targets))


def main(argv: Sequence[str] | None = None) -> int:
    options, targets = split_arguments(sys.argv[1:] if argv is None else argv)
    if not targets:
        return 0
    return review_command([*options, *targets])


def entry_point() -> None:
    run_program(main)


if __name__ == "__main__":
    entry_point()
