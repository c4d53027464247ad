"""Know which operation emitted each SQL statement, in one pass through Django.

Rendering runs Django's real ``Migration.apply(..., collect_sql=True)`` with
the backend's real schema editor, so the text is exactly what ``sqlmigrate``
prints. Thin layers add what Django does not record:

* each operation is wrapped in a proxy that tells a :class:`StatementLog`
  when its ``database_forwards`` starts and ends; the schema editor subclass
  attributes every ``execute()`` to the running operation;
* SQL that an operation *defers* (foreign keys, indexes: appended to
  ``schema_editor.deferred_sql`` and only executed in ``__exit__``) is claimed
  by the operation that appended it, by object identity, so it is attributed
  to that operation and not to whichever ran last;
* in replay (``executes=True``) every collected statement is also executed,
  so the migration is applied while it is rendered: what is reviewed is
  exactly what ran, and introspection later in the same migration sees the
  statements before it (as ``migrate`` does). Operations that cannot be
  written as SQL (``RunPython``, custom ones) then run for real too, after
  the comment ``sqlmigrate`` prints for them; what they execute through the
  schema editor is kept out of the rendered text, as ``sqlmigrate`` keeps it.

Without ``executes`` (live mode) nothing but the schema editor's own
introspection reaches the database and ``RunPython`` is never called: at the
top level Django skips it when collecting SQL, and inside
``SeparateDatabaseAndState.database_operations`` (which Django's
``sqlmigrate`` does call!) it is swapped for a placeholder that only logs it.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from sqlreview import interrupts
from sqlreview.django import stand_ins
from sqlreview.django.identifiers import stable_sql

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.migration import Migration
    from django.db.migrations.operations.base import Operation
    from django.db.migrations.state import ProjectState

StatementKind = Literal["sql", "python", "opaque"]
CANNOT_BE_SQL = "-- THIS OPERATION CANNOT BE WRITTEN AS SQL"


@dataclass(frozen=True)
class PythonCode:
    """What a RunPython names: its forward function, and its reverse."""

    function: str  # module.qualname, or "" when it cannot be named
    noop: bool  # the forward code is RunPython.noop: it runs nothing
    reverse: str | None  # module.qualname, "noop", or None (irreversible)

    def to_json(self) -> dict[str, Any]:
        return {"function": self.function, "noop": self.noop, "reverse": self.reverse}


@dataclass
class LoggedStatement:
    sql: str
    operation_index: int | None
    kind: StatementKind
    python: PythonCode | None = None
    # The transaction of its own the operation ran in (numbered from 1), when the
    # migration as a whole runs in none (see ``StatementLog.begin``).
    transaction: int | None = None


@dataclass
class CapturedStatement:
    """A statement Python code of a migration executed (schema editor or cursor)."""

    sql: str
    operation_index: int | None
    # Index in StatementLog.entries of the placeholder row of the code that ran it.
    position: int | None = None


class StatementLog:
    """Statements in execution order, each with the operation that emitted it."""

    def __init__(self, operations: Sequence[Operation], runs_python: bool = False) -> None:
        self.entries: list[LoggedStatement] = []
        self.captured: list[CapturedStatement] = []
        self._operations = list(operations)
        # Without running Python, operations Django will skip
        # (reduces_to_sql=False) get a placeholder where they would have run:
        # before the next operation starts.
        self._skipped = (
            [] if runs_python else [i for i, op in enumerate(operations) if not op.reduces_to_sql]
        )
        self._current: int | None = None
        # The operations Django runs in a transaction of their own (see
        # ``own_transaction_operations``); the one open now, and how many were opened.
        self.own_transactions: frozenset[int] = frozenset()
        self._transaction: int | None = None
        self._transactions_opened = 0
        self._python_positions: list[int | None] = []
        # True while the schema editor itself runs a statement it collected.
        self.editor_running = False
        # What the scratch server lacked and what stood in for it (see stand_ins).
        self.warnings: list[str] = []
        # id(statement) -> (statement kept alive so the id stays unique, owner)
        self._deferred_owner: dict[int, tuple[object, int]] = {}

    def begin(self, index: int) -> None:
        self._flush_skipped(before=index)
        self._current = index
        self._open_transaction(index)

    def end(self, index: int, deferred: Sequence[object]) -> None:
        for statement in deferred:
            self._deferred_owner.setdefault(id(statement), (statement, index))
        self._current = None
        self._transaction = None

    def _open_transaction(self, index: int) -> None:
        if index in self.own_transactions:
            self._transactions_opened += 1
            self._transaction = self._transactions_opened

    def finish_operations(self) -> None:
        """All operations ran; what executes now is the deferred SQL."""
        self._flush_skipped(before=None)
        self._current = None

    def owner_of(self, statement: object) -> int | None:
        claimed = self._deferred_owner.get(id(statement))
        if claimed is not None and claimed[0] is statement:
            return claimed[1]
        return self._current

    @property
    def in_python(self) -> bool:
        return bool(self._python_positions)

    @contextlib.contextmanager
    def python_scope(self, position: int | None = None) -> Iterator[None]:
        """While Python code of a migration runs: its statements are captured, not rendered.

        ``position`` is the placeholder row of that code (what it runs is attached to it).
        """
        self._python_positions.append(position)
        try:
            yield
        finally:
            self._python_positions.pop()

    def add_sql(self, sql: str, owner: int | None) -> None:
        """Record ``sql`` for the reports (per-run names made stable: ``stable_sql``)."""
        sql = stable_sql(sql)
        if self.in_python:
            self.capture(sql, owner)
        else:
            self.entries.append(LoggedStatement(sql, owner, "sql", transaction=self._transaction))

    def capture(self, sql: str, owner: int | None) -> None:
        """What Python code executed, recorded for the reports (never executed from here)."""
        self.captured.append(CapturedStatement(stable_sql(sql), owner,
                                               self._python_positions[-1]))

    def add_placeholder(self, index: int, operation: Operation) -> int:
        """The placeholder row of an operation that is not SQL; returns its position."""
        if _is_run_python(operation):
            self.entries.append(LoggedStatement(python_placeholder(operation), index, "python",
                                                python_code(operation), self._transaction))
        else:
            self.entries.append(LoggedStatement(f"{CANNOT_BE_SQL}: {operation.describe()}",
                                                index, "opaque", transaction=self._transaction))
        return len(self.entries) - 1

    def _flush_skipped(self, before: int | None) -> None:
        while self._skipped and (before is None or self._skipped[0] < before):
            index = self._skipped.pop(0)
            self._open_transaction(index)
            self.add_placeholder(index, self._operations[index])
            self._transaction = None


def own_transaction_operations(migration: Migration, editor: BaseDatabaseSchemaEditor
                               ) -> frozenset[int]:
    """The operations Django runs in a transaction of their own: its rule in
    ``Migration.apply``, where the schema editor opened none for the migration
    (``atomic = False``, or a backend that refuses one), for each atomic operation."""
    if editor.atomic_migration:
        return frozenset()
    own = set()
    for index, operation in enumerate(migration.operations):
        operation_atomic = getattr(operation, "atomic", False)
        if operation_atomic or (migration.atomic and operation_atomic is not False):
            own.add(index)
    return frozenset(own)


def python_placeholder(operation: Operation) -> str:
    name = _function_name(getattr(operation, "code", None))
    where = f" {name}" if name else ""
    return f"-- RunPython{where} (Python code, not executed by sqlreview)"


def python_code(operation: Operation) -> PythonCode:
    from django.db.migrations.operations.special import RunPython

    def is_noop(code: object) -> bool:
        return getattr(code, "__func__", code) is RunPython.noop

    code = getattr(operation, "code", None)
    reverse = getattr(operation, "reverse_code", None)
    reverse_name = None if reverse is None else "noop" if is_noop(reverse) else (
        _function_name(reverse) or "a function")
    return PythonCode(_function_name(code), is_noop(code), reverse_name)


def _function_name(code: object) -> str:
    module = getattr(code, "__module__", None)
    name = getattr(code, "__qualname__", None) or getattr(code, "__name__", None)
    return f"{module}.{name}" if module and name else ""


def _is_run_python(operation: Operation) -> bool:
    from django.db.migrations.operations.special import RunPython

    return isinstance(operation, RunPython)


class StatementObserver(Protocol):
    """What ``--trace`` hooks in (see ``trace.MigrationTrace``)."""

    def editor_statement(self) -> contextlib.AbstractContextManager[None]: ...

    def placeholder(self, position: int) -> contextlib.AbstractContextManager[None]: ...


class AttributingSchemaEditor(BaseDatabaseSchemaEditor):
    """Mixed in front of the backend's schema editor class (see :func:`recording_editor`)."""

    statement_log: StatementLog
    executes: bool = False
    observer: StatementObserver | None = None
    # >0 while the backend's execute() runs: a custom backend's execute may call
    # execute() again (django-pg-zero-downtime-migrations wraps a statement in its
    # own SET lock_timeout ...); the outermost call records everything once, in order.
    _execute_depth: int = 0

    def execute(self, sql: object, params: Sequence[Any] | None = ()) -> None:
        """``sql``: whatever the backend passes (a str, a ``Statement``, or a custom
        backend's own SQL objects); the backend's execute turns it into text."""
        if self._execute_depth:
            super().execute(sql, params)  # type: ignore[arg-type]
            return
        owner = self.statement_log.owner_of(sql)
        before = len(self.collected_sql)
        self._execute_depth += 1
        try:
            super().execute(sql, params)  # type: ignore[arg-type]
        finally:
            self._execute_depth -= 1
        texts = self.collected_sql[before:]
        if self.statement_log.in_python:
            del self.collected_sql[before:]  # sqlmigrate never shows what Python ran
        for text in texts:
            self.statement_log.add_sql(text, owner)
            if self.executes:
                self._run(text)

    def _run(self, text: str) -> None:
        interrupts.check()
        self.statement_log.editor_running = True
        try:
            if stand_ins.may_need_one(text):
                self._run_or_stand_in(text)
            else:
                self._execute(text)
        finally:
            self.statement_log.editor_running = False

    def _execute(self, text: str) -> None:
        with self.observed(), self.connection.cursor() as cursor:
            cursor.execute(text)

    def _run_or_stand_in(self, text: str) -> None:
        """A statement the embedded server may not support: in a savepoint, and when
        the server lacks what it needs, a stand-in (or nothing) instead, said in a warning."""
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic(using=self.connection.alias):
                self._execute(text)
            return
        except DatabaseError as error:
            replacement = stand_ins.replacement(text, str(error))
            if replacement is None:
                raise
        if replacement.sql:
            self._execute(replacement.sql)
        self.statement_log.warnings.append(replacement.warning)

    def observed(self) -> contextlib.AbstractContextManager[None]:
        return self.observer.editor_statement() if self.observer else contextlib.nullcontext()

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if exc_type is None:
            self.statement_log.finish_operations()
        super().__exit__(exc_type, exc_value, traceback)


