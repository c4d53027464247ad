"""The entry point the CLI calls: select migrations, then render them in one pass.

Two modes:

``replay`` (default)
    A scratch PostgreSQL database is brought, migration by migration, through
    the selection's walk with Django's executor. Each reviewed migration is
    rendered against the exact schema of its parent state, then applied for
    real so the next one sees the exact schema too. The user's databases are
    never connected to while this runs (see ``scratch_connection``).

``live``
    The configured database (PostgreSQL) is only read, as ``sqlmigrate``
    does; the session is made read-only as a safety net. Only the first
    pending migration renders against its exact parent schema.

``trace`` (replay only)
    While each reviewed migration is applied on the scratch database, the
    statements Django executes are measured (locks, rewrites, seq scans) and
    attached to the rendered statements (see ``trace``).

In both modes the ProjectState is carried forward through the walk, so the
cost is linear in the number of migrations (``sqlmigrate`` per migration
would rebuild the state every time).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlreview.django.errors import DjangoSetupError, describe_error
from sqlreview.django.render import RenderedMigration, render_migration
from sqlreview.django.scratch_connection import scratch_connections
from sqlreview.django.select import Selection, SelectionRequest, loading_errors, select_migrations
from sqlreview.django.trace import trace_unavailable, traced_apply

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.migration import Migration
    from django.db.migrations.state import ProjectState

    from sqlreview.pg.schema import Schema
    from sqlreview.scratch import ScratchServer

Mode = Literal["replay", "live"]


@dataclass
class DjangoRender:
    """Everything the Django side hands to the analyzer and the reporters."""

    migrations: list[RenderedMigration]
    mode: Mode
    database: str
    # Major version of the PostgreSQL the SQL was rendered on (replay: the
    # scratch server; live: the configured database).
    server_version: int | None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "database": self.database,
            "server_version": self.server_version,
            "warnings": list(self.warnings),
            "migrations": [migration.to_json() for migration in self.migrations],
        }


def render_migrations(
    request: SelectionRequest,
    mode: Mode = "replay",
    scratch_url: str | None = None,
    trace: bool = False,
) -> DjangoRender:
    """Select the migrations ``request`` names and render each one's SQL.

    With ``trace`` (replay mode only), each rendered statement also gets the
    ``observation`` of what PostgreSQL did when it was applied on the scratch
    database.

    Django must be set up (:func:`sqlreview.django.setup.setup_django`).
    Raises :class:`DjangoSetupError` for anything the user must fix; a
    migration that fails to render or to apply is reported on its
    :class:`RenderedMigration` and the review goes on.
    """
    if mode not in ("replay", "live"):
        raise DjangoSetupError(f"unknown mode {mode!r}: choose replay or live")
    if trace and mode != "replay":
        raise DjangoSetupError(
            "--trace needs replay mode: it measures what PostgreSQL does while each "
            "migration is applied on the scratch database, and live mode applies nothing"
        )
    selection = select_migrations(request)
    if not selection.reviewed:
        return DjangoRender([], mode, request.database, None, list(selection.warnings))
    if mode == "live":
        return _render_live(selection, request.database)
    return _render_replay(selection, request.database, scratch_url, trace)


# -- replay --------------------------------------------------------------------


def _render_replay(
    selection: Selection, alias: str, scratch_url: str | None, trace: bool
) -> DjangoRender:
    with _scratch_server(scratch_url) as server:
        version, database = _prepare_scratch_database(server)
        url = server.database_url(database)
        try:
            with scratch_connections(url, alias) as connection:
                migrations, warnings = _replay_walk(selection, connection, url if trace else None)
        finally:
            server.drop_database(database)
    return DjangoRender(migrations, "replay", alias, version, selection.warnings + warnings)


@contextlib.contextmanager
def _scratch_server(scratch_url: str | None) -> Iterator[ScratchServer]:
    """The server named by ``--scratch-url``, or an embedded one stopped afterwards."""
    from sqlreview.scratch import ScratchServer, ScratchUnavailable

    try:
        server = ScratchServer.at(scratch_url) if scratch_url else ScratchServer.embedded()
    except ScratchUnavailable as error:
        raise DjangoSetupError(
            f"{error} (or use --mode live to render against the configured database)"
        ) from error
    try:
        yield server
    finally:
        server.stop()  # a no-op for --scratch-url


def _prepare_scratch_database(server: ScratchServer) -> tuple[int, str]:
    """The server's major version and a new empty database on it."""
    from sqlreview.scratch import redact

    try:
        return server.server_version(), server.create_database("sqlreview_replay")
    except Exception as error:
        raise DjangoSetupError(
            f"cannot create a database on the scratch server {redact(server.url)} "
            f"({describe_error(error)}): its role needs CREATEDB (or omit --scratch-url "
            "to use the embedded server)"
        ) from error


