"""The entry point the CLI calls: select migrations, then render them in one pass.

Two modes:

``replay`` (default)
    A scratch PostgreSQL database is brought to the state before the first
    reviewed migration (the *pre-state*, see ``prestate``: built from the
    project state in one go where that is exact, replayed where it is not,
    or restored from the cache), then every migration from there on is
    rendered and applied in one pass with a schema editor that executes and
    records each statement, so what is reviewed is exactly what ran and the
    next migration meets its exact parent schema. The user's databases are
    never connected to while this runs (see ``scratch_connection``).

``live``
    The configured database (PostgreSQL) is only read, as ``sqlmigrate``
    does; the session is made read-only as a safety net. Only the first
    pending migration renders against its exact parent schema.

``trace`` (replay only)
    While each reviewed migration is applied on the scratch database, the
    statements Django executes are measured (locks, rewrites, seq scans) and
    attached to the rendered statements (see ``trace``).

In both modes the ProjectState is carried forward through the walk, and is
only ever rebuilt unrendered (mutated, then rendered once), so the cost is
linear in the number of migrations.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlreview import interrupts
from sqlreview.django import from_production, prestate
from sqlreview.django.apply import SchemaReader, apply_migration
from sqlreview.django.drift import Drift, differences
from sqlreview.django.errors import DjangoSetupError
from sqlreview.django.prestate import ReplayOptions
from sqlreview.django.render import RenderedMigration, render_migration
from sqlreview.django.scratch_connection import scratch_connections
from sqlreview.django.select import (
    Selection,
    SelectionRequest,
    bound_connect_time,
    select_migrations,
)
from sqlreview.django.state import mutate_rendered, project_state
from sqlreview.django.trace import trace_unavailable
from sqlreview.errors import first_line
from sqlreview.scratch import ScratchServer, ScratchUnavailable, redact
from sqlreview.scratch.production import ProductionSchemaError, read_production_schema

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.state import ProjectState

    from sqlreview.deploy import DeployContext
    from sqlreview.pg.schema import Schema
    from sqlreview.scratch import ScratchServer
    from sqlreview.scratch.production import ProductionSchema

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
    # Replay: how the scratch database reached the first reviewed migration.
    pre_state: dict[str, Any] | None = None
    # The reviewed migrations ship in one deploy (pending, named targets), not each
    # on its own (--all): what one of them creates is new to the old code in the rest.
    one_deploy: bool = True
    # Pre-state from production: where its schema differs from the migration files'.
    drifts: list[Drift] = field(default_factory=list)

    @property
    def built_from_production(self) -> bool:
        return bool(self.pre_state and self.pre_state.get("built") == "production")

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "database": self.database,
            "server_version": self.server_version,
            "warnings": list(self.warnings),
            "pre_state": self.pre_state,
            "drift": [drift.to_json() for drift in self.drifts],
            "migrations": [migration.to_json() for migration in self.migrations],
        }


def render_migrations(
    request: SelectionRequest,
    mode: Mode = "replay",
    scratch_url: str | None = None,
    trace: bool = False,
    replay: ReplayOptions | None = None,
) -> DjangoRender:
    """Select the migrations ``request`` names and render each one's SQL.

    With ``trace`` (replay mode only), each rendered statement also gets the
    ``observation`` of what PostgreSQL did when it was applied on the scratch
    database. ``replay`` says how to reach the pre-state (fast or exact, the
    cache) and where to show progress.

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
    options = replay or ReplayOptions()
    options.deploy_each_alone = request.all_migrations
    if mode == "live":
        rendered = _render_live(selection, request.database, options)
    else:
        rendered = _render_replay(selection, request.database, scratch_url, trace, options)
    rendered.one_deploy = not request.all_migrations
    return rendered


# -- replay --------------------------------------------------------------------


