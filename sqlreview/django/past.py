"""Blockers the fast pre-state builds past instead of holding back their descendants.

A ``RunSQL`` whose statements only add objects to tables the project state
describes (an index, a view, a trigger and its function, a comment, a grant;
row changes, which change nothing on empty tables) does not change what the
state says about any table: the fast path moves the state on through it and
runs its SQL after the tables are created, in history order, each migration's
in a savepoint. A ``SeparateDatabaseAndState`` whose SQL adds exactly the
columns its ``AddField`` describes (the same type, nullable, no default, no
index or constraint of Django's) is what ``AddField`` would have done: built
from the state like any other.

"Run at the end" equals "ran back then" unless a later operation of the fast
part changes what the SQL names. So each built-past statement records the
tables and columns it names, and the blocker is held back (replayed exactly,
as before) when a later migration built from the state deletes, renames or
re-tables one of those tables, changes its ``*_together``, table comment or an
index it finds by columns, or alters, removes or renames one of those columns
(Django's ``AlterField`` drops the indexes and constraints it finds on a
column; ``DROP COLUMN ... CASCADE`` takes a view or index with it), or alters
any primary key (the type change reaches the columns that refer to it).
Migrations replayed exactly come after the kept SQL, as they came after it in
history. Whatever still fails when it runs (a name taken, a table another
held-back migration creates) sends that blocker back to exact replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, GrantTargetType, ObjectType
from pglast.stream import RawStream

from sqlreview.errors import first_line
from sqlreview.pg.nodes import string_values, walk
from sqlreview.pg.parse import iter_statements

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.state import ProjectState

    from sqlreview.django.select import MigrationKey

_ADDITIVE = {
    ast.IndexStmt: "CREATE INDEX", ast.ViewStmt: "CREATE VIEW",
    ast.CreateFunctionStmt: "CREATE FUNCTION", ast.CreateTrigStmt: "CREATE TRIGGER",
    ast.CommentStmt: "COMMENT", ast.GrantStmt: "GRANT",
    ast.UpdateStmt: "UPDATE", ast.DeleteStmt: "DELETE",
}
_WHOLE_TABLE_OPERATIONS = frozenset({
    "CreateModel", "DeleteModel", "RenameModel", "AlterModelTable", "AlterUniqueTogether",
    "AlterIndexTogether", "AlterModelTableComment", "RenameIndex",
})
_COLUMN_OPERATIONS = frozenset({"AlterField", "RemoveField", "RenameField"})
_EVERY_TABLE = "*"  # a primary key's type change reaches every table that refers to it
_KNOWN_MODULES = ("django.db.migrations.operations", "django.contrib.postgres.operations")


def is_known_operation(operation: Any) -> bool:
    """One of Django's own operations (migrations or contrib.postgres), whose effect on the
    database the fast path can tell; a custom one may do anything."""
    return type(operation).__module__.startswith(_KNOWN_MODULES)


# A table an operation changes, and the columns it changes (None: the table itself).
Touch = tuple[str, frozenset[str] | None]


@dataclass(frozen=True)
class Mentions:
    """The tables and columns a kept statement names (columns unqualified: any of them)."""

    tables: frozenset[str]
    columns: frozenset[str]


@dataclass
class BuiltPast:
    """A blocker the fast path built past: what it ran after the tables, and what it names."""

    key: MigrationKey
    app_label: str
    kinds: list[str] = field(default_factory=list)
    operations: list[Any] = field(default_factory=list)  # RunSQL run after the tables
    mentions: list[Mentions] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"

    def describe(self) -> str:
        kinds = ", ".join(dict.fromkeys(self.kinds))
        if not self.operations:
            return f"SeparateDatabaseAndState: {kinds}, built from the state"
        return f"RunSQL: {kinds}, run after the tables"


@dataclass(frozen=True)
class Judged:
    """One operation the fast path can build past."""

    kinds: list[str]
    mentions: list[Mentions]
    runs_after: bool  # its SQL runs after the tables (False: the state already built it)


def judge(operation: Any, app_label: str, state: ProjectState,
          connection: BaseDatabaseWrapper | None) -> Judged | None:
    """How ``operation`` (a blocker) can be built past, or None when it cannot."""
    kind = type(operation).__name__
    if kind == "RunSQL":
        if operation.state_operations:
            return None
        found = _additive(operation.sql)
        return Judged(*found, runs_after=True) if found is not None else None
    if (kind == "SeparateDatabaseAndState" and connection is not None
            and _adds_described_columns(operation, app_label, state, connection)):
        return Judged(["its SQL adds the columns its AddField describes"], [],
                          runs_after=False)
    return None


def sql_texts(sql: Any) -> list[str]:
    if isinstance(sql, str):
        return [sql]
    return [without_placeholders(item[0]) if isinstance(item, (list, tuple)) else str(item)
            for item in sql]


def without_placeholders(sql: object) -> str:
    """A ``(sql, params)`` item's SQL as PostgreSQL parses it: ``%s`` become ``$1``."""
    return str(sql).replace("%%", "\0").replace("%s", "$1").replace("\0", "%")