def _replay_walk(
    selection: Selection, connection: BaseDatabaseWrapper, trace_url: str | None
) -> tuple[list[RenderedMigration], list[str]]:
    """Replay the walk; with ``trace_url`` (the scratch database), trace reviewed applies."""
    from django.db.migrations.executor import MigrationExecutor

    with loading_errors(connection.alias):
        executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    reviewed = set(selection.reviewed)
    rendered: list[RenderedMigration] = []
    warnings: list[str] = []
    if trace_url is not None and (problem := trace_unavailable(connection)) is not None:
        warnings.append(problem)
        trace_url = None
    state = _initial_state(selection)
    for position, key in enumerate(selection.walk):
        if key not in reviewed:
            state, error = _apply_on_scratch(executor, selection, position, state)
            if error is not None:
                warnings.append(
                    f"{key[0]}.{key[1]} (applied before the reviewed migrations) failed on the "
                    f"scratch database ({error}); it was recorded as applied and the SQL after "
                    "it may differ from production"
                )
            continue
        # Render against the exact parent schema, then apply for real so the
        # next migration sees its exact parent schema too.
        schema = schema_facts(connection)
        result, _ = render_migration(connection, selection.migration(key), state.clone())
        result.schema_before = schema
        if trace_url is None:
            state, result.apply_error = _apply_on_scratch(executor, selection, position, state)
        else:
            with traced_apply(connection, trace_url, result, selection.migration(key)) as traced:
                state, result.apply_error = _apply_on_scratch(
                    executor, selection, position, state, traced
                )
        result.applied_on_scratch = result.apply_error is None
        rendered.append(result)
    return rendered, warnings


def _apply_on_scratch(
    executor: MigrationExecutor,
    selection: Selection,
    position: int,
    state: ProjectState,
    migration: Migration | None = None,
) -> tuple[ProjectState, str | None]:
    """Apply walk[position] (or ``migration``, its traced copy) for real.

    On failure it is recorded as applied anyway.
    """
    migration = migration or selection.migration(selection.walk[position])
    try:
        return executor.apply_migration(state, migration), None
    except Exception as error:
        message = describe_error(error)
    _record_applied(executor, migration)
    # The failed apply left `state` half-way through the migration.
    return _state_after(selection, position), message


def _record_applied(executor: MigrationExecutor, migration: Migration) -> None:
    """Record a migration (and what it replaces) in the scratch django_migrations.

    Not ``executor.record_migration``: its signature changed in Django 6.0.
    """
    names = [(migration.app_label, migration.name), *(migration.replaces or [])]
    for app_label, name in names:
        executor.recorder.record_applied(app_label, name)


def _initial_state(selection: Selection) -> ProjectState:
    from django.db.migrations.state import ProjectState

    state = ProjectState(real_apps=selection.loader.unmigrated_apps)
    _ = state.apps  # render once; later migrations reload models incrementally
    return state


def _state_after(selection: Selection, position: int) -> ProjectState:
    """The project state after walk[0..position], rebuilt without the database."""
    state = _initial_state(selection)
    for key in selection.walk[: position + 1]:
        state = selection.migration(key).mutate_state(state, preserve=False)
    return state


# -- live ----------------------------------------------------------------------


def _render_live(selection: Selection, alias: str) -> DjangoRender:
    from django.db import connections

    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise DjangoSetupError(
            f"live mode renders against database {alias!r}, which is "
            f"{connection.vendor}, not PostgreSQL: use replay mode (the default), which "
            "renders PostgreSQL SQL on a scratch server"
        )
    try:
        connection.ensure_connection()
    except Exception as error:
        raise DjangoSetupError(
            f"cannot connect to database {alias!r} ({describe_error(error)}): "
            "use replay mode (the default) to render on a scratch server"
        ) from error
    warnings = list(selection.warnings)
    if len(selection.reviewed) > 1:
        warnings.append(
            "live mode renders every migration against the live schema: only the first "
            f"({selection.reviewed[0][0]}.{selection.reviewed[0][1]}) sees its exact parent "
            "schema; SQL that depends on introspection (constraint names dropped by "
            "AlterField/RemoveField) may be wrong for the others: use replay mode"
        )
    with _read_only_session(connection):
        migrations = _live_walk(selection, connection)
    version = connection.pg_version // 10000  # type: ignore[attr-defined]
    return DjangoRender(migrations, "live", alias, version, warnings)


def _live_walk(selection: Selection, connection: BaseDatabaseWrapper) -> list[RenderedMigration]:
    reviewed = set(selection.reviewed)
    rendered: list[RenderedMigration] = []
    state = _initial_state(selection)
    for position, key in enumerate(selection.walk):
        migration = selection.migration(key)
        if key not in reviewed:
            state = migration.mutate_state(state, preserve=False)
            continue
        schema = schema_facts(connection)
        result, state = render_migration(connection, migration, state)
        result.schema_before = schema
        if result.error is not None:
            state = _state_after(selection, position)
        if rendered:
            result.warnings.append(
                "rendered against the live schema, which lacks the earlier pending migrations"
            )
        rendered.append(result)
    return rendered


@contextlib.contextmanager
def _read_only_session(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Make any write on the user's database fail while rendering in live mode."""
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET default_transaction_read_only")


# -- schema facts ----------------------------------------------------------------


def schema_facts(connection: BaseDatabaseWrapper) -> Schema | None:
    """The analyzer's view of the connected database's catalog, or None.

    None when ``sqlreview.pg.introspect`` is not available or reading fails:
    the analyzer then works from the SQL alone.
    """
    try:
        introspect = importlib.import_module("sqlreview.pg.introspect")
    except ImportError:
        return None
    try:
        with connection.cursor() as cursor:
            schema: Schema = introspect.schema_from_cursor(cursor.cursor)
            return schema
    except Exception:
        return None