def _render_replay(
    selection: Selection,
    alias: str,
    scratch_url: str | None,
    trace: bool,
    options: ReplayOptions,
) -> DjangoRender:
    start = selection.start
    production = _production_schema(alias, options)
    drifts: list[Drift] = []
    with _scratch_server(scratch_url, options.cache_dir) as server:
        version, database = _prepare_scratch_database(server)
        url = server.database_url(database)
        try:
            files: Schema | None = None
            if production is not None and options.drift:
                files, _warnings = from_production.files_schema(server, alias, selection,
                                                                start, options)
            with scratch_connections(url, alias, options.scratch_aliases) as connection:
                prepared = _prepare(connection, server, url, selection, start, options,
                                    production)
                if files is not None and prepared.summary.get("built") == "production":
                    drifts = _drift(connection, files)
                migrations, warnings = _replay_walk(
                    prepared.selection, connection, prepared.state, start,
                    url if trace else None,
                    options,
                )
        finally:
            with interrupts.deferred():
                server.drop_database(database)
    return DjangoRender(
        migrations, "replay", alias, version,
        selection.warnings + prepared.warnings + warnings,
        pre_state=prepared.summary, drifts=drifts,
    )


def _production_schema(alias: str, options: ReplayOptions) -> ProductionSchema | None:
    """Production's schema when the pre-state comes from it: the snapshot's, or read now
    from the configured database (read-only)."""
    if options.pre_state == "snapshot":
        if options.production is None:
            raise DjangoSetupError(
                "--pre-state snapshot needs a snapshot that holds production's schema: "
                "give --stats FILE written by `sqlreview stats dump` (version 2 or later)")
        return options.production
    if options.pre_state != "database":
        return None

    try:
        return read_production_schema(database_url(alias))
    except ProductionSchemaError as error:
        raise DjangoSetupError(
            f"--pre-state database: cannot read the schema of database {alias!r} ({error})"
        ) from None


def database_url(alias: str) -> str:
    """A libpq URL for the configured PostgreSQL database ``alias``."""
    from django.db import connections
    from psycopg.conninfo import make_conninfo

    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise DjangoSetupError(
            f"--pre-state database reads a PostgreSQL database; {alias!r} is "
            f"{connection.vendor}: use --pre-state fast, or snapshot with --stats")
    params = connection.get_connection_params()
    text = {key: value for key, value in params.items()
            if isinstance(value, (str, int)) and not isinstance(value, bool)}
    return make_conninfo("", **{("dbname" if key == "database" else key): value
                                for key, value in text.items()})


def _prepare(connection: BaseDatabaseWrapper, server: ScratchServer, url: str,
             selection: Selection, start: int, options: ReplayOptions,
             production: ProductionSchema | None) -> prestate.PreState:
    if production is None:
        return prestate.prepare(connection, server, url, selection, start, options)
    try:
        return from_production.prepare(connection, server, url, selection, start, options,
                                       production)
    except from_production.AlreadyInProduction as early:
        built = prestate.prepare(connection, server, url, selection, start,
                                 dataclasses.replace(options, pre_state="fast"))
        built.warnings.append(
            f"{early} already ran in production ({production.source}): its schema cannot be "
            "the state before the review, which was built from the migration files instead")
        return built


def _drift(connection: BaseDatabaseWrapper, files: Schema | None) -> list[Drift]:
    production = SchemaReader(connection).read()
    if production is None or files is None:
        return []
    return differences(production, files)


@contextlib.contextmanager
def _scratch_server(scratch_url: str | None, cache_dir: Path | None
                    ) -> Iterator[ScratchServer]:
    """The server named by ``--scratch-url``, or an embedded one stopped afterwards."""
    try:
        server = (ScratchServer.at(scratch_url) if scratch_url
                  else ScratchServer.embedded(cache_dir))
    except ScratchUnavailable as error:
        raise DjangoSetupError(
            f"{error} (or use --mode live to render against the configured database)"
        ) from error
    try:
        yield server
    finally:
        with interrupts.deferred():
            server.stop()  # a no-op for --scratch-url


