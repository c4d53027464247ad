"""What the analyzer knows of the database's tables before a statement runs.

The model is learnt from SQL (``CREATE TABLE`` and ``ALTER`` statements earlier
in the same input, or a ``--schema`` file such as ``pg_dump --schema-only``),
or read from a live catalog (``introspect.py``). Only what changes a verdict is
kept: column types and nullability, constraints, indexes, partitions, owned
sequences, and whether a relation was created by the input under review.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from sqlreview.pg.nodes import string_values, walk
from sqlreview.pg.parse import iter_statements
from sqlreview.pg.types import ColumnType, is_serial


class RelationKind(enum.Enum):
    TABLE = "table"
    PARTITIONED_TABLE = "partitioned table"
    VIEW = "view"
    MATERIALIZED_VIEW = "materialized view"
    SEQUENCE = "sequence"
    INDEX = "index"
    FOREIGN_TABLE = "foreign table"


class ConstraintKind(enum.Enum):
    CHECK = "check"
    UNIQUE = "unique"
    PRIMARY_KEY = "primary key"
    FOREIGN_KEY = "foreign key"
    EXCLUDE = "exclude"
    NOT_NULL = "not null"


@dataclass
class Column:
    name: str
    type: ColumnType | None
    not_null: bool = False
    sequence: str | None = None  # serial or identity: the sequence it owns
    identity: bool = False
    generated: str | None = None  # "stored" or "virtual"


@dataclass
class Constraint:
    name: str
    kind: ConstraintKind
    valid: bool = True
    referenced: str | None = None  # foreign keys: the referenced table's key
    not_null_column: str | None = None  # CHECK (col IS NOT NULL) proves this column
    columns: tuple[str, ...] = ()  # the columns it constrains (CHECK: those it mentions)
    referenced_columns: tuple[str, ...] = ()
    deferred: bool = False  # INITIALLY DEFERRED: checked at COMMIT
    on_delete: str = "a"  # foreign keys: a(no action) r(estrict) c(ascade) n(ull) d(efault)
    on_update: str = "a"  # foreign keys: the same letters


@dataclass
class Relation:
    name: str
    kind: RelationKind
    columns: dict[str, Column] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    table: str | None = None  # indexes: the table's key
    parent: str | None = None  # partitions: the partitioned table's key
    # A partition (PARTITION OF, ATTACH PARTITION), not an inheritance child.
    is_partition: bool = False
    default_partition: bool = False  # the parent's DEFAULT partition
    owned_sequences: list[str] = field(default_factory=list)
    owner: str | None = None  # owned sequences: the table whose column owns it
    sources: list[str] = field(default_factory=list)  # views: the relations they read
    # Views: the columns they read, by source relation (None for a relation: all
    # of them, as with SELECT *). None: not known, so any column may be in use.
    column_uses: dict[str, frozenset[str] | None] | None = None
    index_columns: tuple[str, ...] = ()  # indexes: the indexed columns, in order
    partition_key: tuple[str, ...] = ()  # partitioned tables: the key's columns
    new: bool = False  # created by the input under review: nobody uses it yet
    empty: bool = True  # new relations: False when created from a query's rows

    def clone(self) -> Relation:
        # By hand rather than dataclasses.replace/copy.copy: a review clones
        # every relation once per migration.
        clone = _shallow(self)
        clone.columns = {name: _shallow(column) for name, column in self.columns.items()}
        clone.constraints = {name: _shallow(c) for name, c in self.constraints.items()}
        clone.owned_sequences = list(self.owned_sequences)
        clone.sources = list(self.sources)
        if self.column_uses is not None:
            clone.column_uses = dict(self.column_uses)
        return clone

    @property
    def is_table_like(self) -> bool:
        return self.kind in (
            RelationKind.TABLE,
            RelationKind.PARTITIONED_TABLE,
            RelationKind.FOREIGN_TABLE,
        )


_T = TypeVar("_T")


def _shallow(value: _T) -> _T:
    clone = object.__new__(type(value))
    clone.__dict__.update(value.__dict__)
    return clone


def relation_key(schema: str | None, name: str | None) -> str:
    """How a relation is looked up: unqualified for ``public``."""
    name = name or "?"
    return name if schema in (None, "", "public") else f"{schema}.{name}"


def key_of(name: str) -> str:
    """The key of a relation named as the SQL names it (``public.book`` -> ``book``)."""
    schema, _, relation = name.rpartition(".")
    return relation_key(schema or None, relation)


def range_var_key(node: ast.RangeVar | None) -> str:
    if node is None:
        return "?"
    return relation_key(node.schemaname, node.relname or "?")


def range_var_display(node: ast.RangeVar | None) -> str:
    """How a relation is reported: as the SQL names it."""
    if node is None:
        return "?"
    name = node.relname or "?"
    return f"{node.schemaname}.{name}" if node.schemaname else name


@dataclass
class _Lookups:
    """Reverse maps over the relations, built once per schema change (not per lookup)."""

    children: dict[str, list[str]] = field(default_factory=dict)
    indexes: dict[str, list[str]] = field(default_factory=dict)
    referencing: dict[str, list[tuple[str, Constraint]]] = field(default_factory=dict)
    dependent_views: dict[str, list[str]] = field(default_factory=dict)  # views reading it
    leading_columns: dict[str, set[str]] = field(default_factory=dict)  # of the indexes

    @classmethod
    def build(cls, relations: dict[str, Relation]) -> _Lookups:
        lookups = cls()
        for relation in relations.values():
            lookups.include(relation)
        return lookups

    def include(self, relation: Relation) -> None:
        key = relation.name
        if relation.parent:
            self.children.setdefault(relation.parent, []).append(key)
        if relation.kind is RelationKind.INDEX and relation.table:
            self.indexes.setdefault(relation.table, []).append(key)
            if relation.index_columns:
                self.leading_columns.setdefault(relation.table, set()).add(
                    relation.index_columns[0])
        for constraint in relation.constraints.values():
            if constraint.kind is ConstraintKind.FOREIGN_KEY and constraint.referenced:
                self.referencing.setdefault(constraint.referenced, []).append((key, constraint))
        if relation.kind in (RelationKind.VIEW, RelationKind.MATERIALIZED_VIEW):
            for source in relation.sources:
                self.dependent_views.setdefault(source, []).append(key)


@dataclass
class Schema:
    relations: dict[str, Relation] = field(default_factory=dict)
    _lookups: _Lookups | None = field(default=None, init=False, repr=False, compare=False)

    def changed(self) -> None:
        """Forget the reverse maps; call after changing relations in place."""
        self._lookups = None

    @property
    def lookups(self) -> _Lookups:
        if self._lookups is None:
            self._lookups = _Lookups.build(self.relations)
        return self._lookups

    @classmethod
    def from_sql(cls, sql: str) -> Schema:
        """Learn from every DDL statement of ``sql``; DML and errors are ignored."""
        schema = cls()
        for statement in iter_statements(sql):
            if statement.node is not None:
                schema.learn(statement.node, mark_new=False)
        return schema

    def copy(self) -> Schema:
        # Structural, not deepcopy: columns and constraints hold only immutable
        # values, and a review copies the schema once per migration.
        return Schema(relations={key: relation.clone() for key, relation in self.relations.items()})

    def get(self, key: str) -> Relation | None:
        return self.relations.get(key)

    def is_new(self, key: str) -> bool:
        relation = self.relations.get(key)
        return relation is not None and relation.new

    def forget_emptiness(self) -> None:
        """Code sqlreview cannot see ran: any table it created may hold rows now."""
        for relation in self.relations.values():
            relation.empty = False

    def is_known_empty(self, key: str) -> bool:
        """Created by the input under review and given no row since."""
        relation = self.relations.get(key)
        return relation is not None and relation.new and relation.empty

    def column(self, table: str, column: str) -> Column | None:
        relation = self.relations.get(table)
        return relation.columns.get(column) if relation else None

    def find_constraint(self, table: str, name: str) -> Constraint | None:
        relation = self.relations.get(table)
        return relation.constraints.get(name) if relation else None

    def foreign_keys_of(self, table: str) -> list[Constraint]:
        relation = self.relations.get(table)
        if relation is None:
            return []
        return [c for c in relation.constraints.values() if c.kind is ConstraintKind.FOREIGN_KEY]

    def referencing(self, table: str) -> list[tuple[str, Constraint]]:
        """(table, constraint) of every foreign key that points at ``table``."""
        return list(self.lookups.referencing.get(table, ()))

    def partitions_of(self, table: str) -> list[str]:
        """Every partition below ``table``, at any depth."""
        found: list[str] = []
        pending = [table]
        while pending:
            children = self.lookups.children.get(pending.pop(), [])
            found.extend(children)
            pending.extend(children)
        return found

    def default_partition_of(self, table: str) -> str | None:
        """The DEFAULT partition directly below ``table``, if it has one."""
        for child in self.lookups.children.get(table, ()):
            relation = self.relations.get(child)
            if relation is not None and relation.default_partition:
                return child
        return None

    def dependent_views(self, key: str) -> list[str]:
        """Views and materialized views that read ``key``, through views on views:
        what DROP ... CASCADE drops along with it."""
        found: list[str] = []
        pending = [key]
        while pending:
            for view in self.lookups.dependent_views.get(pending.pop(0), ()):
                if view not in found and view != key:
                    found.append(view)
                    pending.append(view)
        return found

    def views_using_column(self, table: str, column: str) -> list[str]:
        """Views that read ``column`` of ``table``, and the views on them: what
        DROP COLUMN ... CASCADE drops along with the column."""
        found: list[str] = []
        for view in self.lookups.dependent_views.get(table, ()):
            relation = self.relations.get(view)
            if relation is None or view in found:
                continue
            uses = relation.column_uses
            used = uses.get(table, frozenset()) if uses is not None else None
            if used is None or column in used:
                found.append(view)
                found.extend(v for v in self.dependent_views(view) if v not in found)
        return found

    def has_storage(self, key: str) -> bool:
        relation = self.relations.get(key)
        return relation is None or relation.kind not in (
            RelationKind.PARTITIONED_TABLE,
            RelationKind.VIEW,
        )

    def referencing_closure(self, table: str) -> list[str]:
        """Tables whose foreign keys lead to ``table``, directly or through others."""
        found: list[str] = []
        pending = [table]
        while pending:
            current = pending.pop()
            for key, _constraint in self.referencing(current):
                if key not in found and key != table:
                    found.append(key)
                    pending.append(key)
        return found

    def indexed_leading_columns(self, table: str) -> set[str]:
        """Columns an index (or a PK/UNIQUE constraint) starts with: lookups by them are cheap."""
        return set(self.lookups.leading_columns.get(table, ()))

    def view_sources(self, key: str) -> list[str]:
        """The tables a view reads, through views on views."""
        found: list[str] = []
        pending = list(self.relations[key].sources) if key in self.relations else []
        while pending:
            current = pending.pop(0)
            if current in found:
                continue
            found.append(current)
            relation = self.relations.get(current)
            if relation is not None and relation.kind is RelationKind.VIEW:
                pending.extend(relation.sources)
        return found

    def constraints_on_column(self, table: str, column: str) -> list[Constraint]:
        relation = self.relations.get(table)
        if relation is None:
            return []
        return [c for c in relation.constraints.values() if column in c.columns]

    def foreign_keys_to_column(self, table: str, column: str) -> list[tuple[str, Constraint]]:
        return [
            (key, constraint)
            for key, constraint in self.referencing(table)
            if column in constraint.referenced_columns or not constraint.referenced_columns
        ]

    def indexes_of(self, table: str) -> list[str]:
        return list(self.lookups.indexes.get(table, ()))

    def add(self, relation: Relation) -> None:
        replaced = relation.name in self.relations
        self.relations[relation.name] = relation
        if replaced or self._lookups is None:
            self.changed()
        else:
            self._lookups.include(relation)

    def drop(self, key: str) -> None:
        relation = self.relations.pop(key, None)
        self.changed()
        if relation is None:
            return
        for dependent in self.indexes_of(key) + relation.owned_sequences:
            self.relations.pop(dependent, None)

    def learn(self, node: ast.Node, *, mark_new: bool = True) -> None:
        """Apply the effect of one statement to the model."""
        learner: Learner | None = _LEARNERS.get(type(node))
        if learner is not None:
            learner(self, node, mark_new)


# --- learning from statements -------------------------------------------------


def _learn_create_table(schema: Schema, node: ast.CreateStmt, mark_new: bool) -> None:
    key = range_var_key(node.relation)
    kind = RelationKind.PARTITIONED_TABLE if node.partspec else RelationKind.TABLE
    relation = Relation(name=key, kind=kind, new=mark_new)
    if node.partspec is not None:
        relation.partition_key = tuple(
            name
            for element in node.partspec.partParams or ()
            if isinstance(element, ast.PartitionElem)
            for name in ([element.name] if element.name else _mentioned_columns(element.expr))
        )
    if node.inhRelations:  # PARTITION OF, or INHERITS: statements on the parent recurse
        parent = node.inhRelations[0]
        if isinstance(parent, ast.RangeVar):
            relation.parent = range_var_key(parent)
            relation.is_partition = node.partbound is not None
            relation.default_partition = bool(node.partbound is not None
                                              and node.partbound.is_default)
            parent_relation = schema.get(relation.parent)
            if parent_relation is not None:
                relation.columns = copy.deepcopy(parent_relation.columns)
    schema.add(relation)
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            _add_column(schema, relation, element)
        elif isinstance(element, ast.Constraint):
            _add_constraint(schema, relation, element)


def _add_column(schema: Schema, relation: Relation, column: ast.ColumnDef) -> None:
    column_type = ColumnType.from_node(column.typeName) if column.typeName else None
    name = column.colname or ""
    not_null = bool(column.is_not_null)
    owns_sequence = column.typeName is not None and is_serial(column.typeName)
    generated = None
    for constraint in column.constraints or ():
        if not isinstance(constraint, ast.Constraint):
            continue
        if constraint.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY):
            not_null = True
        if constraint.contype == ConstrType.CONSTR_IDENTITY:
            owns_sequence = not_null = True
        if constraint.contype == ConstrType.CONSTR_GENERATED:
            generated = "virtual" if constraint.generated_kind == "v" else "stored"
        if constraint.contype != ConstrType.CONSTR_NOTNULL:  # kept on the column itself
            _add_constraint(schema, relation, constraint, column=name)
    sequence = None
    if owns_sequence:
        not_null = True
        sequence = add_owned_sequence(schema, relation, name)
    identity = any(isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_IDENTITY
                   for c in column.constraints or ())
    relation.columns[name] = Column(name=name, type=column_type, not_null=not_null,
                                    sequence=sequence, generated=generated, identity=identity)


def add_owned_sequence(schema: Schema, relation: Relation, column: str) -> str:
    sequence = owned_sequence_name(relation.name, column)
    schema.add(Relation(name=sequence, kind=RelationKind.SEQUENCE, new=relation.new,
                        owner=relation.name))
    relation.owned_sequences.append(sequence)
    return sequence


def owned_sequence_name(table_key: str, column: str) -> str:
    """The sequence Postgres creates for a serial or identity column."""
    schema, _, table = table_key.rpartition(".")
    return relation_key(schema or None, f"{table}_{column}_seq")


def _add_constraint(
    schema: Schema, relation: Relation, node: ast.Constraint, column: str | None = None
) -> None:
    kind = _CONSTRAINT_KINDS.get(node.contype) if node.contype is not None else None
    if kind is None:
        return
    table = relation.name.split(".")[-1]
    keys = node.fk_attrs if kind is ConstraintKind.FOREIGN_KEY else node.keys
    columns = [column] if column else [_name(k) for k in keys or ()]
    name = node.conname or _default_constraint_name(table, columns, kind)
    referenced = range_var_key(node.pktable) if node.pktable is not None else None
    if kind is ConstraintKind.CHECK and not column:
        columns = _mentioned_columns(node.raw_expr)
    if kind is ConstraintKind.FOREIGN_KEY:
        schema.changed()
    relation.constraints[name] = Constraint(
        name=name,
        kind=kind,
        valid=not node.skip_validation,
        referenced=referenced,
        not_null_column=_not_null_check_column(node) if kind is ConstraintKind.CHECK else None,
        columns=tuple(columns),
        referenced_columns=tuple(_name(k) for k in node.pk_attrs or ()),
        deferred=bool(node.initdeferred),
        on_delete=node.fk_del_action if node.fk_del_action not in (None, "", "\x00") else "a",
        on_update=node.fk_upd_action if node.fk_upd_action not in (None, "", "\x00") else "a",
    )
    if kind is ConstraintKind.PRIMARY_KEY or (
        kind is ConstraintKind.NOT_NULL and not node.skip_validation
    ):
        for key in columns:
            if key in relation.columns:
                relation.columns[key].not_null = True
    if kind in (ConstraintKind.UNIQUE, ConstraintKind.PRIMARY_KEY, ConstraintKind.EXCLUDE):
        index = node.indexname or name
        schema.add(
            Relation(name=relation_key(None, index) if "." not in relation.name
                     else f"{relation.name.split('.')[0]}.{index}",
                     kind=RelationKind.INDEX, table=relation.name, new=relation.new,
                     index_columns=tuple(columns))
        )


_CONSTRAINT_KINDS = {
    ConstrType.CONSTR_CHECK: ConstraintKind.CHECK,
    ConstrType.CONSTR_UNIQUE: ConstraintKind.UNIQUE,
    ConstrType.CONSTR_PRIMARY: ConstraintKind.PRIMARY_KEY,
    ConstrType.CONSTR_FOREIGN: ConstraintKind.FOREIGN_KEY,
    ConstrType.CONSTR_EXCLUSION: ConstraintKind.EXCLUDE,
    ConstrType.CONSTR_NOTNULL: ConstraintKind.NOT_NULL,  # table-level, PostgreSQL 18
}

_DEFAULT_SUFFIX = {
    ConstraintKind.CHECK: "check",
    ConstraintKind.UNIQUE: "key",
    ConstraintKind.FOREIGN_KEY: "fkey",
    ConstraintKind.EXCLUDE: "excl",
    ConstraintKind.NOT_NULL: "not_null",
}


def _default_constraint_name(table: str, columns: list[str], kind: ConstraintKind) -> str:
    """The name Postgres gives an unnamed constraint (close enough to look up)."""
    if kind is ConstraintKind.PRIMARY_KEY:
        return f"{table}_pkey"
    middle = "_".join([table, *columns[:1]]) if columns else table
    return f"{middle}_{_DEFAULT_SUFFIX[kind]}"


def _not_null_check_column(node: ast.Constraint) -> str | None:
    """The column of a ``CHECK (col IS NOT NULL)``, which proves NOT NULL (PG 12+)."""
    expression = node.raw_expr
    if (
        isinstance(expression, ast.NullTest)
        and expression.nulltesttype == 1  # IS_NOT_NULL
        and isinstance(expression.arg, ast.ColumnRef)
    ):
        fields = expression.arg.fields or ()
        if fields and isinstance(fields[-1], ast.String):
            return str(fields[-1].sval)
    return None


def _mentioned_columns(expression: ast.Node | None) -> list[str]:
    names: list[str] = []
    for node in walk(expression) if expression is not None else ():
        fields = node.fields or () if isinstance(node, ast.ColumnRef) else ()
        if fields and isinstance(fields[-1], ast.String) and fields[-1].sval not in names:
            names.append(str(fields[-1].sval))
    return names


def _name(node: ast.Node) -> str:
    return str(node.sval) if isinstance(node, ast.String) else str(node)


def _learn_alter_table(schema: Schema, node: ast.AlterTableStmt, mark_new: bool) -> None:
    relation = schema.get(range_var_key(node.relation))
    if relation is None:
        return
    for command in node.cmds or ():
        if isinstance(command, ast.AlterTableCmd):
            _learn_alter_command(schema, relation, command)


def _learn_alter_command(schema: Schema, relation: Relation, cmd: ast.AlterTableCmd) -> None:
    subtype = cmd.subtype
    if subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        _add_column(schema, relation, cmd.def_)
    elif subtype == AlterTableType.AT_DropColumn:
        if cmd.behavior == 1:  # CASCADE: the views reading it are dropped
            for view in schema.views_using_column(relation.name, cmd.name or ""):
                schema.drop(view)
        relation.columns.pop(cmd.name or "", None)
    elif subtype == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
        column = relation.columns.get(cmd.name or "")
        if column is not None and cmd.def_.typeName is not None:
            column.type = ColumnType.from_node(cmd.def_.typeName)
    elif subtype == AlterTableType.AT_SetNotNull:
        _set_not_null(relation, cmd.name, True)
    elif subtype == AlterTableType.AT_DropNotNull:
        _set_not_null(relation, cmd.name, False)
    elif subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        _add_constraint(schema, relation, cmd.def_)
    elif subtype == AlterTableType.AT_DropConstraint:
        relation.constraints.pop(cmd.name or "", None)
        schema.changed()
    elif subtype == AlterTableType.AT_AddIdentity:
        column = relation.columns.get(cmd.name or "")
        if column is not None:
            column.sequence = add_owned_sequence(schema, relation, column.name)
            column.identity = True
    elif subtype == AlterTableType.AT_DropIdentity:
        column = relation.columns.get(cmd.name or "")
        if column is not None and column.sequence:
            schema.drop(column.sequence)
            relation.owned_sequences = [s for s in relation.owned_sequences
                                        if s != column.sequence]
            column.sequence = None
            column.identity = False
    elif subtype == AlterTableType.AT_ValidateConstraint:
        constraint = relation.constraints.get(cmd.name or "")
        if constraint is not None:
            constraint.valid = True
            if constraint.kind is ConstraintKind.NOT_NULL:
                _set_not_null(relation, constraint.columns[0] if constraint.columns else None,
                              True)
    elif subtype == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        partition = schema.get(range_var_key(cmd.def_.name))
        if partition is not None:
            partition.parent = relation.name
            partition.is_partition = True
            bound = cmd.def_.bound
            partition.default_partition = bool(bound is not None and bound.is_default)
            schema.changed()
    elif subtype == AlterTableType.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        partition = schema.get(range_var_key(cmd.def_.name))
        if partition is not None:
            partition.parent = None
            partition.is_partition = partition.default_partition = False
            schema.changed()


def _set_not_null(relation: Relation, column_name: str | None, value: bool) -> None:
    column = relation.columns.get(column_name or "")
    if column is not None:
        column.not_null = value


def _learn_index(schema: Schema, node: ast.IndexStmt, mark_new: bool) -> None:
    if not node.idxname:
        return
    table = range_var_key(node.relation)
    key = relation_key(node.relation.schemaname if node.relation else None, node.idxname)
    columns = tuple(
        name
        for element in node.indexParams or ()
        if isinstance(element, ast.IndexElem)
        for name in ([element.name] if element.name else _mentioned_columns(element.expr))
    )
    schema.add(Relation(name=key, kind=RelationKind.INDEX, table=table, new=mark_new,
                        index_columns=columns))


_DROPS_WITH_DEPENDENTS = frozenset({
    ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_FOREIGN_TABLE,
})


def _learn_drop(schema: Schema, node: ast.DropStmt, mark_new: bool) -> None:
    for target in node.objects or ():
        names = [_name(part) for part in target] if isinstance(target, tuple) else []
        if not names:
            continue
        key = relation_key(names[0] if len(names) > 1 else None, names[-1])
        gone = [key]
        if node.removeType in _DROPS_WITH_DEPENDENTS:
            # Partitions go with their table; CASCADE takes the views on them.
            gone += schema.partitions_of(key)
            if node.behavior == 1:
                gone += [view for each in list(gone) for view in schema.dependent_views(each)]
        for each in dict.fromkeys(gone):
            schema.drop(each)


def _learn_rename(schema: Schema, node: ast.RenameStmt, mark_new: bool) -> None:
    if node.relation is None or not node.newname:
        return
    key = range_var_key(node.relation)
    relation = schema.get(key)
    if relation is None:
        return
    if node.renameType == ObjectType.OBJECT_COLUMN and node.subname in relation.columns:
        column = relation.columns.pop(node.subname)
        column.name = node.newname
        relation.columns[node.newname] = column
    elif node.renameType == ObjectType.OBJECT_TABCONSTRAINT and node.subname:
        constraint = relation.constraints.pop(node.subname, None)
        if constraint is not None:
            constraint.name = node.newname
            relation.constraints[node.newname] = constraint
    elif node.renameType in _RELATION_OBJECT_TYPES:
        _rename_relation(schema, key, relation_key(node.relation.schemaname, node.newname))


_RELATION_OBJECT_TYPES = frozenset(
    {
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_INDEX,
        ObjectType.OBJECT_VIEW,
        ObjectType.OBJECT_MATVIEW,
        ObjectType.OBJECT_SEQUENCE,
        ObjectType.OBJECT_FOREIGN_TABLE,
    }
)


def _rename_relation(schema: Schema, old: str, new: str) -> None:
    schema.changed()
    relation = schema.relations.pop(old)
    relation.name = new
    schema.relations[new] = relation
    for other in schema.relations.values():
        if other.table == old:
            other.table = new
        if other.parent == old:
            other.parent = new
        for constraint in other.constraints.values():
            if constraint.referenced == old:
                constraint.referenced = new


def _learn_view(schema: Schema, node: ast.ViewStmt, mark_new: bool) -> None:
    key = range_var_key(node.view)
    if key not in schema.relations:
        schema.add(Relation(name=key, kind=RelationKind.VIEW, new=mark_new,
                            sources=query_relations(node.query),
                            column_uses=column_uses(node.query)))


def _learn_create_table_as(schema: Schema, node: ast.CreateTableAsStmt, mark_new: bool) -> None:
    if node.into is None or node.into.rel is None:
        return
    kind = (
        RelationKind.MATERIALIZED_VIEW
        if node.objtype == ObjectType.OBJECT_MATVIEW
        else RelationKind.TABLE
    )
    schema.add(Relation(name=range_var_key(node.into.rel), kind=kind, new=mark_new,
                        sources=query_relations(node.query), empty=bool(node.into.skipData),
                        column_uses=column_uses(node.query)))


def _learn_select_into(schema: Schema, node: ast.SelectStmt, mark_new: bool) -> None:
    if node.intoClause is None or node.intoClause.rel is None:
        return
    schema.add(Relation(name=range_var_key(node.intoClause.rel), kind=RelationKind.TABLE,
                        new=mark_new, empty=False))


def _learn_sequence(schema: Schema, node: ast.CreateSeqStmt, mark_new: bool) -> None:
    schema.add(
        Relation(name=range_var_key(node.sequence), kind=RelationKind.SEQUENCE, new=mark_new)
    )


@dataclass(frozen=True)
class QueryFacts:
    """What one walk over a query finds: the relations it reads (keys, CTEs left
    out) and the sequences it advances with ``nextval``/``setval``."""

    relations: tuple[str, ...]
    sequences: tuple[str, ...]


_last_walk: tuple[ast.Node | None, QueryFacts] | None = None


def query_facts(node: ast.Node | None) -> QueryFacts:
    """One walk per statement, however many questions the classifier asks of it
    (a multi-row INSERT's VALUES can be megabytes of constants)."""
    global _last_walk
    if _last_walk is not None and _last_walk[0] is node:
        return _last_walk[1]
    found: list[ast.RangeVar] = []
    ctes: set[str] = set()
    sequences: list[str] = []
    # Constants hold no relation: a multi-row VALUES is not walked into.
    for child in walk(node, skip=(ast.A_Const,)) if node is not None else ():
        if isinstance(child, ast.RangeVar):
            found.append(child)
        elif isinstance(child, ast.CommonTableExpr) and child.ctename:
            ctes.add(child.ctename)
        elif isinstance(child, ast.FuncCall):
            sequences.extend(_advanced_sequence(child))
    relations: dict[str, None] = {}
    for range_var in found:
        if range_var.schemaname is None and range_var.relname in ctes:
            continue
        relations.setdefault(range_var_key(range_var))
    facts = QueryFacts(tuple(relations), tuple(sequences))
    _last_walk = (node, facts)
    return facts


def column_uses(query: ast.Node | None) -> dict[str, frozenset[str] | None]:
    """The columns a view's query reads, by relation. ``alias.column`` belongs to
    the relation of that alias; an unqualified column is counted for every
    relation of the query (the model does not know which one has it), and a
    star for all columns."""
    aliases: dict[str, str] = {}
    for child in walk(query) if query is not None else ():
        if isinstance(child, ast.RangeVar):
            key = range_var_key(child)
            aliases[child.alias.aliasname if child.alias and child.alias.aliasname
                    else child.relname or key] = key
    uses: dict[str, set[str] | None] = {key: set() for key in query_relations(query)}
    for child in walk(query) if query is not None else ():
        if not isinstance(child, ast.ColumnRef):
            continue
        fields = child.fields or ()
        qualifier = fields[-2] if len(fields) >= 2 else None
        tables = ([aliases[qualifier.sval]] if isinstance(qualifier, ast.String)
                  and qualifier.sval in aliases else list(uses))
        last = fields[-1] if fields else None
        for table in tables:
            if table not in uses:
                continue
            current = uses[table]
            if isinstance(last, ast.A_Star):
                uses[table] = None
            elif current is not None and isinstance(last, ast.String):
                current.add(str(last.sval))
    return {key: frozenset(value) if value is not None else None for key, value in uses.items()}


def query_relations(node: ast.Node | None) -> list[str]:
    """The relations a query reads, as keys, CTE names left out."""
    return list(query_facts(node).relations)


def _advanced_sequence(node: ast.FuncCall) -> list[str]:
    """The sequence a ``nextval('name')`` or ``setval('name', ...)`` names."""
    name = string_values(node.funcname)
    argument = node.args[0] if node.args else None
    if isinstance(argument, ast.TypeCast):
        argument = argument.arg
    if name and name[-1] in ("nextval", "setval") and isinstance(argument, ast.A_Const) \
            and isinstance(argument.val, ast.String) and argument.val.sval:
        return [str(argument.val.sval)]
    return []


def _learn_alter_sequence(schema: Schema, node: ast.AlterSeqStmt, mark_new: bool) -> None:
    sequence = schema.get(range_var_key(node.sequence))
    for option in node.options or ():
        if isinstance(option, ast.DefElem) and option.defname == "owned_by" and sequence:
            parts = [_name(p) for p in option.arg or ()] if isinstance(option.arg, tuple) else []
            if len(parts) >= 2:
                owner = relation_key(parts[-3] if len(parts) > 2 else None, parts[-2])
                sequence.owner = owner
                table = schema.get(owner)
                column = table.columns.get(parts[-1]) if table else None
                if table is not None and sequence.name not in table.owned_sequences:
                    table.owned_sequences.append(sequence.name)
                if column is not None:
                    column.sequence = sequence.name


def _learn_rows_added(schema: Schema, node: ast.InsertStmt | ast.CopyStmt, mark_new: bool
                      ) -> None:
    """A new table that receives rows is no longer empty."""
    if isinstance(node, ast.CopyStmt) and not node.is_from:
        return
    if node.relation is None:
        return
    relation = schema.get(range_var_key(node.relation))
    if relation is not None and relation.new:
        relation.empty = False


Learner = Callable[[Schema, Any, bool], None]

_LEARNERS: dict[type[ast.Node], Learner] = {
    ast.CreateStmt: _learn_create_table,
    ast.AlterTableStmt: _learn_alter_table,
    ast.IndexStmt: _learn_index,
    ast.DropStmt: _learn_drop,
    ast.RenameStmt: _learn_rename,
    ast.ViewStmt: _learn_view,
    ast.CreateTableAsStmt: _learn_create_table_as,
    ast.CreateSeqStmt: _learn_sequence,
    ast.AlterSeqStmt: _learn_alter_sequence,
    ast.SelectStmt: _learn_select_into,
    ast.InsertStmt: _learn_rows_added,
    ast.CopyStmt: _learn_rows_added,
}
