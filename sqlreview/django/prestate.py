"""Bring the scratch database to the state before the first reviewed migration.

Replaying a long history migration by migration costs what ``migrate``
costs: Django re-renders the related models of the project state after
every operation. Most of that history only needs to *exist* on the scratch
database, so the pre-state is reached in the cheapest exact way:

1. **restored from the cache** (``cache``): a dump of an earlier run's
   pre-state, keyed by the migration files up to that point and the Django,
   PostgreSQL and sqlreview versions;
2. **created from the project state** (``--pre-state fast``, the default):
   the state after the history is computed without rendering (cheap), the
   models are rendered once, and the schema editor creates every table with
   its indexes and constraints in one transaction: the names are the ones
   Django gives them, because Django names them from the state alone. Only
   the migrations whose every operation leaves such names, and whose
   ancestors all do, are built this way (see :func:`fast_path_plan`): the
   decision is per migration, so one app's ``RunSQL`` holds back that app's
   later history, not every app's;
3. **replayed exactly** for the rest of the history (and all of it with
   ``--pre-state replay``): each migration applied through the schema editor.

What the fast path cannot reproduce holds a migration back for exact replay:
SQL of ``RunSQL`` that changes more than rows (an UPDATE on the fast path's
empty tables changes nothing, as a ``RunPython``) and is not built past,
``SeparateDatabaseAndState`` (the database and the state disagree on purpose)
unless its SQL adds exactly the columns its ``AddField`` describes, renames of
models, tables, and of fields that carry an index or constraint (the database
keeps the names from before the rename), ``AlterField`` changes that add a
constraint under a name a new table would not get (``unique``, a primary key,
a column's check), ``AddConstraintNotValid`` (a new table would get it
validated), and operations sqlreview does not know. A ``RunSQL`` that only adds
objects (an index, a view, a trigger...) is built past: its SQL runs after the
tables, unless a later migration changes what it names or it fails there
(see :mod:`sqlreview.django.past`). Extensions and collations
(``CreateExtension``, ``CreateCollation``) are created first. Data migrations
(``RunPython``) are not run on the fast path: tables are empty. Models that
Django never creates a table for (proxy, unmanaged, swapped-out) get none.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlreview import __version__, interrupts
from sqlreview.deploy import DeployContext
from sqlreview.django.apply import apply_migration
from sqlreview.django.editor import StatementLog, recording_editor
from sqlreview.django.past import (
    BuiltPast,
    Mentions,
    Touch,
    conflicts,
    is_known_operation,
    judge,
    run_after_tables,
    sql_texts,
    state_column,
    touched,
    touched_replayed,
)
from sqlreview.django.state import describe_operation, empty_state, project_state
from sqlreview.errors import first_line
from sqlreview.pg.parse import iter_statements
from sqlreview.progress import Progress
from sqlreview.scratch.cache import PreStateCache

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.state import ProjectState

    from sqlreview.deploy import DeployContext, DeployModel
    from sqlreview.django.render import RenderedMigration
    from sqlreview.django.select import MigrationKey, Selection
    from sqlreview.scratch import ScratchServer
    from sqlreview.scratch.production import ProductionSchema

# fast and replay build it from the migration files; database and snapshot restore
# production's schema (see from_production).
PreStateMode = Literal["fast", "replay", "database", "snapshot"]


@dataclass
class ReplayOptions:
    """How replay reaches the pre-state, and what it shows while it works."""

    pre_state: PreStateMode = "fast"
    cache_dir: Path | None = None  # None: no cache
    progress: Progress | None = None
    # Rolling deploys: judge each reviewed migration under this model (None: do not).
    deploy_model: DeployModel | None = None
    # One deploy (pending, named targets) or every migration on its own (--all).
    deploy_each_alone: bool = False
    # --scratch-alias: other aliases that also talk to the scratch database.
    scratch_aliases: tuple[str, ...] = ()
    # --pre-state snapshot: production's schema from a stats dump (database: read at run time).
    production: ProductionSchema | None = None
    # With production's schema: also build the files' pre-state and report the drift (SR007).
    drift: bool = True

    def deploy_context(self, previous: DeployContext | None) -> DeployContext | None:
        """The context the next reviewed migration is judged in."""
        if self.deploy_model is None:
            return None
        if previous is None or self.deploy_each_alone:
            return DeployContext(self.deploy_model)
        return previous


@dataclass
class PreState:
    """The project state at the first reviewed migration, and how the database got there."""

    state: ProjectState
    summary: dict[str, Any]
    warnings: list[str]
    selection: Selection  # its walk in the order the pre-state was built


# -- project state, without the database ---------------------------------------------


_STATE_DESCRIBED = frozenset({
    "CreateModel", "DeleteModel", "AddField", "RemoveField", "AddIndex", "RemoveIndex",
    "RenameIndex", "AddConstraint", "RemoveConstraint", "AlterConstraint",
    "AlterUniqueTogether", "AlterIndexTogether", "AlterModelOptions", "AlterModelManagers",
    "AlterOrderWithRespectTo", "AlterModelTableComment", "AddIndexConcurrently",
    "RemoveIndexConcurrently", "ValidateConstraint",
})
# Created before the tables, whatever their place in the history.
_HOISTED = frozenset({
    "CreateExtension", "BtreeGinExtension", "BtreeGistExtension", "CITextExtension",
    "CryptoExtension", "HStoreExtension", "TrigramExtension", "UnaccentExtension",
    "CreateCollation",
})
_AUTO_TYPES = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})
_CHECKED_TYPES = frozenset(
    {"PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField"}
)


@dataclass
class FieldRename:
    """A column renamed in the history: its indexes and constraints keep the old name."""

    app_label: str
    model: str  # model_name_lower now
    field: str  # its name now
    original_column: str  # the column its objects were named after


@dataclass
class FastPlan:
    """Which of the history the fast path builds, what is replayed after it, and why.

    ``fast`` holds every migration whose operations the project state fully
    describes (or that it builds past, see :mod:`sqlreview.django.past`) and
    whose ancestors are all in ``fast`` too, so it is closed under
    dependencies and can be built at once; ``replayed`` holds the rest,
    applied exactly afterwards. Both keep the walk's order, so ``fast +
    replayed`` is an order ``migrate`` may apply. A ``RunSQL`` in one app's
    history holds back that app's later migrations and those that depend on
    them, not the whole project.
    """

    fast: list[MigrationKey] = field(default_factory=list)
    replayed: list[MigrationKey] = field(default_factory=list)
    # label -> why, for the migrations held back by their own operations (not by an ancestor)
    reasons: dict[str, str] = field(default_factory=dict)
    renames: list[FieldRename] = field(default_factory=list)
    # The blockers in ``fast``, in history order: their SQL runs after the tables.
    built_past: list[BuiltPast] = field(default_factory=list)

    @property
    def first_reason(self) -> str | None:
        return next((f"{label}: {why}" for label, why in self.reasons.items()), None)


# Walks of the history before giving up building past blockers (each walk holds back
# the blockers a later operation conflicts with; the second one normally settles).
_PLAN_WALKS = 4


def fast_path_plan(selection: Selection, keys: list[MigrationKey],
                   connection: BaseDatabaseWrapper | None = None,
                   not_past: dict[str, str] | None = None) -> FastPlan:
    """Split ``keys`` into what the fast path builds exactly and what must be replayed.

    Walks the history on an unrendered state, each operation judged against
    the state just before it (the state follows every migration, held back
    or not: an app's operations only ever change that app's models). A
    blocker is built past unless it is in ``not_past`` (label -> why) or a
    later migration built from the state changes what its SQL names; then
    the walk is done again with it held back.
    """
    excluded = dict(not_past or {})
    for _ in range(_PLAN_WALKS):
        plan, conflicting = _walk(selection, keys, connection, excluded, build_past=True)
        if not conflicting:
            return plan
        excluded.update(conflicting)
    return _walk(selection, keys, connection, excluded, build_past=False)[0]


def _walk(selection: Selection, keys: list[MigrationKey],
          connection: BaseDatabaseWrapper | None, excluded: dict[str, str],
          build_past: bool) -> tuple[FastPlan, dict[str, str]]:
    """One walk: the plan, and the built-past blockers a later fast operation conflicts
    with (label -> why)."""
    graph = selection.loader.graph
    state = empty_state(selection)
    renames: RenameMap = {}
    plan = FastPlan()
    held: set[MigrationKey] = set()
    watched: list[tuple[str, Mentions]] = []  # what the built-past blockers so far name
    # What the held-back migrations so far change: replayed after the kept SQL that
    # comes after them in history.
    replayed_touches: list[tuple[str, list[Touch]]] = []
    conflicting: dict[str, str] = {}
    for key in keys:
        migration = selection.migration(key)
        label = f"{key[0]}.{key[1]}"
        by_ancestor = any(parent.key in held for parent in graph.node_map[key].parents)
        trial = dict(renames)  # a held-back migration's renames are not the fast path's
        reason = None
        past = BuiltPast(key, migration.app_label)
        found: dict[str, str] = {}
        touches: list[Touch] = []
        for operation in migration.operations:
            touches.extend(touched_replayed(operation, migration.app_label, state))
            if not by_ancestor:
                found.update(_conflicts(operation, migration.app_label, state, label,
                                        [*watched, *((label, m) for m in past.mentions)]))
            if reason is None and not by_ancestor:
                reason = _why_not_state_described(operation, migration.app_label, state, trial)
                if reason is not None and label in excluded:
                    reason = f"{reason} ({excluded[label]})"
                elif reason is not None and build_past:
                    judged = judge(operation, migration.app_label, state, connection)
                    if judged is not None:
                        past.kinds.extend(judged.kinds)
                        past.mentions.extend(judged.mentions)
                        if judged.runs_after:
                            past.operations.append(operation)
                        reason = None
            try:
                operation.state_forwards(migration.app_label, state)
            except Exception as error:
                reason = reason or f"its state change fails ({error})"
                break
        if by_ancestor or reason is not None:
            held.add(key)
            plan.replayed.append(key)
            if reason is not None and not by_ancestor:
                plan.reasons[label] = reason
            replayed_touches.append((label, touches))
        else:
            plan.fast.append(key)
            renames = trial
            conflicting.update(found)
            conflicting.update(_replayed_before(label, past.mentions, replayed_touches))
            watched.extend((label, mentions) for mentions in past.mentions)
            if past.kinds:
                plan.built_past.append(past)
    plan.renames = list(renames.values())
    return plan, conflicting


def _replayed_before(label: str, mentions: list[Mentions],
                     replayed: list[tuple[str, list[Touch]]]) -> dict[str, str]:
    """``label`` (built past) if a held-back migration before it changes what it names:
    replayed after the kept SQL, it would change it in the other order."""
    for held, touches in replayed:
        if any(conflicts(touches, named) for named in mentions):
            return {label: f"not built past: {held} changes what its SQL names and is "
                           "replayed"}
    return {}


def _conflicts(operation: Any, app_label: str, state: ProjectState, label: str,
               watched: list[tuple[str, Mentions]]) -> dict[str, str]:
    """The built-past blockers whose SQL names what ``operation`` changes."""
    if not watched:
        return {}
    touches = list(touched(operation, app_label, state))
    why = (f"not built past: {type(operation).__name__} in {label} changes what its SQL "
           "names")
    return {blocker: why for blocker, mentions in watched if conflicts(touches, mentions)}


RenameMap = dict[tuple[str, str, str], FieldRename]


def _why_not_state_described(operation: Any, app_label: str, state: ProjectState,
                             renames: RenameMap) -> str | None:
    kind = type(operation).__name__
    if not is_known_operation(operation):
        return f"custom operation {kind}"
    if kind == "RenameIndex" and _has_index(state, app_label, operation.model_name_lower,
                                            operation.new_name):
        # django-taggit's 0002 was edited to add the index under the name its 0006 renames
        # to: the database has one index, the state describes two.
        return "RenameIndex to a name the state already has (an edited history)"
    if kind in _STATE_DESCRIBED or kind in _HOISTED:
        _forget_renames(operation, kind, app_label, renames)
        return None
    if kind == "RunPython":
        return None  # data only: tables are empty either way
    if kind == "RunSQL":
        return _run_sql_problem(operation)
    if kind == "AlterField":
        if (app_label, operation.model_name_lower, operation.name) in renames:
            return "AlterField of a renamed field with an index or constraint"
        return _altered_field_problem(operation, app_label, state)
    if kind == "RenameField":
        return _renamed_field_problem(operation, app_label, state, renames)
    return kind  # RenameModel, AlterModelTable, SeparateDatabaseAndState, ...


# Statements that only change rows: on the fast path's empty tables they change nothing
# the reviewed migrations meet, as a RunPython does not.
_ROW_STATEMENTS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt"})


def _run_sql_problem(operation: Any) -> str | None:
    """None for a RunSQL that does nothing or only changes rows (a data fix)."""
    from django.db.migrations.operations.special import RunSQL

    if operation.state_operations:
        return "RunSQL with state_operations"
    if operation.sql in (RunSQL.noop, "", []):
        return None
    for text in sql_texts(operation.sql):
        for parsed in iter_statements(text):
            if parsed.node is None or type(parsed.node).__name__ not in _ROW_STATEMENTS:
                return "RunSQL"
    return None


def _has_index(state: ProjectState, app_label: str, model_name: str, name: str) -> bool:
    model = state.models.get((app_label, model_name))
    return model is not None and any(index.name == name
                                     for index in model.options.get("indexes", []))


def _old_field(operation: Any, app_label: str, state: ProjectState, name: str) -> Any:
    model = state.models.get((app_label, operation.model_name_lower))
    return model.fields.get(name) if model is not None else None


def _altered_field_problem(operation: Any, app_label: str, state: ProjectState) -> str | None:
    old = _old_field(operation, app_label, state, operation.name)
    new = operation.field
    if old is None:
        return None  # the state change itself will say what is wrong
    if old.many_to_many or new.many_to_many:
        return "AlterField of a many-to-many field"
    if new.unique and not old.unique:
        return "AlterField adds a unique constraint"
    if old.primary_key != new.primary_key:
        return "AlterField changes the primary key"
    if old.db_column != new.db_column:
        return "AlterField renames the column"
    old_type, new_type = old.get_internal_type(), new.get_internal_type()
    if (old_type in _AUTO_TYPES) != (new_type in _AUTO_TYPES):
        return "AlterField to or from an auto field"
    if old_type != new_type and (old_type in _CHECKED_TYPES or new_type in _CHECKED_TYPES):
        return "AlterField changes a column's check constraint"
    return None


def _renamed_field_problem(operation: Any, app_label: str, state: ProjectState,
                           renames: RenameMap) -> str | None:
    """A renamed column keeps its objects' names: recorded, to be renamed back after building."""
    old = _old_field(operation, app_label, state, operation.old_name)
    if old is None:
        return None
    if old.get_internal_type() in _CHECKED_TYPES:
        # Django recreates the column's check under a name a new table's check does not get.
        return "RenameField of a field with a check constraint"
    named = old.db_index or old.unique or old.is_relation
    if not named or old.primary_key:
        return None  # no name mentions the column (a primary key is TABLE_pkey)
    model = state.models[(app_label, operation.model_name_lower)]
    together = [fields for option in ("unique_together", "index_together")
                for fields in model.options.get(option) or ()]
    if old.many_to_many or any(operation.old_name in fields for fields in together):
        return "RenameField of a field in a many-to-many or *_together"
    if old.db_column is not None:
        return "RenameField of a field with db_column"
    origin = renames.pop((app_label, operation.model_name_lower, operation.old_name), None)
    renames[(app_label, operation.model_name_lower, operation.new_name)] = FieldRename(
        app_label, operation.model_name_lower, operation.new_name,
        origin.original_column if origin else state_column(operation.old_name, old),
    )
    return None


