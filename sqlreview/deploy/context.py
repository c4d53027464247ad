"""Judge a walk of migrations, one operation at a time, as one deploy.

The caller keeps one :class:`DeployContext` for the whole set of migrations
under review and calls :meth:`DeployContext.judge` once per top-level
operation, with the project states Django's ``Migration.apply`` passes to
``database_forwards`` (or :meth:`DeployContext.judge_migration` per
migration, which walks the states itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlreview.deploy.changes import changes_of
from sqlreview.deploy.checks import Knowledge, concerns_of
from sqlreview.deploy.facts import Column, Table
from sqlreview.deploy.verdict import (
    Concern,
    DeployModel,
    MigrationPhase,
    OperationVerdict,
    migration_phase,
)
from sqlreview.deploy.views import all_tables, table_named
from sqlreview.errors import first_line

if TYPE_CHECKING:
    from django.db.migrations.migration import Migration
    from django.db.migrations.operations.base import Operation
    from django.db.migrations.state import ProjectState


class DeployContext:
    """What the old code knows, and what the reviewed set did so far."""

    def __init__(self, model: DeployModel = DeployModel.MIGRATE_THEN_ROLLOUT) -> None:
        self.model = model
        self._old: Mapping[str, Table] | None = None
        self._state_removed: dict[tuple[str, str], Column] = {}

    @property
    def started(self) -> bool:
        return self._old is not None

    def start(self, state: ProjectState) -> None:
        """Take ``state`` (before the first reviewed migration) as the old code's models.

        Called by the first :meth:`judge` if the caller did not.
        """
        self._old = all_tables(state)

    def judge(
        self,
        app_label: str,
        operation: Operation,
        from_state: ProjectState,
        to_state: ProjectState,
        operation_index: int = 0,
    ) -> OperationVerdict:
        """The verdict on one top-level operation; keeps no reference to the states.

        For an operation Django skips when collecting SQL (``RunPython``), pass
        the same state twice.
        """
        if self._old is None:
            self.start(from_state)
        assert self._old is not None
        tables: dict[str, Table | None] = {}

        def new_table(name: str) -> Table | None:
            if name not in tables:
                tables[name] = table_named(to_state, name)
            return tables[name]

        knowledge = Knowledge(self._old, new_table, self._state_removed)
        concerns: list[Concern] = []
        try:
            for change in changes_of(app_label, operation, from_state, to_state):
                concerns.extend(concerns_of(change, knowledge))
        except Exception as error:  # a custom field or operation we cannot read
            return OperationVerdict(
                operation_index, describe(operation), self.model.usual_phase,
                notes=(f"not judged for rolling deploys: {first_line(error, with_type=True)}",),
            )
        return OperationVerdict.from_concerns(
            operation_index, describe(operation), concerns, self.model
        )

    def judge_migration(
        self, migration: Migration, state: ProjectState
    ) -> tuple[MigrationPhase, ProjectState]:
        """Judge every operation of ``migration`` from ``state``, its parent state
        (not modified); returns the migration's phase and its end state."""
        state = state.clone()
        verdicts = []
        for index, operation in enumerate(migration.operations):
            before = state.clone()
            try:
                operation.state_forwards(migration.app_label, state)
            except Exception as error:
                # The state is half-way: the caller rebuilds it (as after a failed render).
                verdicts.append(OperationVerdict(
                    index, describe(operation), self.model.usual_phase,
                    notes=("not judged: the operation fails "
                           f"({first_line(error, with_type=True)})",),
                ))
                break
            verdicts.append(self.judge(migration.app_label, operation, before, state, index))
        phase = migration_phase(
            verdicts,
            app_label=migration.app_label,
            name=migration.name,
            dependencies=[f"{app}.{name}" for app, name in migration.dependencies],
            model=self.model,
        )
        return phase, state


def judge_operation(
    app_label: str,
    operation: Operation,
    from_state: ProjectState,
    to_state: ProjectState,
    *,
    operation_index: int = 0,
    context: DeployContext | None = None,
) -> OperationVerdict:
    """:meth:`DeployContext.judge`; without a context the operation is a set on its own."""
    return (context or DeployContext()).judge(
        app_label, operation, from_state, to_state, operation_index
    )


def describe(operation: Any) -> str:
    try:
        return str(operation.describe())
    except Exception:
        return type(operation).__name__
