"""Measure what PostgreSQL really did while a reviewed migration was applied (``--trace``).

Replay applies every reviewed migration on the scratch database while it
renders it. While it does, :func:`tracing` measures the
statements that have a rendered counterpart, with the observer building
blocks of :mod:`sqlreview.pg.observe` (``take_snapshot``/``compare``) run on
the same backend, and attaches the result to the rendered statements.

Which executed statement belongs to which rendered one
    * a statement the schema editor's ``execute()`` runs (outside a RunPython)
      is the next rendered ``"sql"`` statement, in order: rendering collects
      exactly those calls, and a RunSQL string with several statements is one
      call, so one observation;
    * everything a RunPython runs (ORM queries, ``schema_editor.execute``),
      and everything an operation that cannot be written as SQL runs, is
      merged into that operation's ``"python"``/``"opaque"`` statement;
    * anything else (the schema editor's introspection, Django's
      ``django_migrations`` bookkeeping) runs untouched and is attached to
      nothing.

How each statement is measured: ``measure.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg

from sqlreview.django.measure import Measured, measured_call
from sqlreview.errors import first_line
from sqlreview.locking import LockMode
from sqlreview.pg.observe import Observation

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from sqlreview.django.render import RenderedMigration

__all__ = ["MigrationTrace", "trace_unavailable", "tracing"]


def trace_unavailable(connection: BaseDatabaseWrapper) -> str | None:
    """Why statements on ``connection`` cannot be traced, or None when they can."""
    try:
        connection.ensure_connection()
    except Exception as error:
        return ("--trace: cannot connect to the scratch database "
                f"({first_line(error, with_type=True)})")
    if not isinstance(connection.connection, psycopg.Connection):
        return (
            "--trace needs Django to use psycopg 3 (it uses "
            f"{type(connection.connection).__module__}): no statement was measured"
        )
    return None


# -- attributing executes to rendered statements -------------------------------------


@dataclass
class _Executed:
    sql: str
    measured: Measured


class MigrationTrace:
    """The execute wrapper for one migration, and what it attributed where.

    The schema editor and the operation proxies below tell it what is
    running; Django calls it (``connection.execute_wrapper``) for every
    statement.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.executed_sql: list[_Executed] = []
        # Position of a "python"/"opaque" statement -> what ran inside it
        # (None: not measured).
        self.placeholder_runs: dict[int, list[Observation | None]] = {}
        self.failures: list[str] = []
        self._editor_depth = 0
        self._scopes: list[int] = []  # positions of the placeholders running, innermost last

    @contextlib.contextmanager
    def editor_statement(self) -> Iterator[None]:
        self._editor_depth += 1
        try:
            yield
        finally:
            self._editor_depth -= 1

    @contextlib.contextmanager
    def placeholder(self, position: int) -> Iterator[None]:
        """Everything executed inside belongs to the placeholder statement at ``position``."""
        self.placeholder_runs.setdefault(position, [])
        self._scopes.append(position)
        try:
            yield
        finally:
            self._scopes.pop()

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        if self._scopes:
            position = self._scopes[-1]
            record = Measured()
            try:
                return self._measure(execute, sql, params, many, context, record)
            finally:
                self.placeholder_runs[position].append(record.observation)
                self._note_failure(record)
        if not self._editor_depth:
            return execute(sql, params, many, context)  # introspection, bookkeeping
        record = Measured()
        try:
            return self._measure(execute, sql, params, many, context, record)
        finally:
            self.executed_sql.append(_Executed(str(sql), record))
            self._note_failure(record)

    def _measure(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
        record: Measured,
    ) -> Any:
        connection = context["connection"]
        return measured_call(
            lambda: execute(sql, params, many, context),
            str(sql),
            connection.connection,
            self.url,
            connection.wrap_database_errors,
            record,
        )

    def _note_failure(self, record: Measured) -> None:
        if record.failure is not None:
            self.failures.append(record.failure)

    def attach(self, rendered: RenderedMigration) -> None:
        """Put the observations on the rendered statements; warn about what did not fit."""
        self._attach_sql(rendered)
        for position, observations in self.placeholder_runs.items():
            rendered.statements[position].observation = merge(observations)
        if self.failures:
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            rendered.warnings.append(
                f"--trace: some statements could not be observed: {self.failures[0]}{more}"
            )

    def _attach_sql(self, rendered: RenderedMigration) -> None:
        targets = [s for s in rendered.statements if s.kind == "sql"]
        differs = 0
        for statement, executed in zip(targets, self.executed_sql, strict=False):
            statement.observation = executed.measured.observation
            if statement.sql != _as_rendered(executed.sql):
                differs += 1
        if len(self.executed_sql) > len(targets) or (
            len(self.executed_sql) < len(targets) and rendered.apply_error is None
        ):
            rendered.warnings.append(
                f"--trace: {len(self.executed_sql)} statements ran where {len(targets)} were "
                "rendered; observations were matched in order and may be misplaced"
            )
        if differs:
            rendered.warnings.append(
                f"--trace: {differs} statement(s) ran as different SQL than was rendered "
                "(a value computed when the migration runs?); their observations are of "
                "the SQL that ran"
            )


def _as_rendered(executed: str) -> str:
    """The executed text as rendering collects it (the schema editor adds the ';')."""
    return executed if executed.rstrip().endswith(";") else executed + ";"


def merge(observations: Sequence[Observation | None]) -> Observation:
    """One observation for several statements (what a RunPython ran, all together)."""
    locks: dict[str, LockMode] = {}
    index_locks: dict[str, LockMode] = {}
    waited: dict[str, LockMode] = {}
    rewritten: set[str] = set()
    rebuilt: set[str] = set()
    scanned: set[str] = set()
    notes: list[str] = []
    for observation in observations:
        if observation is None:
            notes.append("some of its statements could not be observed")
            continue
        _merge_locks(locks, observation.locks)
        _merge_locks(index_locks, observation.index_locks)
        _merge_locks(waited, observation.waited_for)
        rewritten |= observation.rewritten
        rebuilt |= observation.rebuilt_indexes
        scanned |= observation.scanned
        notes.extend(observation.notes)
        if observation.error is not None:
            notes.append(f"a statement it ran failed: {observation.error}")
    return Observation(
        locks=locks,
        index_locks=index_locks,
        rewritten=frozenset(rewritten),
        rebuilt_indexes=frozenset(rebuilt),
        scanned=frozenset(scanned),
        waited_for=waited,
        notes=tuple(note for note in dict.fromkeys(notes) if note),
    )


def _merge_locks(into: dict[str, LockMode], more: dict[str, LockMode]) -> None:
    for name, mode in more.items():
        into[name] = max(mode, into.get(name, mode))


# -- hooks into the replay ---------------------------------------------------------------


@contextlib.contextmanager
def tracing(connection: BaseDatabaseWrapper, url: str) -> Iterator[MigrationTrace]:
    """Measure what runs on ``connection`` while the block applies one migration.

    ``url`` is the scratch database's (the outside-a-transaction probe opens
    its own connections there). The recording schema editor marks its own
    statements and the placeholders of Python code (``trace`` is its
    observer); nothing else changes: the migration runs as ``migrate`` runs it.
    Call ``attach(rendered)`` afterwards.
    """
    trace = MigrationTrace(url)
    with connection.execute_wrapper(trace):
        yield trace