def _additive(sql: Any) -> tuple[list[str], list[Mentions]] | None:
    kinds: list[str] = []
    mentions: list[Mentions] = []
    for text in sql_texts(sql):
        for parsed in iter_statements(text):
            node = parsed.node
            if node is None or type(node) not in _ADDITIVE or not _runs_anywhere(node):
                return None
            named = _mentions(node)
            if named is None:
                return None
            kinds.append(_ADDITIVE[type(node)])
            mentions.append(named)
    return kinds, mentions


def _runs_anywhere(node: ast.Node) -> bool:
    """Whether the statement does the same at the end as back then (for what it names)."""
    if isinstance(node, ast.IndexStmt):
        # CONCURRENTLY cannot run in the build's transaction; IF NOT EXISTS would skip
        # silently what a name taken later makes fail back then.
        return not node.concurrent and not node.if_not_exists
    if isinstance(node, ast.CreateFunctionStmt):
        return node.sql_body is None  # BEGIN ATOMIC: depends on the columns it reads
    if isinstance(node, ast.CommentStmt):
        return node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_COLUMN)
    if isinstance(node, ast.GrantStmt):
        return (node.targtype == GrantTargetType.ACL_TARGET_OBJECT
                and node.objtype == ObjectType.OBJECT_TABLE
                and not any(privilege.cols for privilege in node.privileges or ()))
    return True


def _mentions(node: ast.Node) -> Mentions | None:
    """What ``node`` names; None for a ``*`` (a view's columns fixed when it is made)."""
    tables: set[str] = set()
    columns: set[str] = set()
    if isinstance(node, ast.CommentStmt):
        names = string_values(node.object)
        if node.objtype == ObjectType.OBJECT_COLUMN:
            tables.add(names[-2])
            columns.add(names[-1])
        else:
            tables.add(names[-1])
    if isinstance(node, ast.CreateTrigStmt):
        columns.update(string_values(node.columns))
    for child in walk(node):
        if isinstance(child, ast.RangeVar) and child.relname:
            tables.add(str(child.relname))
        elif isinstance(child, (ast.IndexElem, ast.ResTarget)) and child.name:
            columns.add(str(child.name))  # a SELECT's alias too: more than named, not less
        elif isinstance(child, ast.ColumnRef):
            last = child.fields[-1] if child.fields else None
            if isinstance(last, ast.A_Star):
                return None
            if isinstance(last, ast.String):
                columns.add(str(last.sval))
    return Mentions(frozenset(tables), frozenset(columns))


# -- a later operation that changes what kept SQL names -------------------------------------


