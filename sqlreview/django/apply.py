"""Applying one migration on the scratch database, and reading the catalog it leaves.

On failure the migration is rendered as ``sqlmigrate`` would and its
statements applied one by one where they still succeed, so the migrations
after it meet a schema as close to production's as the scratch server allows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlreview.django.loading import import_error_of
from sqlreview.django.render import RenderedMigration, render_migration
from sqlreview.django.state import project_state
from sqlreview.django.trace import tracing
from sqlreview.pg.introspect import CatalogReader

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.state import ProjectState

    from sqlreview.deploy import DeployContext
    from sqlreview.django.select import Selection
    from sqlreview.pg.schema import Schema


def apply_migration(
    connection: BaseDatabaseWrapper,
    selection: Selection,
    position: int,
    state: ProjectState,
    trace_url: str | None = None,
    deploy: DeployContext | None = None,
) -> tuple[RenderedMigration, ProjectState]:
    """Render and apply walk[position] in one pass; on failure, render it as sqlmigrate would."""
    migration = selection.migration(selection.walk[position])
    if trace_url is None:
        result, state = render_migration(connection, migration, state, executes=True,
                                         deploy=deploy)
    else:
        with tracing(connection, trace_url) as trace:
            result, state = render_migration(
                connection, migration, state, executes=True, observer=trace, deploy=deploy
            )
    if result.error is None:
        result.applied_on_scratch = True
    elif import_error_of(migration) is None:
        result, state = _after_failure(connection, selection, position, result.error)
    if trace_url is not None:
        trace.attach(result)
    return result, state


def _after_failure(
    connection: BaseDatabaseWrapper, selection: Selection, position: int, error: str
) -> tuple[RenderedMigration, ProjectState]:
    """walk[position] failed on the scratch database: render it without applying it.

    Its transaction was rolled back (a non-atomic one stopped half-way). The
    project state is rebuilt without the database (cheaply: mutated
    unrendered, rendered once), the migration is rendered as ``sqlmigrate``
    renders it, and its statements are then applied one by one where they
    still succeed, so the migrations after it meet a schema as close to
    production's as the scratch server allows.
    """
    state, _problems = project_state(selection, selection.walk[:position])
    result, state = render_migration(connection, selection.migration(selection.walk[position]),
                                     state)
    result.apply_error = error
    if result.error is not None:  # even collecting fails: carry the state past it
        state, _problems = project_state(selection, selection.walk[: position + 1])
    elif result.atomic:
        applied = _apply_each(connection, result)
        result.warnings.append(
            f"failed on the scratch database ({error}); {applied} of "
            f"{sum(1 for s in result.statements if s.kind == 'sql')} statements were then "
            "applied one by one so later migrations meet its changes"
        )
    return result, state


def _apply_each(connection: BaseDatabaseWrapper, result: RenderedMigration) -> int:
    """Run each rendered statement in its own transaction; count those that succeed."""
    from django.db import transaction

    applied = 0
    for statement in result.statements:
        if statement.kind != "sql":
            continue
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(statement.sql)
        except Exception:
            continue
        applied += 1
    return applied


class SchemaReader:
    """The analyzer's view of the connected database's catalog, read when it may have changed.

    The catalog is read again only after ``changed()`` (a migration ran),
    and then only the relations that changed (``CatalogReader``); the
    analyzer copies what it is given before learning into it. None when
    ``sqlreview.pg.introspect`` is not available or reading fails: the
    analyzer then works from the SQL alone.
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self._catalog = CatalogReader()
        self._schema: Schema | None = None
        self._stale = True

    def changed(self) -> None:
        self._stale = True

    def read(self) -> Schema | None:
        if self._stale:
            self._schema = self._read()
            self._stale = False
        return self._schema

    def _read(self) -> Schema | None:
        try:
            with self.connection.cursor() as cursor:
                return self._catalog.read(cursor.cursor)
        except Exception:
            self._catalog = type(self._catalog)()  # start afresh next time
            return None