def _forget_renames(operation: Any, kind: str, app_label: str, renames: RenameMap) -> None:
    """A field removed (or its model deleted) has no objects left to rename."""
    if kind == "RemoveField":
        renames.pop((app_label, operation.model_name_lower, operation.name), None)
    elif kind == "DeleteModel":
        for key in [k for k in renames if k[:2] == (app_label, operation.name_lower)]:
            del renames[key]


# -- building ---------------------------------------------------------------------------


def prepare(
    connection: BaseDatabaseWrapper,
    server: ScratchServer,
    url: str,
    selection: Selection,
    start: int,
    options: ReplayOptions,
) -> PreState:
    """Bring the (empty) scratch database ``url`` to walk[:start]; return the state there.

    The returned :attr:`PreState.selection` is ``selection`` with walk[:start]
    in the order it was built (the fast part first): what comes after the
    pre-state follows that walk.
    """
    from django.db.migrations.recorder import MigrationRecorder


    keys = selection.walk[:start]
    summary: dict[str, Any] = {"migrations": len(keys), "mode": options.pre_state}
    cache = PreStateCache.open(options.cache_dir, server) if options.cache_dir else None
    key = cache_key(selection, keys, server, options.pre_state) if cache else None
    if cache is not None and key is not None:
        record = cache.restore(key, url)
        if record is not None:
            state, _problems = project_state(selection, keys)
            summary.update(record.get("summary", {}), cache="hit")
            return PreState(state, summary, list(record.get("warnings", [])), selection)
    not_past: dict[str, str] = {}
    while True:
        plan = (fast_path_plan(selection, keys, connection, not_past)
                if options.pre_state == "fast" else FastPlan(replayed=list(keys)))
        built = dataclasses.replace(
            selection, walk=plan.fast + plan.replayed + selection.walk[start:]
        )
        state, problems = project_state(built, plan.fast)
        try:
            fast_warnings, renamed = _build_fast(connection, built, plan, state)
        except _KeptSQLFailed as failure:
            # Back to exact replay for those blockers (and what depends on them): the
            # whole fast build was rolled back, so the next one starts empty again.
            not_past.update({label: f"not built past: its SQL failed after the tables "
                                    f"({error})" for label, error in failure.failed.items()})
            continue
        break
    selection = built
    warnings = [*problems, *fast_warnings]
    if renamed:
        summary["renamed_back"] = renamed
    MigrationRecorder(connection).ensure_schema()
    if plan.replayed:
        state, failed = replay(connection, selection, len(plan.fast), start, state,
                                options.progress)
        warnings.extend(failed)
    how = "fast" if not plan.replayed else ("replay" if not plan.fast else "mixed")
    summary.update(built=how, created_from_state=len(plan.fast), replayed=len(plan.replayed))
    if plan.built_past:
        summary["built_past"] = {past.label: past.describe()
                                 for past in plan.built_past[:_HELD_BACK_SHOWN]}
    if plan.reasons and options.pre_state == "fast":
        summary["replayed_from"] = plan.first_reason
        summary["held_back"] = dict(list(plan.reasons.items())[:_HELD_BACK_SHOWN])
    if cache is not None and key is not None:
        stored = cache.store(key, url, {"summary": summary, "warnings": warnings})
        summary["cache"] = "stored" if stored else "unavailable"
    return PreState(state, summary, warnings, selection)


