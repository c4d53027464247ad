"""Render one migration's SQL exactly as Django's schema editor emits it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlreview.deploy import migration_phase
from sqlreview.django.editor import (
    PythonCode,
    StatementLog,
    StatementObserver,
    own_transaction_operations,
    recording_editor,
    tracked_migration,
)
from sqlreview.django.loading import import_error_of
from sqlreview.errors import first_line

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.migration import Migration
    from django.db.migrations.state import ProjectState

    from sqlreview.deploy import DeployContext, MigrationPhase, OperationVerdict
    from sqlreview.pg.observe import Observation
    from sqlreview.pg.schema import Schema


@dataclass
class RenderedStatement:
    """One statement of a migration, attributed to the operation that emitted it."""

    # One statement as Django emits it (with its trailing ';'), or for kinds
    # "python" and "opaque" a one-line SQL comment standing in for it.
    sql: str
    # Index into migration.operations (top level); deferred SQL (FKs, indexes
    # run at the end of the migration) keeps the index of the operation that
    # deferred it.
    operation_index: int | None
    operation: str | None  # that operation's describe()
    kind: Literal["sql", "python", "opaque"]
    # --trace (replay): what PostgreSQL did when this statement was applied on
    # the scratch database; for "python"/"opaque", everything that operation
    # ran, merged. None when not traced, not run, or not observable.
    observation: Observation | None = None
    # "python": the code it names; in replay, every statement it executed on
    # the scratch database (schema editor and cursor), in order.
    python: PythonCode | None = None
    executed: list[str] = field(default_factory=list)
    # When the migration runs in no transaction of its own (``atomic`` False): the
    # number of the transaction Django opened for this statement's operation alone
    # (an atomic RunSQL/RunPython), None when it runs in autocommit.
    transaction: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sql": self.sql,
            "operation_index": self.operation_index,
            "operation": self.operation,
            "kind": self.kind,
            "observation": observation_json(self.observation),
            "python": self.python.to_json() if self.python else None,
            "executed": list(self.executed),
            "transaction": self.transaction,
        }


def observation_json(observation: Observation | None) -> dict[str, Any] | None:
    """An observation as JSON: relations by name, lock modes as ``pg_locks`` spells them.

    ``locks`` holds the table-level locks taken or waited for (``all_locks``).
    """
    if observation is None:
        return None
    return {
        "locks": {name: mode.pg_locks_name for name, mode in sorted(observation.all_locks.items())},
        "index_locks": {
            name: mode.pg_locks_name for name, mode in sorted(observation.index_locks.items())
        },
        "rewritten": sorted(observation.rewritten),
        "rebuilt_indexes": sorted(observation.rebuilt_indexes),
        "scanned": sorted(observation.scanned),
        "error": observation.error,
        "notes": list(observation.notes),
    }


@dataclass
class RenderedMigration:
    app_label: str
    name: str
    # It runs in one transaction: the schema editor that applies it opened one (a
    # custom backend's may refuse, whatever ``Migration.atomic`` says).
    atomic: bool
    statements: list[RenderedStatement] = field(default_factory=list)
    # The whole text exactly as `manage.py sqlmigrate app_label name` prints it
    # (BEGIN;/COMMIT; when atomic, "-- describe()" comments, final newline);
    # "" when there is nothing to print.
    sql_text: str = ""
    # Rendering (replay: rendering while applying) failed; statements may be
    # partial, and in replay the migration's transaction was rolled back.
    error: str | None = None
    applied_on_scratch: bool = False
    apply_error: str | None = None  # replay: Python code of it failed on the scratch database
    # Replay: what its Python operations executed through the schema editor.
    executed_by_python: list[str] = field(default_factory=list)
    # Rolling deploys: when it may run relative to the rollout (reviewed ones).
    deploy: MigrationPhase | None = field(default=None, compare=False)
    warnings: list[str] = field(default_factory=list)
    # The catalog of the database at this migration's parent state (replay:
    # exact; live: the live database). None when it could not be read.
    schema_before: Schema | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "app_label": self.app_label,
            "name": self.name,
            "atomic": self.atomic,
            "statements": [statement.to_json() for statement in self.statements],
            "sql_text": self.sql_text,
            "error": self.error,
            "applied_on_scratch": self.applied_on_scratch,
            "apply_error": self.apply_error,
            "executed_by_python": list(self.executed_by_python),
            "warnings": list(self.warnings),
        }


def render_migration(
    connection: BaseDatabaseWrapper,
    migration: Migration,
    state: ProjectState,
    *,
    executes: bool = False,
    observer: StatementObserver | None = None,
    deploy: DeployContext | None = None,
) -> tuple[RenderedMigration, ProjectState]:
    """Collect ``migration``'s SQL from ``state`` (its parent state), as sqlmigrate does.

    ``state`` is mutated into the migration's end state and returned (when
    rendering fails it is left half-way: the caller must rebuild it).

    Without ``executes`` nothing is executed on the database but the schema
    editor's own introspection queries. With it (replay), the migration is
    applied while it is rendered, Python operations included, in one pass
    (see ``editor``); a failure is rolled back with the migration's
    transaction, as ``migrate`` would, and reported on ``error``.
    """
    rendered = RenderedMigration(migration.app_label, migration.name, bool(migration.atomic))
    rendered.error = import_error_of(migration)
    if rendered.error is not None:
        return rendered, state
    log = StatementLog(migration.operations, runs_python=executes)
    editor = recording_editor(
        connection, log, atomic=bool(migration.atomic), executes=executes, observer=observer
    )
    log.own_transactions = own_transaction_operations(migration, editor)
    verdicts: list[OperationVerdict] = []
    judge = None
    if deploy is not None:
        def judge(app_label: str, operation: Any, before: ProjectState, after: ProjectState,
                  index: int) -> None:
            verdicts.append(deploy.judge(app_label, operation, before, after, index))
    try:
        with editor:
            state = tracked_migration(migration, log, runs_python=executes, judge=judge).apply(
                state, editor, collect_sql=True
            )
    except Exception as error:
        rendered.error = first_line(error, with_type=True)
    if deploy is not None:
        rendered.deploy = _phase(deploy, migration, verdicts, state, executes)
    descriptions = [_describe(operation) for operation in migration.operations]
    rendered.statements = [
        RenderedStatement(
            sql=entry.sql,
            operation_index=entry.operation_index,
            operation=None
            if entry.operation_index is None
            else descriptions[entry.operation_index],
            kind=entry.kind,
            python=entry.python,
            transaction=entry.transaction,
        )
        for entry in log.entries
    ]
    for captured in log.captured:
        if captured.position is not None and captured.position < len(rendered.statements):
            rendered.statements[captured.position].executed.append(captured.sql)
    rendered.executed_by_python = [captured.sql for captured in log.captured]
    rendered.warnings.extend(log.warnings)
    rendered.atomic = bool(editor.atomic_migration)
    # sqlmigrate prints BEGIN/COMMIT from Migration.atomic, not from what the editor does.
    in_transaction = bool(migration.atomic) and connection.features.can_rollback_ddl
    rendered.sql_text = sqlmigrate_text(connection, editor.collected_sql, in_transaction)
    return rendered, state


def _phase(deploy: DeployContext, migration: Migration, verdicts: list[OperationVerdict],
           state: ProjectState, executes: bool) -> MigrationPhase:
    """The migration's deploy phase; operations Django skipped (no Python run) judged too."""
    if not executes:
        judged = {verdict.operation_index for verdict in verdicts}
        for index, operation in enumerate(migration.operations):
            if index not in judged and not operation.reduces_to_sql:
                verdicts.append(deploy.judge(migration.app_label, operation, state, state, index))
        verdicts.sort(key=lambda verdict: verdict.operation_index)
    return migration_phase(
        verdicts, app_label=migration.app_label, name=migration.name,
        dependencies=[f"{app}.{name}" for app, name in migration.dependencies],
        model=deploy.model,
    )


def sqlmigrate_text(
    connection: BaseDatabaseWrapper, collected_sql: list[str], in_transaction: bool
) -> str:
    """What ``sqlmigrate`` writes to stdout for these collected lines."""
    output = "\n".join(collected_sql)
    if not output:
        return ""  # sqlmigrate prints "No operations found." on stderr only
    if in_transaction:
        begin = connection.ops.start_transaction_sql()
        commit = connection.ops.end_transaction_sql()
        output = f"{begin}\n{output}\n{commit}"
    # OutputWrapper.write() adds the newline unless the text ends with one.
    return output if output.endswith("\n") else output + "\n"


def _describe(operation: Any) -> str:
    try:
        return str(operation.describe())
    except Exception as error:
        return (f"{type(operation).__name__} "
                f"(describe() failed: {first_line(error, with_type=True)})")
