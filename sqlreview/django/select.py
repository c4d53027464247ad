"""Which migrations to review, and which must run before them.

Three ways to choose, mirroring Django's own commands:

* pending (the default): what ``migrate`` would run on ``--database``, in its
  order, with its squash handling (the loader's replacement logic against the
  applied migrations);
* named targets: ``app_label`` (all of that app's migrations),
  ``app_label:0007`` or ``app_label:0007_name`` (unique prefixes, as
  ``sqlmigrate`` resolves them);
* ``all_migrations``: every migration of the project's own apps;
* ``since``: the migrations whose files a branch added or modified since the
  merge base of a git ref (``since.py`` asks git), in migrate order.

Then the configuration narrows it: ``exclude`` (apps or ``app:migration``)
and ``start_after`` (``app:0042``: that migration and everything it depends
on in its app predate the tool) drop migrations from the review; they still
run in the replay to reach the others' parent states.

Selection only reads: it never creates the ``django_migrations`` table nor an
SQLite file. Targets and ``--all`` do not touch the database at all; they use
the graph of an unmigrated database, where a squashed migration replaces its
originals.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlreview.django.errors import DjangoSetupError, migration_file_of
from sqlreview.django.loading import preimport_migrations
from sqlreview.django.since import SinceError, changed_files
from sqlreview.errors import first_line
from sqlreview.scratch import connect_timeout

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.migration import Migration

    from sqlreview.django.since import ChangedFile, Changes

MigrationKey = tuple[str, str]


@dataclass(frozen=True)
class SelectionRequest:
    """What the user asked to review (the CLI flags, parsed)."""

    targets: tuple[str, ...] = ()
    all_migrations: bool = False
    include_third_party: bool = False
    database: str = "default"
    since: str | None = None  # a git ref: review what changed since its merge base
    exclude: tuple[str, ...] = ()  # app_label or app_label:migration_prefix
    start_after: tuple[str, ...] = ()  # app_label:migration_prefix


@dataclass
class Selection:
    """The migrations under review and the walk that leads to each of them.

    ``walk`` lists, in an order ``migrate`` may apply them on an empty
    database, every migration needed to reach the reviewed ones (the reviewed
    ones included): first every migration that precedes the whole review (the
    pre-state, see :attr:`start`), then the reviewed ones and any that depend
    on them. Replaying ``walk`` on an empty database puts each reviewed
    migration exactly at its parent state.
    """

    reviewed: list[MigrationKey]
    walk: list[MigrationKey]
    loader: MigrationLoader = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def start(self) -> int:
        """Where the first reviewed migration stands in the walk: the pre-state's length."""
        reviewed = set(self.reviewed)
        return next((i for i, key in enumerate(self.walk) if key in reviewed), len(self.walk))

    def migration(self, key: MigrationKey) -> Migration:
        migration: Migration = self.loader.graph.nodes[key]
        return migration


def select_migrations(request: SelectionRequest) -> Selection:
    """Resolve ``request`` into a :class:`Selection` (Django must be set up)."""
    from django.db import connections

    if request.database not in connections:
        known = ", ".join(sorted(connections))
        raise DjangoSetupError(
            f"unknown database alias {request.database!r}: choose one of {known} (--database)"
        )
    if request.targets and request.all_migrations:
        raise DjangoSetupError("name migrations or pass --all, not both")
    if request.since is not None and (request.targets or request.all_migrations):
        raise DjangoSetupError("--since chooses the migrations itself: drop the targets "
                               "and --all, or drop --since")
    preimport_migrations()
    if request.since is not None:
        selection = _select_since(request.since)
    elif request.targets:
        selection = _select_targets(request.targets)
    elif request.all_migrations:
        selection = _select_all(request.include_third_party)
    else:
        selection = _select_pending(request.database)
    return _pre_state_first(_narrow(selection, request))


# -- loading ---------------------------------------------------------------


def load_graph(connection: BaseDatabaseWrapper | None, replace: bool = True) -> MigrationLoader:
    """A MigrationLoader, with every loading failure turned into a user message.

    ``connection=None`` gives the graph of an empty database.
    """
    from django.db.migrations.loader import MigrationLoader

    with loading_errors("default" if connection is None else connection.alias):
        return MigrationLoader(connection, replace_migrations=replace)