_HELD_BACK_SHOWN = 20


class _KeptSQLFailed(Exception):
    """A built-past blocker's SQL failed after the tables: the fast build is undone."""

    def __init__(self, failed: dict[str, str]) -> None:
        super().__init__(", ".join(failed))
        self.failed = failed


def _build_fast(connection: BaseDatabaseWrapper, selection: Selection, plan: FastPlan,
                state: ProjectState) -> tuple[list[str], int]:
    """Build ``plan.fast`` from ``state`` in one transaction (where the backend's editor
    allows one), the kept SQL of the blockers built past last; its warnings and how many
    objects were renamed back. Raises :class:`_KeptSQLFailed`, with the scratch database
    as it was before (rolled back, or emptied), when kept SQL fails."""
    from django.db import transaction

    if not plan.fast:
        return [], 0
    if not connection.schema_editor(atomic=True).atomic_migration:
        # The backend's editor refuses a transaction (django-pg-zero-downtime-migrations
        # builds every index CONCURRENTLY): built in autocommit, undone by emptying.
        try:
            return _build_fast_steps(connection, selection, plan, state)
        except _KeptSQLFailed:
            _empty_database(connection)
            raise
    with transaction.atomic(using=connection.alias):
        return _build_fast_steps(connection, selection, plan, state)


