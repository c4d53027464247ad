"""Django's project state after a set of migrations, built without a database.

Shared by the pre-state (``prestate``), applying a migration (``apply``) and
live rendering (``run``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlreview.errors import first_line

if TYPE_CHECKING:
    from django.db.migrations.operations.base import Operation
    from django.db.migrations.state import ProjectState

    from sqlreview.django.select import MigrationKey, Selection


def project_state(
    selection: Selection, keys: Iterable[MigrationKey]
) -> tuple[ProjectState, list[str]]:
    """The rendered project state after ``keys``, built the cheap way.

    Mutating an unrendered state costs little; rendering the models once at
    the end is what Django's executor does too. An operation whose state
    change raises (a RemoveField of a field the state lacks) is skipped and
    reported, so one broken migration does not stop the ones after it.
    """
    state = empty_state(selection)
    problems = _mutate(selection, keys, state)
    _ = state.apps  # render once
    return state, problems


def mutate_rendered(
    selection: Selection, keys: Iterable[MigrationKey], state: ProjectState
) -> tuple[ProjectState, list[str]]:
    """Carry a rendered ``state`` past ``keys`` (live mode's unreviewed migrations)."""
    return state, _mutate(selection, keys, state)


def empty_state(selection: Selection) -> ProjectState:
    from django.db.migrations.state import ProjectState

    return ProjectState(real_apps=selection.loader.unmigrated_apps)


def _mutate(selection: Selection, keys: Iterable[MigrationKey], state: ProjectState) -> list[str]:
    problems = []
    for key in keys:
        migration = selection.migration(key)
        for operation in migration.operations:
            try:
                operation.state_forwards(migration.app_label, state)
            except Exception as error:
                problems.append(
                    f"{key[0]}.{key[1]}: {describe_operation(operation)} could not change the "
                    f"project state ({first_line(error, with_type=True)}); it was skipped"
                )
    return problems


def describe_operation(operation: Operation) -> str:
    try:
        return str(operation.describe())
    except Exception:
        return type(operation).__name__


# -- which history the fast path can build -----------------------------------------------

# Operations whose effect on the database is fully described by the project
# state they leave, with the names Django gives a new table's objects.