_editor_classes: dict[type[BaseDatabaseSchemaEditor], type[AttributingSchemaEditor]] = {}


def recording_editor(
    connection: BaseDatabaseWrapper,
    log: StatementLog,
    atomic: bool,
    executes: bool = False,
    observer: StatementObserver | None = None,
) -> AttributingSchemaEditor:
    """``connection.schema_editor(collect_sql=True, atomic=atomic)``, plus the log.

    The editor subclasses the connection's own schema editor class, so a custom
    backend's (e.g. django-pg-zero-downtime-migrations) renders as it does in
    ``sqlmigrate`` and decides the transaction model: its ``atomic_migration``
    says whether the migration really runs in one transaction, whatever
    ``atomic`` asked for. With ``executes`` every collected statement is also
    run on ``connection``.
    """
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
    editor.executes = executes
    editor.observer = observer
    return editor


class OperationProxy:
    """Stands in for a migration operation: everything but ``database_forwards``
    (which subclasses define) is the operation's own."""

    def __init__(self, operation: Operation, index: int) -> None:
        self._operation = operation
        self._index = index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._operation, name)


# Called with (app_label, operation, from_state, to_state, index) before each
# top-level operation runs (the rolling-deploy verdicts).
OperationJudge = Callable[[str, Any, "ProjectState", "ProjectState", int], None]