def _prepare_scratch_database(server: ScratchServer) -> tuple[int, str]:
    """The server's major version and a new empty database on it."""
    try:
        return server.server_version(), server.create_database("sqlreview_replay")
    except Exception as error:
        raise DjangoSetupError(
            f"cannot create a database on the scratch server {redact(server.url)} "
            f"({first_line(error, with_type=True)}): its role needs CREATEDB "
            "(or omit --scratch-url "
            "to use the embedded server)"
        ) from error


def _replay_walk(
    selection: Selection,
    connection: BaseDatabaseWrapper,
    state: ProjectState,
    start: int,
    trace_url: str | None,
    options: ReplayOptions,
) -> tuple[list[RenderedMigration], list[str]]:
    """Apply walk[start:] while rendering it; keep what the reviewed ones rendered.

    Each migration is rendered and applied in one pass (``render_migration``
    with ``executes``), so the next one meets its exact parent schema. With
    ``trace_url`` (the scratch database), reviewed applies are measured.
    """
    reviewed = set(selection.reviewed)
    rendered: list[RenderedMigration] = []
    warnings: list[str] = []
    if trace_url is not None and (problem := trace_unavailable(connection)) is not None:
        warnings.append(problem)
        trace_url = None
    reader = SchemaReader(connection)
    steps = selection.walk[start:]
    deploy: DeployContext | None = None
    for number, key in enumerate(steps, start=1):
        interrupts.check()
        if options.progress is not None:
            options.progress.update("rendering", number, len(steps), f"{key[0]}.{key[1]}")
        is_reviewed = key in reviewed
        schema = reader.read() if is_reviewed else None
        if is_reviewed:
            deploy = options.deploy_context(deploy)
        result, state = apply_migration(connection, selection, start + number - 1, state,
                                        trace_url if is_reviewed else None,
                                        deploy if is_reviewed else None)
        reader.changed()
        if not is_reviewed:
            warnings.extend(prestate.stand_in_warnings(result))
            if result.apply_error is not None:
                warnings.append(
                    f"{result.label} (applied before the reviewed migrations) failed on the "
                    f"scratch database ({result.apply_error}); the SQL after it may differ "
                    "from production"
                )
            continue
        result.schema_before = schema
        rendered.append(result)
    return rendered, warnings


# -- live ----------------------------------------------------------------------


def _render_live(selection: Selection, alias: str, options: ReplayOptions) -> DjangoRender:
    from django.db import connections

    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise DjangoSetupError(
            f"live mode renders against database {alias!r}, which is "
            f"{connection.vendor}, not PostgreSQL: use replay mode (the default), which "
            "renders PostgreSQL SQL on a scratch server"
        )
    bound_connect_time(connection)
    try:
        connection.ensure_connection()
    except Exception as error:
        raise DjangoSetupError(
            f"cannot connect to database {alias!r} ({first_line(error, with_type=True)}): "
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
        migrations = _live_walk(selection, connection, options)
    version = connection.pg_version // 10000  # type: ignore[attr-defined]
    return DjangoRender(migrations, "live", alias, version, warnings)


def _live_walk(selection: Selection, connection: BaseDatabaseWrapper, options: ReplayOptions
               ) -> list[RenderedMigration]:
    reviewed = set(selection.reviewed)
    rendered: list[RenderedMigration] = []
    start = selection.start
    state, _problems = project_state(selection, selection.walk[:start])
    reader = SchemaReader(connection)
    deploy: DeployContext | None = None
    for position in range(start, len(selection.walk)):
        interrupts.check()
        key = selection.walk[position]
        migration = selection.migration(key)
        if key not in reviewed:
            state, _problems = mutate_rendered(selection, [key], state)
            continue
        schema = reader.read()
        deploy = options.deploy_context(deploy)
        result, state = render_migration(connection, migration, state, deploy=deploy)
        result.schema_before = schema
        if result.error is not None:
            state, _problems = project_state(selection, selection.walk[: position + 1])
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