@contextlib.contextmanager
def loading_errors(alias: str) -> Iterator[None]:
    """Turn what loading migrations can raise into :class:`DjangoSetupError`."""
    from django.db import DatabaseError
    from django.db.migrations.exceptions import (
        BadMigrationError,
        CircularDependencyError,
        NodeNotFoundError,
    )

    try:
        yield
    except SyntaxError as error:
        raise DjangoSetupError(
            f"a migration file has a syntax error ({error.filename}, line {error.lineno}): "
            "fix it and run again"
        ) from error
    except ImportError as error:
        raise DjangoSetupError(
            f"a migrations module failed to import{migration_file_of(error)} "
            f"({first_line(error, with_type=True)}): "
            "fix the import (or install the missing package) and run again"
        ) from error
    except (BadMigrationError, NodeNotFoundError, CircularDependencyError, ValueError) as error:
        raise DjangoSetupError(
            f"the migration graph is broken ({first_line(error, with_type=True)}): "
            "`manage.py showmigrations` shows the same problem; fix the migration files"
        ) from error
    except DatabaseError as error:
        raise _unreachable(alias, error) from error
    except (TypeError, AttributeError, NameError, KeyError, LookupError) as error:
        # Raised by the code of a migration module while it is imported, e.g.
        # RunSQL(atomic=True) on a Django that has no such argument.
        raise DjangoSetupError(
            f"a migrations module raised {type(error).__name__} while loading"
            f"{migration_file_of(error)} "
            f"({first_line(error, with_type=True)}): fix the migration file and run again"
        ) from error


def full_plan(loader: MigrationLoader) -> list[MigrationKey]:
    """Every node, in the order ``migrate`` applies them on an empty database.

    This is ``MigrationExecutor.migration_plan(leaf_nodes, clean_start=True)``
    without needing an executor (and its recorder).
    """
    seen: set[MigrationKey] = set()
    plan: list[MigrationKey] = []
    for leaf in loader.graph.leaf_nodes():
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                plan.append(key)
    return plan


def _walk_to(loader: MigrationLoader, reviewed: list[MigrationKey]) -> list[MigrationKey]:
    needed: set[MigrationKey] = set()
    for key in reviewed:
        needed.update(loader.graph.forwards_plan(key))
    return [key for key in full_plan(loader) if key in needed]


def _conflict_warnings(loader: MigrationLoader) -> list[str]:
    conflicts: dict[str, list[str]] = loader.detect_conflicts()
    return [
        f"app {app!r} has conflicting leaf migrations ({', '.join(names)}); "
        "`migrate` refuses to run until they are merged (makemigrations --merge)"
        for app, names in sorted(conflicts.items())
    ]


# -- pending ----------------------------------------------------------------


def _select_pending(alias: str) -> Selection:
    from django.db import connections

    connection = connections[alias]
    warnings: list[str] = []
    if _is_missing_sqlite_file(connection):
        # Connecting would create the file; a database that does not exist
        # has nothing applied.
        reader: BaseDatabaseWrapper | None = None
    else:
        _check_reachable(connection, alias)
        reader = connection
    executor = _make_executor(reader, alias)
    loader = executor.loader
    warnings.extend(_conflict_warnings(loader))
    plan: list[tuple[Migration, bool]] = executor.migration_plan(loader.graph.leaf_nodes())
    reviewed = [(migration.app_label, migration.name) for migration, backwards in plan]
    applied = set(loader.applied_migrations or {})
    pending = set(reviewed)
    walk = [key for key in full_plan(loader) if key in applied or key in pending]
    if reader is not None:
        warnings.extend(_history_warnings(loader, connection))
    return Selection(reviewed=reviewed, walk=walk, loader=loader, warnings=warnings)


def _make_executor(connection: BaseDatabaseWrapper | None, alias: str) -> MigrationExecutor:
    from django.db.migrations.executor import MigrationExecutor

    with loading_errors(alias):
        return MigrationExecutor(connection)


def _history_warnings(loader: MigrationLoader, connection: BaseDatabaseWrapper) -> list[str]:
    from django.db.migrations.exceptions import InconsistentMigrationHistory

    try:
        loader.check_consistent_history(connection)
    except InconsistentMigrationHistory as error:
        return [f"{error} (`migrate` refuses to run on this history)"]
    return []


def _is_missing_sqlite_file(connection: BaseDatabaseWrapper) -> bool:
    if connection.vendor != "sqlite":
        return False
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return False
    return not os.path.exists(name)


def _check_reachable(connection: BaseDatabaseWrapper, alias: str) -> None:
    bound_connect_time(connection)
    try:
        connection.ensure_connection()
    except Exception as error:
        raise _unreachable(alias, error) from error


def bound_connect_time(connection: BaseDatabaseWrapper) -> None:
    """A host that accepts TCP and never answers must not hang the review."""
    if connection.vendor in ("postgresql", "mysql"):
        options = connection.settings_dict.setdefault("OPTIONS", {})
        options.setdefault("connect_timeout", connect_timeout())