class _TrackedOperation(OperationProxy):
    """Stands in for one top-level operation inside ``Migration.apply``."""

    def __init__(
        self, index: int, operation: Operation, log: StatementLog, runs_python: bool,
        judge: OperationJudge | None = None,
    ) -> None:
        super().__init__(operation, index)
        self._log = log
        self._runs_python = runs_python
        self._judge = judge
        self._database_side = _nested_python(operation, index, log, runs_python)

    @property
    def reduces_to_sql(self) -> bool:
        # When Python runs, Django must not skip the operation: we write the
        # comment sqlmigrate prints for it ourselves, then run it.
        return self._runs_python or bool(self._operation.reduces_to_sql)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if self._judge is not None:
            self._judge(app_label, self._operation, from_state, to_state, self._index)
        self._log.begin(self._index)
        try:
            if self._operation.reduces_to_sql:
                self._database_side.database_forwards(
                    app_label, schema_editor, from_state, to_state
                )
            else:
                schema_editor.collected_sql.append(CANNOT_BE_SQL)
                _run_as_python(self._operation, self._index, self._log, schema_editor,
                               (app_label, schema_editor, from_state, to_state))
        finally:
            self._log.end(self._index, schema_editor.deferred_sql)


def _run_as_python(
    operation: Operation,
    index: int,
    log: StatementLog,
    schema_editor: BaseDatabaseSchemaEditor,
    arguments: tuple[str, BaseDatabaseSchemaEditor, ProjectState, ProjectState],
) -> None:
    """Log the operation's placeholder, then run it for real, its statements captured."""
    position = log.add_placeholder(index, operation)
    observer = getattr(schema_editor, "observer", None)
    scope = observer.placeholder(position) if observer else contextlib.nullcontext()
    connection = schema_editor.connection
    with log.python_scope(position), scope, connection.execute_wrapper(
            _CursorCapture(log, index, connection)):
        operation.database_forwards(*arguments)