def touched(operation: Any, app_label: str, state: ProjectState
            ) -> Iterator[Touch]:
    """The tables ``operation`` changes in a way kept SQL could depend on, each with the
    columns it changes (None: the table itself)."""
    kind = type(operation).__name__
    if kind == "SeparateDatabaseAndState":
        for inner in operation.state_operations:
            yield from touched(inner, app_label, state)
    elif kind in _WHOLE_TABLE_OPERATIONS:
        name = operation.old_name if kind == "RenameModel" else (
            operation.model_name if kind == "RenameIndex" else operation.name)
        if kind == "CreateModel":
            if not _without_table(operation.options):
                yield _db_table(app_label, operation.name, operation.options), None
        else:
            yield from _table_of(app_label, name, state)
    elif kind in _COLUMN_OPERATIONS:
        name = operation.old_name if kind == "RenameField" else operation.name
        model = state.models.get((app_label, operation.model_name_lower))
        old = model.fields.get(name) if model is not None else None
        if old is None or model is None or _without_table(model.options):
            return
        if kind == "AlterField" and (old.primary_key or old.unique):
            yield _EVERY_TABLE, None  # its type reaches the columns that refer to it
        yield _db_table(app_label, model.name, model.options), frozenset({state_column(name, old)})


def touched_replayed(operation: Any, app_label: str, state: ProjectState
                     ) -> Iterator[Touch]:
    """What ``operation``, of a migration replayed exactly after the kept SQL although it
    comes before it in history, changes: SQL anything it names, an unknown operation
    anything (a data migration nothing, as on the fast path)."""
    kind = type(operation).__name__
    if not is_known_operation(operation):
        yield _EVERY_TABLE, None
    elif kind == "RunSQL":
        names = _names_in(operation.sql)
        yield from ([(_EVERY_TABLE, None)] if names is None else ((n, None) for n in names))
        for inner in operation.state_operations:
            yield from touched(inner, app_label, state)
    elif kind == "SeparateDatabaseAndState":
        for inner in operation.database_operations:
            yield from touched_replayed(inner, app_label, state)
    else:
        yield from touched(operation, app_label, state)


def _names_in(sql: Any) -> set[str] | None:
    """Every name and string in ``sql`` (a table it names among them); None when some of
    it does not parse."""
    names: set[str] = set()
    for text in sql_texts(sql):
        for parsed in iter_statements(text):
            if parsed.node is None:
                return None
            for child in walk(parsed.node):
                if isinstance(child, ast.RangeVar) and child.relname:
                    names.add(str(child.relname))
                elif isinstance(child, ast.String) and child.sval:
                    names.add(str(child.sval))
    return names


def conflicts(touches: Iterable[Touch],
              mentions: Mentions) -> bool:
    for table, columns in touches:
        if table == _EVERY_TABLE or (table in mentions.tables and (
                columns is None or columns & mentions.columns)):
            return True
    return False


def _table_of(app_label: str, name: str, state: ProjectState
              ) -> Iterator[Touch]:
    model = state.models.get((app_label, name.lower()))
    if model is not None and not _without_table(model.options):
        yield _db_table(app_label, model.name, model.options), None


def _without_table(options: dict[str, Any]) -> bool:
    """A proxy or unmanaged model: Django changes no table for its operations."""
    return options.get("managed", True) is False or bool(options.get("proxy"))


def _db_table(app_label: str, name: str, options: dict[str, Any]) -> str:
    from django.db.backends.utils import truncate_name

    table = options.get("db_table")
    if table:
        return str(table)
    return str(truncate_name(f"{app_label}_{name.lower()}", 63))


def state_column(name: str, state_field: Any) -> str:
    """A state field's column (state fields are not bound to a model: no ``.column``)."""
    if state_field.db_column:
        return str(state_field.db_column)
    return f"{name}_id" if state_field.many_to_one or state_field.one_to_one else name


# -- SeparateDatabaseAndState: hand SQL that does what AddField does -----------------------