def _build_fast_steps(connection: BaseDatabaseWrapper, selection: Selection, plan: FastPlan,
                      state: ProjectState) -> tuple[list[str], int]:
    warnings = _hoist(connection, selection, plan.fast, state)
    _create_tables(connection, state, set(selection.loader.unmigrated_apps))
    renamed = _rename_back(connection, state, plan.renames)
    failed = run_after_tables(connection, plan.built_past, state)
    if failed:
        raise _KeptSQLFailed(failed)
    return warnings, renamed


def _empty_database(connection: BaseDatabaseWrapper) -> None:
    """The scratch database as it was created: an empty public schema."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def stand_in_warnings(result: RenderedMigration) -> list[str]:
    """What stood in for what the scratch server lacks, for a migration not reviewed."""
    if result.apply_error is not None:
        return []
    return [f"{result.label} (applied before the reviewed migrations): {warning}"
            for warning in result.warnings]


def _hoist(connection: BaseDatabaseWrapper, selection: Selection,
           keys: list[MigrationKey], state: ProjectState) -> list[str]:
    """Run the extension and collation operations of the history, each on its own."""
    warnings: list[str] = []
    for key in keys:
        migration = selection.migration(key)
        for operation in migration.operations:
            if type(operation).__name__ not in _HOISTED:
                continue
            log = StatementLog([operation])
            try:
                # The recording editor: what the scratch server lacks gets its stand-in.
                with recording_editor(connection, log, atomic=True, executes=True) as editor:
                    operation.database_forwards(migration.app_label, editor, state, state)
                warnings.extend(f"{key[0]}.{key[1]}: {warning}" for warning in log.warnings)
            except Exception as error:
                warnings.append(
                    f"{key[0]}.{key[1]}: {describe_operation(operation)} failed on the scratch "
                    f"server ({first_line(error, with_type=True)}); migrations that need it may "
                    "fail too"
                )
    return warnings


def _create_tables(connection: BaseDatabaseWrapper, state: ProjectState,
                   unmigrated: set[str]) -> None:
    """Every table of ``state``, as the schema editor creates a new model's, in one go.

    Apps without migrations get no tables, as in a replay; nor do models
    that ``migrate`` would not create a table for.
    """
    from django.db import router

    with connection.schema_editor(atomic=True) as editor:
        for model in state.apps.get_models():
            interrupts.check()
            if model._meta.app_label in unmigrated:
                continue
            # As CreateModel.database_forwards: no table for a proxy, unmanaged or
            # swapped-out model, nor where the router says no.
            if (model._meta.can_migrate(connection)
                    and router.allow_migrate_model(connection.alias, model)):
                editor.create_model(model)


def _rename_back(connection: BaseDatabaseWrapper, state: ProjectState,
                 renames: list[FieldRename]) -> int:
    """Give the objects of renamed columns the names the history gave them.

    Django names an index or unique constraint after the table and column it
    was created on, and renaming a column keeps those names (a foreign key
    constraint is dropped and created again under the new name, so it is
    left alone). The fast path named them after the column's new name; this
    renames each one whose name is exactly what Django (or PostgreSQL, for an
    inline UNIQUE) gives the new column to what it gives the original one.
    """
    count = 0
    with connection.schema_editor(atomic=True) as editor:
        for rename in renames:
            try:
                model = state.apps.get_model(rename.app_label, rename.model)
                column = model._meta.get_field(rename.field).column
            except LookupError:
                continue
            table = model._meta.db_table
            for kind, name, target in _objects_on(connection, table, column):
                if target is not None:
                    continue  # a foreign key: recreated by the rename, under the new name
                old = _name_for(editor, table, rename.original_column, column, name)
                if old is None or old == name:
                    continue
                if kind == "index":
                    editor.execute(f"ALTER INDEX {editor.quote_name(name)} "
                                   f"RENAME TO {editor.quote_name(old)}")
                else:
                    editor.execute(f"ALTER TABLE {editor.quote_name(table)} RENAME CONSTRAINT "
                                   f"{editor.quote_name(name)} TO {editor.quote_name(old)}")
                count += 1
    return count


_OBJECTS_ON = """
SELECT 'constraint', con.conname, ref.relname
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
LEFT JOIN pg_class ref ON ref.oid = con.confrelid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(con.conkey)
WHERE t.relname = %s AND a.attname = %s AND array_length(con.conkey, 1) = 1
UNION ALL
SELECT 'index', ic.relname, NULL
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
WHERE t.relname = %s AND a.attname = %s AND i.indnatts = 1
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