class _CursorCapture:
    """An execute wrapper: what Python code runs through a plain cursor, captured.

    The schema editor's own statements are captured by the editor (not twice),
    and its catalog introspection is not the migration's work.
    """

    def __init__(self, log: StatementLog, index: int, connection: BaseDatabaseWrapper) -> None:
        self._log = log
        self._index = index
        self._connection = connection

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:
        if not self._log.editor_running and not _introspection(sql):
            self._log.capture(self._text(sql, params, many), self._index)
        return execute(sql, params, many, context)

    def _text(self, sql: str, params: Any, many: bool) -> str:
        if many:
            params = next(iter(params or ()), None)
        if not params:
            return str(sql)
        try:
            compose = getattr(self._connection.ops, "compose_sql", None)  # PostgreSQL's
            return str(compose(sql, params)) if compose else str(sql)
        except Exception:
            return str(sql)


_CATALOGS = ("pg_catalog.", "information_schema.", " pg_class", " pg_constraint",
             " pg_index", " pg_attribute", " pg_namespace", " pg_type", " pg_settings")


def _introspection(sql: str) -> bool:
    """A catalog read of the schema editor or Django's introspection."""
    text = str(sql).lstrip().lower()
    return text.startswith(("select", "with")) and any(name in text for name in _CATALOGS)


class _PythonPlaceholder(OperationProxy):
    """Takes the place of a RunPython nested in SeparateDatabaseAndState."""

    def __init__(
        self, operation: Operation, index: int, log: StatementLog, runs_python: bool
    ) -> None:
        super().__init__(operation, index)
        self._log = log
        self._runs_python = runs_python

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if self._runs_python:
            _run_as_python(self._operation, self._index, self._log, schema_editor,
                           (app_label, schema_editor, from_state, to_state))
        else:
            self._log.add_placeholder(self._index, self._operation)


def _nested_python(operation: Operation, index: int, log: StatementLog, runs_python: bool) -> Any:
    """The operation with every RunPython (at any nesting depth) replaced by a placeholder."""
    from django.db.migrations.operations.special import SeparateDatabaseAndState

    if _is_run_python(operation):
        return _PythonPlaceholder(operation, index, log, runs_python)
    if isinstance(operation, SeparateDatabaseAndState):
        clone = copy.copy(operation)
        clone.database_operations = [
            _nested_python(inner, index, log, runs_python)
            for inner in operation.database_operations
        ]
        return clone
    return operation


def tracked_migration(migration: Migration, log: StatementLog, runs_python: bool,
                      judge: OperationJudge | None = None) -> Migration:
    """A shallow copy of ``migration`` whose operations report to ``log`` (and ``judge``)."""
    clone = copy.copy(migration)
    tracked: list[Any] = [
        _TrackedOperation(index, operation, log, runs_python, judge)
        for index, operation in enumerate(migration.operations)
    ]
    clone.operations = tracked  # type: ignore[misc]  # an instance attribute, as in Django
    return clone