def _unreachable(alias: str, error: BaseException) -> DjangoSetupError:
    return DjangoSetupError(
        f"cannot read which migrations are applied on database {alias!r} "
        f"({first_line(error, with_type=True)}): name the migrations to review "
        "(app_label or app_label:0007) or pass --all to review every migration "
        "of the project's apps"
    )


# -- named targets ------------------------------------------------------------


def _select_targets(targets: tuple[str, ...]) -> Selection:
    disk = load_graph(None, replace=False)
    keys_by_target = [_resolve_target(disk, target) for target in targets]
    named = {key for keys in keys_by_target if keys is not None for key in keys}
    squashed = load_graph(None)
    # Like MigrationExecutor.migration_plan: a replaced migration named
    # explicitly is only in the graph without replacements.
    loader = squashed if named <= set(squashed.graph.nodes) else disk
    chosen: set[MigrationKey] = set(named)
    for target, keys in zip(targets, keys_by_target, strict=True):
        if keys is None:  # an app label alone: that app's migrations in this graph
            chosen.update(key for key in loader.graph.nodes if key[0] == target)
    plan = full_plan(loader)
    reviewed = [key for key in plan if key in chosen]
    return Selection(
        reviewed=reviewed,
        walk=_walk_to(loader, reviewed),
        loader=loader,
        # Without replacements a squashed migration and its originals are two
        # leaves: not a conflict migrate would see.
        warnings=_conflict_warnings(squashed),
    )


def _resolve_target(loader: MigrationLoader, target: str) -> list[MigrationKey] | None:
    """``app:prefix`` -> its key; ``app`` -> None (all of it, resolved later)."""
    from django.apps import apps
    from django.db.migrations.loader import AmbiguityError

    app_label, _, prefix = target.partition(":")
    try:
        apps.get_app_config(app_label)
    except LookupError:
        raise DjangoSetupError(
            f"no installed app with label {app_label!r}: check INSTALLED_APPS "
            "(targets are app_label or app_label:migration_prefix)"
        ) from None
    if app_label not in loader.migrated_apps:
        raise DjangoSetupError(f"app {app_label!r} does not have migrations")
    if not prefix:
        return None
    if (app_label, prefix) in loader.disk_migrations:
        return [(app_label, prefix)]
    try:
        migration = loader.get_migration_by_prefix(app_label, prefix)
    except AmbiguityError:
        raise DjangoSetupError(
            f"more than one migration of app {app_label!r} starts with {prefix!r}: "
            "give more of the name"
        ) from None
    except KeyError:
        raise DjangoSetupError(
            f"no migration of app {app_label!r} starts with {prefix!r}: "
            f"`manage.py showmigrations {app_label}` lists them"
        ) from None
    return [(migration.app_label, migration.name)]


# -- --all ----------------------------------------------------------------------


def _select_all(include_third_party: bool) -> Selection:
    loader = load_graph(None)
    own = {label for label in loader.migrated_apps if include_third_party or is_own_app(label)}
    reviewed = [key for key in full_plan(loader) if key[0] in own]
    warnings = _conflict_warnings(loader)
    if not reviewed:
        warnings.append("the project's own apps have no migrations")
    return Selection(
        reviewed=reviewed, walk=_walk_to(loader, reviewed), loader=loader, warnings=warnings
    )


def is_own_app(app_label: str) -> bool:
    """Whether an app belongs to the project rather than to Django or a dependency."""
    import django
    from django.apps import apps

    path = os.path.realpath(apps.get_app_config(app_label).path)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    django_dir = os.path.realpath(os.path.dirname(django.__file__))
    return not (path == django_dir or path.startswith(django_dir + os.sep))


# -- --since ----------------------------------------------------------------------


def _select_since(ref: str) -> Selection:
    try:
        changes = changed_files(ref)
    except SinceError as error:
        raise DjangoSetupError(str(error)) from None
    disk = load_graph(None, replace=False)
    directories = _migration_directories(disk)
    warnings: list[str] = []
    named: list[MigrationKey] = []
    for changed in changes.files:
        key = _migration_of(changed.path, directories)
        if key is None or (changed.status != "deleted" and key not in disk.disk_migrations):
            continue
        warning = _since_warning(changes, changed, key)
        if warning:
            warnings.append(warning)
        if changed.status != "deleted":
            named.append(key)
    squashed = load_graph(None)
    loader = squashed if set(named) <= set(squashed.graph.nodes) else disk
    chosen = set(named)
    reviewed = [key for key in full_plan(loader) if key in chosen]
    return Selection(reviewed=reviewed, walk=_walk_to(loader, reviewed), loader=loader,
                     warnings=warnings + _conflict_warnings(squashed))