def _adds_described_columns(operation: Any, app_label: str, state: ProjectState,
                            connection: BaseDatabaseWrapper) -> bool:
    """Whether the database operations add exactly the columns the state operations'
    ``AddField``s describe, as ``AddField`` adds them (and nothing else)."""
    added = _added_columns(operation.database_operations)
    if added is None or not operation.state_operations:
        return False
    described: dict[tuple[str, str], str] = {}
    for inner in operation.state_operations:
        if type(inner).__name__ != "AddField":
            return False
        model = state.models.get((app_label, inner.model_name_lower))
        if model is None:
            return False
        column = state_column(inner.name, inner.field)
        plain = _plain_column_type(inner.field, connection)
        if plain is None:
            return False
        described[(_db_table(app_label, model.name, model.options), column)] = plain
    return described == added


def _added_columns(operations: list[Any]) -> dict[tuple[str, str], str] | None:
    """(table, column) -> type of each nullable ``ADD COLUMN`` without default or
    constraint; None when the operations do anything else."""
    added: dict[tuple[str, str], str] = {}
    for operation in operations:
        if type(operation).__name__ != "RunSQL" or operation.state_operations:
            return None
        for text in sql_texts(operation.sql):
            for parsed in iter_statements(text):
                columns = _plain_add_columns(parsed.node)
                if columns is None:
                    return None
                added.update({(table, column): kind for table, column, kind in columns})
    return added


def _plain_add_columns(node: ast.Node | None) -> list[tuple[str, str, str]] | None:
    """(table, column, type) of each nullable ``ADD COLUMN`` of ``node`` without default,
    collation or constraint; None when it does anything else."""
    if (not isinstance(node, ast.AlterTableStmt) or node.relation is None
            or node.relation.schemaname):
        return None
    found = []
    for command in node.cmds or ():
        column = command.def_
        if (command.subtype != AlterTableType.AT_AddColumn
                or not isinstance(column, ast.ColumnDef) or column.typeName is None
                or column.collClause or column.raw_default
                or any(constraint.contype != ConstrType.CONSTR_NULL
                       for constraint in column.constraints or ())):
            return None
        found.append((str(node.relation.relname), str(column.colname),
                      str(RawStream()(column.typeName))))
    return found


def _plain_column_type(state_field: Any, connection: BaseDatabaseWrapper) -> str | None:
    """The type of the column ``AddField`` adds for ``state_field``, when that is all it
    adds (nullable, no default, no index, constraint, comment or collation)."""
    from django.db.models import NOT_PROVIDED

    if (state_field.is_relation or state_field.primary_key or state_field.unique
            or state_field.db_index or not state_field.null
            or state_field.default is not NOT_PROVIDED
            or getattr(state_field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
            or getattr(state_field, "db_comment", None)
            or getattr(state_field, "db_collation", None)):
        return None
    try:
        parameters = state_field.db_parameters(connection)
    except Exception:
        return None  # a custom field that needs its model to say its type: not built past
    if parameters.get("check") or not parameters.get("type"):
        return None
    for parsed in iter_statements(f'ALTER TABLE t ADD COLUMN c {parameters["type"]}'):
        columns = _plain_add_columns(parsed.node)
        return columns[0][2] if columns else None
    return None


# -- running the kept SQL -------------------------------------------------------------------


def run_after_tables(connection: BaseDatabaseWrapper, built: list[BuiltPast],
                     state: ProjectState) -> dict[str, str]:
    """Run each blocker's kept SQL in history order, each in a savepoint; the label and
    error of each one that failed (rolled back)."""
    from django.db import DatabaseError, transaction

    failed: dict[str, str] = {}
    for past in built:
        if not past.operations:
            continue
        try:
            with transaction.atomic(using=connection.alias), \
                    connection.schema_editor(atomic=False) as editor:
                for operation in past.operations:
                    operation.database_forwards(past.app_label, editor, state, state)
        except DatabaseError as error:
            failed[past.label] = first_line(error)
    return failed
