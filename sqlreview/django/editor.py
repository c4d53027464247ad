"""Know which operation emitted each SQL statement, and never run Python.

Rendering runs Django's real ``Migration.apply(..., collect_sql=True)`` with
the backend's real schema editor, so the text is exactly what ``sqlmigrate``
prints. Two thin layers add what Django does not record:

* each operation is wrapped in a proxy that tells a :class:`StatementLog`
  when its ``database_forwards`` starts and ends; the schema editor subclass
  attributes every ``execute()`` to the running operation;
* SQL that an operation *defers* (foreign keys, indexes: appended to
  ``schema_editor.deferred_sql`` and only executed in ``__exit__``) is claimed
  by the operation that appended it, by object identity, so it is attributed
  to that operation and not to whichever ran last.

``RunPython`` is never called: at the top level Django skips it when
collecting SQL, and inside ``SeparateDatabaseAndState.database_operations``
(which Django's ``sqlmigrate`` does call!) it is swapped for a placeholder
that only logs it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.ddl_references import Statement
    from django.db.migrations.migration import Migration
    from django.db.migrations.operations.base import Operation
    from django.db.migrations.state import ProjectState

StatementKind = Literal["sql", "python", "opaque"]


@dataclass
class LoggedStatement:
    sql: str
    operation_index: int | None
    kind: StatementKind


class StatementLog:
    """Statements in execution order, each with the operation that emitted it."""

    def __init__(self, operations: Sequence[Operation]) -> None:
        self.entries: list[LoggedStatement] = []
        self._operations = list(operations)
        # Operations Django will skip (reduces_to_sql=False) get a placeholder
        # where they would have run: before the next operation starts.
        self._skipped = [i for i, op in enumerate(operations) if not op.reduces_to_sql]
        self._current: int | None = None
        # id(statement) -> (statement kept alive so the id stays unique, owner)
        self._deferred_owner: dict[int, tuple[object, int]] = {}

    def begin(self, index: int) -> None:
        self._flush_skipped(before=index)
        self._current = index

    def end(self, index: int, deferred: Sequence[object]) -> None:
        for statement in deferred:
            self._deferred_owner.setdefault(id(statement), (statement, index))
        self._current = None

    def finish_operations(self) -> None:
        """All operations ran; what executes now is the deferred SQL."""
        self._flush_skipped(before=None)
        self._current = None

    def owner_of(self, statement: object) -> int | None:
        claimed = self._deferred_owner.get(id(statement))
        if claimed is not None and claimed[0] is statement:
            return claimed[1]
        return self._current

    def add_sql(self, sql: str, owner: int | None) -> None:
        self.entries.append(LoggedStatement(sql, owner, "sql"))

    def add_python(self, index: int, operation: Operation) -> None:
        self.entries.append(LoggedStatement(python_placeholder(operation), index, "python"))

    def _flush_skipped(self, before: int | None) -> None:
        while self._skipped and (before is None or self._skipped[0] < before):
            index = self._skipped.pop(0)
            operation = self._operations[index]
            if _is_run_python(operation):
                self.add_python(index, operation)
            else:
                self.entries.append(
                    LoggedStatement(
                        f"-- THIS OPERATION CANNOT BE WRITTEN AS SQL: {operation.describe()}",
                        index,
                        "opaque",
                    )
                )


def python_placeholder(operation: Operation) -> str:
    code = getattr(operation, "code", None)
    module = getattr(code, "__module__", None)
    name = getattr(code, "__qualname__", None) or getattr(code, "__name__", None)
    where = f" {module}.{name}" if module and name else ""
    return f"-- RunPython{where} (Python code, not executed by sqlreview)"


def _is_run_python(operation: Operation) -> bool:
    from django.db.migrations.operations.special import RunPython

    return isinstance(operation, RunPython)


class AttributingSchemaEditor(BaseDatabaseSchemaEditor):
    """Mixed in front of the backend's schema editor class (see :func:`collecting_editor`)."""

    statement_log: StatementLog

    def execute(self, sql: str | Statement, params: Sequence[Any] | None = ()) -> None:
        owner = self.statement_log.owner_of(sql)
        before = len(self.collected_sql)
        super().execute(sql, params)
        for text in self.collected_sql[before:]:
            self.statement_log.add_sql(text, owner)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if exc_type is None:
            self.statement_log.finish_operations()
        super().__exit__(exc_type, exc_value, traceback)


_editor_classes: dict[type[BaseDatabaseSchemaEditor], type[AttributingSchemaEditor]] = {}


def collecting_editor(
    connection: BaseDatabaseWrapper, log: StatementLog, atomic: bool
) -> AttributingSchemaEditor:
    """What ``connection.schema_editor(collect_sql=True, atomic=atomic)`` gives, plus the log."""
    backend_class: type[BaseDatabaseSchemaEditor] | None = connection.SchemaEditorClass
    if backend_class is None:
        raise NotImplementedError(f"the {connection.vendor} backend has no schema editor")
    editor_class = _editor_classes.get(backend_class)
    if editor_class is None:
        editor_class = type(
            f"SqlReview{backend_class.__name__}", (AttributingSchemaEditor, backend_class), {}
        )
        _editor_classes[backend_class] = editor_class
    editor = editor_class(connection, collect_sql=True, atomic=atomic)
    editor.statement_log = log
    return editor


class OperationProxy:
    """Stands in for a migration operation: everything but ``database_forwards``
    (which subclasses define) is the operation's own."""

    def __init__(self, operation: Operation, index: int) -> None:
        self._operation = operation
        self._index = index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._operation, name)


class _TrackedOperation(OperationProxy):
    """Stands in for one top-level operation inside ``Migration.apply``."""

    def __init__(self, index: int, operation: Operation, log: StatementLog) -> None:
        super().__init__(operation, index)
        self._log = log
        self._database_side = _without_python(operation, index, log)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._log.begin(self._index)
        try:
            self._database_side.database_forwards(app_label, schema_editor, from_state, to_state)
        finally:
            self._log.end(self._index, schema_editor.deferred_sql)


class _PythonPlaceholder(OperationProxy):
    """Takes the place of a RunPython nested in SeparateDatabaseAndState."""

    def __init__(self, operation: Operation, index: int, log: StatementLog) -> None:
        super().__init__(operation, index)
        self._log = log

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._log.add_python(self._index, self._operation)


def _without_python(operation: Operation, index: int, log: StatementLog) -> Any:
    """The operation with every RunPython (at any nesting depth) replaced by a placeholder."""
    from django.db.migrations.operations.special import SeparateDatabaseAndState

    if _is_run_python(operation):
        return _PythonPlaceholder(operation, index, log)
    if isinstance(operation, SeparateDatabaseAndState):
        clone = copy.copy(operation)
        clone.database_operations = [
            _without_python(inner, index, log) for inner in operation.database_operations
        ]
        return clone
    return operation


def tracked_migration(migration: Migration, log: StatementLog) -> Migration:
    """A shallow copy of ``migration`` whose operations report to ``log``."""
    clone = copy.copy(migration)
    tracked: list[Any] = [
        _TrackedOperation(index, operation, log)
        for index, operation in enumerate(migration.operations)
    ]
    clone.operations = tracked  # type: ignore[misc]  # an instance attribute, as in Django
    return clone
