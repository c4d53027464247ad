"""What one Django operation changes in the database, read from the states around it.

The database side is the difference between the models before and after the
operation (``AddField``, ``AlterField``, ``RenameModel``, ... all reduce to
it), except where the database and the models part ways:
``SeparateDatabaseAndState`` (its database operations are walked the way
Django applies them; what the models lose while the database keeps it is a
:class:`StateOnlyRemoval`), ``RunSQL`` (its SQL, with its state operations on
the side) and ``RunPython``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlreview.deploy import python, sql
from sqlreview.deploy.facts import (
    Change,
    ColumnAdded,
    ColumnAltered,
    ColumnDropped,
    ColumnRenamed,
    ConstraintAdded,
    RawSql,
    StateOnlyRemoval,
    Table,
    TableCreated,
    TableDropped,
    TableRenamed,
)
from sqlreview.deploy.views import ModelKey, model_tables, table_named

if TYPE_CHECKING:
    from django.db.migrations.operations.base import Operation
    from django.db.migrations.state import ProjectState


def changes_of(
    app_label: str, operation: Operation, from_state: ProjectState, to_state: ProjectState
) -> list[Change]:
    from django.db.migrations.operations import RunPython, RunSQL, SeparateDatabaseAndState

    if isinstance(operation, RunPython):
        return [python.inspect_run_python(operation)]
    if isinstance(operation, RunSQL):
        database = sql.changes_of_sql(
            sql.statements_of(operation.sql), lambda name: table_named(from_state, name)
        )
        database.append(RawSql(reversible=operation.reversible))
        return database + _state_only(
            app_label, operation.state_operations, from_state, to_state, database
        )
    if isinstance(operation, SeparateDatabaseAndState):
        database, state = _database_side(app_label, operation.database_operations, from_state)
        return database + _state_only(
            app_label, operation.state_operations, state, to_state, database
        )
    return _state_difference(app_label, operation, from_state, to_state)


def _database_side(
    app_label: str, operations: Sequence[Operation], state: ProjectState
) -> tuple[list[Change], ProjectState]:
    """As SeparateDatabaseAndState.database_forwards walks them: each from the state
    the previous one left."""
    changes: list[Change] = []
    for operation in operations:
        after = state.clone()
        operation.state_forwards(app_label, after)
        changes.extend(changes_of(app_label, operation, state, after))
        state = after
    return changes, state


def _state_only(
    app_label: str,
    operations: Sequence[Operation],
    database_state: ProjectState,
    to_state: ProjectState,
    database_changes: Sequence[Change],
) -> list[Change]:
    """Columns the models stop having while the database keeps them."""
    keys = touched_models(app_label, operations)
    kept = {table.name: table for table in _tables(database_state, keys)}
    # Columns the database side itself dropped or renamed are not left behind.
    gone = {(c.table, c.column) for c in database_changes if isinstance(c, ColumnDropped)}
    gone |= {(c.table, c.old) for c in database_changes if isinstance(c, ColumnRenamed)}
    removals: list[Change] = []
    for table in _tables(to_state, keys):
        before = kept.get(table.name)
        if before is None:
            continue
        for column in before.columns:
            if table.column(column.name) is None and (table.name, column.name) not in gone:
                removals.append(StateOnlyRemoval(table.name, column))
    return removals


def _tables(state: ProjectState, keys: Iterable[ModelKey]) -> list[Table]:
    return [table for key in keys for table in model_tables(state, key).values()]


def touched_models(app_label: str, operations: Iterable[Operation]) -> set[ModelKey]:
    """The models these operations (at any depth) are about."""
    keys: set[ModelKey] = set()
    for operation in operations:
        keys.update(_model_keys(app_label, operation))
        for attribute in ("state_operations", "database_operations"):
            keys.update(touched_models(app_label, getattr(operation, attribute, ())))
    return keys


def _model_keys(app_label: str, operation: Any) -> list[ModelKey]:
    # A field, index or constraint operation names its model in model_name; a
    # model operation in name (a field operation's name is the field's).
    if isinstance(getattr(operation, "model_name", None), str):
        return [(app_label, operation.model_name.lower())]
    if hasattr(operation, "old_name") and hasattr(operation, "new_name") and \
            not hasattr(operation, "model_name"):
        return [(app_label, operation.old_name.lower()), (app_label, operation.new_name.lower())]
    if isinstance(getattr(operation, "name", None), str):
        return [(app_label, operation.name.lower())]
    return []


def _state_difference(
    app_label: str, operation: Operation, from_state: ProjectState, to_state: ProjectState
) -> list[Change]:
    from django.db.migrations.operations import RenameField, RenameModel

    if isinstance(operation, RenameModel):
        pairs = [((app_label, operation.old_name_lower), (app_label, operation.new_name_lower))]
    else:
        pairs = [(key, key) for key in sorted(_model_keys(app_label, operation))]
    renamed: dict[str, str] = {}
    if isinstance(operation, RenameField):
        renamed[operation.old_name] = operation.new_name
    changes: list[Change] = []
    for before_key, after_key in pairs:
        before = model_tables(from_state, before_key)
        after = model_tables(to_state, after_key)
        changes.extend(_model_difference(before, after, renamed))
    return changes


def _model_difference(
    before: dict[str, Table], after: dict[str, Table], renamed: dict[str, str]
) -> list[Change]:
    changes: list[Change] = []
    matched: set[str] = set()
    for part, old in before.items():
        new_part = renamed.get(part, part)
        new = after.get(new_part)
        if new is None:
            changes.append(TableDropped(old.name, old))
            continue
        matched.add(new_part)
        changes.extend(table_difference(old, new, renamed))
    changes.extend(TableCreated(new) for part, new in after.items() if part not in matched)
    return changes


def table_difference(old: Table, new: Table, renamed: dict[str, str]) -> list[Change]:
    changes: list[Change] = []
    if old.name != new.name:
        changes.append(TableRenamed(old.name, new.name))
    matched: set[str] = set()
    for column in old.columns:
        field = renamed.get(column.field, column.field)
        counterpart = new.by_field(field)
        if counterpart is None:
            changes.append(ColumnDropped(new.name, column.name, column))
            continue
        matched.add(field)
        if counterpart.name != column.name:
            changes.append(ColumnRenamed(new.name, column.name, counterpart.name))
        if dataclasses.replace(column, name=counterpart.name, field=field) != counterpart:
            changes.append(ColumnAltered(new.name, column, counterpart))
    changes.extend(
        ColumnAdded(new.name, column) for column in new.columns if column.field not in matched
    )
    changes.extend(
        ConstraintAdded(new.name, kind, name)
        for kind, name in sorted(new.constraints - old.constraints)
    )
    return changes