def _objects_on(connection: BaseDatabaseWrapper, table: str, column: str
                ) -> list[tuple[str, str, str | None]]:
    with connection.cursor() as cursor:
        cursor.execute(_OBJECTS_ON, [table, column, table, column])
        return [(str(kind), str(name), target) for kind, name, target in cursor.fetchall()]


def _name_for(editor: Any, table: str, original: str, column: str, name: str) -> str | None:
    """The name the original column gave the object now called ``name``, if it can be told."""
    for suffix in ("", "_like", "_uniq"):
        if editor._create_index_name(table, [column], suffix=suffix) == name:
            return str(editor._create_index_name(table, [original], suffix=suffix))
    inline = f"{table}_{column}_key"  # PostgreSQL's name for an inline UNIQUE
    if name == inline and len(f"{table}_{original}_key") < 64:
        return f"{table}_{original}_key"
    return None


def replay(
    connection: BaseDatabaseWrapper,
    selection: Selection,
    first: int,
    stop: int,
    state: ProjectState,
    progress: Progress | None,
) -> tuple[ProjectState, list[str]]:

    warnings = []
    for position in range(first, stop):
        interrupts.check()
        key = selection.walk[position]
        if progress is not None:
            progress.update("pre-state", position - first + 1, stop - first, ".".join(key))
        result, state = apply_migration(connection, selection, position, state)
        warnings.extend(stand_in_warnings(result))
        if result.apply_error is not None:
            warnings.append(
                f"{result.label} (applied before the reviewed migrations) failed on the "
                f"scratch database ({result.apply_error}); the SQL after it may differ "
                "from production"
            )
    return state, warnings


# Raised whenever the pre-state built for the same files changes (2: hand SQL built past),
# so that no cache entry of an earlier build is reused within one release.
_BUILDER = 2


def cache_key(selection: Selection, keys: list[MigrationKey], server: ScratchServer,
              mode: str) -> str | None:
    """What the pre-state depends on: every migration file up to it, and the versions."""
    import django

    digest = hashlib.sha256()
    header = {"sqlreview": __version__, "django": django.get_version(), "mode": mode,
              "server": server.server_version_text(), "python": sys.version_info[:2],
              "builder": _BUILDER}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for key in keys:
        migration = selection.migration(key)
        module = sys.modules.get(type(migration).__module__)
        path = getattr(module, "__file__", None)
        if not path:
            return None  # a migration without a file: nothing to key it by
        digest.update(f"\0{key[0]}\0{key[1]}\0".encode())
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return digest.hexdigest()