def _migration_directories(loader: MigrationLoader) -> dict[str, str]:
    """The real directory of each migrated app's migrations package -> app label."""
    import importlib

    from django.db.migrations.loader import MigrationLoader as Loader

    directories: dict[str, str] = {}
    for app_label in loader.migrated_apps:
        package, _explicit = Loader.migrations_module(app_label)
        if not package:
            continue
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        for directory in getattr(module, "__path__", []):
            directories[os.path.realpath(directory)] = app_label
    return directories


def _migration_of(path: os.PathLike[str], directories: dict[str, str]) -> MigrationKey | None:
    real = os.path.realpath(path)
    if not real.endswith(".py"):
        return None
    app_label = directories.get(os.path.dirname(real))
    if app_label is None:
        return None
    return (app_label, os.path.basename(real)[: -len(".py")])


def _since_warning(changes: Changes, changed: ChangedFile, key: MigrationKey) -> str | None:
    label = f"{key[0]}.{key[1]}"
    where = changes.relative(changed.path)
    if changed.status == "modified" and changed.on_ref:
        return (f"{where}: migration {label} already exists on {changes.ref} and was modified; "
                "editing an applied migration does nothing on databases that already ran it "
                "(write a new migration instead)")
    if changed.status == "deleted":
        return (f"{where}: migration {label} was deleted since {changes.ref}; databases that "
                "ran it keep its changes, and migrations depending on it no longer load")
    if changed.status == "renamed" and changed.old_path is not None:
        return (f"{where}: renamed from {changes.relative(changed.old_path)}; Django knows "
                f"migrations by name, so it is reviewed as the new migration {label}, and "
                "databases that ran the old name will run it again")
    return None


# -- the walk's order ------------------------------------------------------------------


def _pre_state_first(selection: Selection) -> Selection:
    """Put every migration that precedes the whole review before the first reviewed one.

    The walk's plain ``migrate`` order can interleave them (an earlier app's
    reviewed migration before a later app's applied one). The database is in
    the state after all of them before any reviewed migration runs, so that
    is the pre-state, the one state the old code of a rolling deploy knows,
    and what the cache keeps. Migrations that depend on a reviewed one (named
    targets with a gap) stay after it. Both parts keep ``migrate`` order, so
    the result is an order ``migrate`` may apply too.
    """
    graph = selection.loader.graph
    after = set(selection.reviewed)
    for key in selection.walk:
        if any(parent.key in after for parent in graph.node_map[key].parents):
            after.add(key)
    before = [key for key in selection.walk if key not in after]
    return dataclasses.replace(
        selection, walk=before + [key for key in selection.walk if key in after]
    )


# -- configuration: exclude, start-after ---------------------------------------------


def _narrow(selection: Selection, request: SelectionRequest) -> Selection:
    """Drop what ``exclude`` and ``start_after`` leave out of the review."""
    if not (request.exclude or request.start_after):
        return selection
    loader = selection.loader
    dropped: set[MigrationKey] = set()
    for item in request.exclude:
        keys = _resolve_config_key(loader, item, "exclude")
        dropped.update(keys if keys is not None
                       else {key for key in loader.graph.nodes if key[0] == item})
    for item in request.start_after:
        keys = _resolve_config_key(loader, item, "start-after")
        if keys is None:
            raise DjangoSetupError(f"start-after {item!r}: name a migration, "
                                   "app_label:0042 (the last one that predates sqlreview)")
        for key in keys:
            dropped.update(k for k in loader.graph.forwards_plan(key) if k[0] == key[0])
    reviewed = [key for key in selection.reviewed if key not in dropped]
    needed: set[MigrationKey] = set()
    for key in reviewed:
        needed.update(loader.graph.forwards_plan(key))
    walk = [key for key in selection.walk if key in needed]
    return Selection(reviewed=reviewed, walk=walk, loader=loader,
                     warnings=selection.warnings)


def _resolve_config_key(loader: MigrationLoader, item: str, setting: str
                        ) -> list[MigrationKey] | None:
    try:
        keys = _resolve_target(loader, item)
    except DjangoSetupError as error:
        raise DjangoSetupError(f"[tool.sqlreview] {setting} {item!r}: {error}") from None
    if keys is None or all(key in loader.graph.nodes for key in keys):
        return keys
    # Replaced by a squashed migration in this graph: stand for it by the squash.
    return [squash for squash, migration in sorted(loader.replacements.items())
            if squash in loader.graph.nodes
            and any(tuple(replaced) in keys for replaced in migration.replaces)]
