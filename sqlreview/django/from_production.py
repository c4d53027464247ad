"""The pre-state from production: its schema restored on the scratch database.

With ``--pre-state database`` the schema is read from the configured database
(read-only, see :mod:`sqlreview.scratch.production`); with ``--pre-state
snapshot`` it comes from a ``stats dump`` file, so CI reviews against
production without reaching it. Either way the ``django_migrations`` rows say
which migrations that schema embodies: no replay at all for those, whatever
their history did (edited files, squashes, a hand-made index). Migrations the
project applies before the reviewed ones but production has not run yet are
applied on top, unreviewed, and said so.

The same history is also built from the migration files on a second scratch
database, to report where the two differ (:mod:`sqlreview.django.drift`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlreview.django import prestate
from sqlreview.django.apply import SchemaReader
from sqlreview.django.errors import DjangoSetupError
from sqlreview.django.prestate import PreState, ReplayOptions
from sqlreview.django.scratch_connection import scratch_connections
from sqlreview.django.state import project_state
from sqlreview.scratch.cache import PreStateCache
from sqlreview.scratch.production import ProductionSchemaError, restore_schema

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from sqlreview.django.select import MigrationKey, Selection
    from sqlreview.pg.schema import Schema
    from sqlreview.scratch import ScratchServer
    from sqlreview.scratch.production import ProductionSchema

_LISTED = 5  # migrations named in a warning before "and N more"


class AlreadyInProduction(Exception):
    """A reviewed migration is already applied in production: its schema cannot be the
    state before it."""


def embodied(selection: Selection, applied: Iterable[tuple[str, str]]) -> set[MigrationKey]:
    """The graph's migrations that ``applied`` (django_migrations rows) says ran: a squashed
    migration counts when it, or every migration it replaces, is recorded."""
    recorded = {(str(app), str(name)) for app, name in applied}
    loader = selection.loader
    found = {key for key in loader.graph.nodes if key in recorded}
    for key, migration in loader.replacements.items():
        if key in loader.graph.nodes and all(tuple(r) in recorded for r in migration.replaces):
            found.add(key)
    return found


def prepare(
    connection: BaseDatabaseWrapper,
    server: ScratchServer,
    url: str,
    selection: Selection,
    start: int,
    options: ReplayOptions,
    production: ProductionSchema,
) -> PreState:
    """Restore ``production`` on the empty scratch database ``url``, then apply what the
    project applies before walk[start] that production has not."""
    from django.db.migrations.recorder import MigrationRecorder

    applied = embodied(selection, production.applied)
    early = [key for key in selection.walk[start:] if key in applied]
    if early:
        raise AlreadyInProduction(", ".join(f"{app}.{name}" for app, name in early[:_LISTED]))
    keys = selection.walk[:start]
    there = [key for key in keys if key in applied]
    missing = [key for key in keys if key not in applied]
    selection = dataclasses.replace(selection, walk=there + missing + selection.walk[start:])
    summary: dict[str, Any] = {
        "migrations": len(keys), "mode": options.pre_state, "built": "production",
        "source": production.source, "production_server_version": production.server_version,
        "applied_in_production": len(there), "applied_on_top": len(missing),
    }
    cache = PreStateCache.open(options.cache_dir, server) if options.cache_dir else None
    cache_key = _cache_key(selection, keys, server, production) if cache else None
    if cache is not None and cache_key is not None:
        record = cache.restore(cache_key, url)
        if record is not None:
            state, _problems = project_state(selection, there + missing)
            summary.update(cache="hit")
            return PreState(state, summary, list(record.get("warnings", [])), selection)
    state, problems = project_state(selection, there)
    try:
        warnings = problems + restore_schema(production, url)
    except ProductionSchemaError as error:
        raise DjangoSetupError(f"{production.source}: {error}") from None
    MigrationRecorder(connection).ensure_schema()
    warnings.extend(_version_difference(production, server))
    warnings.extend(_unknown_to_project(selection, production))
    if missing:
        warnings.append(_applied_on_top(missing, production.source))
        state, failed = prestate.replay(connection, selection, len(there), start, state,
                                        options.progress)
        warnings.extend(failed)
    if cache is not None and cache_key is not None:
        stored = cache.store(cache_key, url, {"summary": summary, "warnings": warnings})
        summary["cache"] = "stored" if stored else "unavailable"
    return PreState(state, summary, warnings, selection)


def _version_difference(production: ProductionSchema, server: ScratchServer) -> list[str]:
    scratch = server.server_version()
    if production.server_version == scratch:
        return []
    return [f"production ({production.source}) runs PostgreSQL {production.server_version}, "
            f"the scratch server {scratch}: the SQL is rendered with the scratch server's "
            "features (give --scratch-url a server of production's version to match)"]


def _applied_on_top(missing: list[MigrationKey], source: str) -> str:
    names = ", ".join(f"{app}.{name}" for app, name in missing[:_LISTED])
    more = f" and {len(missing) - _LISTED} more" if len(missing) > _LISTED else ""
    return (f"{len(missing)} migration(s) the reviewed ones depend on are not applied in "
            f"production ({source}): {names}{more}; they were applied on top of its schema "
            "and are not reviewed here")


def _unknown_to_project(selection: Selection, production: ProductionSchema) -> list[str]:
    """Migrations production ran that this project's files do not have (deleted, renamed,
    or from a branch not merged here): their changes are in the schema all the same."""
    known = set(selection.loader.disk_migrations) | set(selection.loader.graph.nodes)
    unknown = [f"{app}.{name}" for app, name in production.applied if (app, name) not in known
               and app in selection.loader.migrated_apps]
    if not unknown:
        return []
    more = f" and {len(unknown) - _LISTED} more" if len(unknown) > _LISTED else ""
    return [f"production ({production.source}) has applied {len(unknown)} migration(s) this "
            f"project does not have: {', '.join(unknown[:_LISTED])}{more}; its schema keeps "
            "their changes"]


def _cache_key(selection: Selection, keys: list[MigrationKey], server: ScratchServer,
               production: ProductionSchema) -> str | None:
    base = prestate.cache_key(selection, keys, server, "production")
    if base is None:
        return None
    digest = hashlib.sha256(base.encode())
    digest.update(production.ddl.encode())
    digest.update(repr(production.applied).encode())
    return digest.hexdigest()


def files_schema(
    server: ScratchServer, alias: str, selection: Selection, start: int, options: ReplayOptions
) -> tuple[Schema | None, list[str]]:
    """The analyzer's schema of the pre-state the migration files build (fast path and
    cache as usual), on a database of its own, dropped afterwards; and its warnings."""
    files = dataclasses.replace(options, pre_state="fast", progress=None)
    with (server.temporary_database("sqlreview_files") as url,
          scratch_connections(url, alias, options.scratch_aliases) as connection):
        built = prestate.prepare(connection, server, url, selection, start, files)
        return SchemaReader(connection).read(), built.warnings
