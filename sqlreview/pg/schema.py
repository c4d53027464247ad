"""What the analyzer knows of the database's tables before a statement runs.

The model is learnt from SQL (``CREATE TABLE`` and ``ALTER`` statements earlier
in the same input, or a ``--schema`` file such as ``pg_dump --schema-only``:
``learn.py``), or read from a live catalog (``introspect.py``). Only what changes
a verdict is kept: column types and nullability, constraints, indexes, partitions,
owned sequences, and whether a relation was created by the input under review.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeVar

from pglast import ast

from sqlreview.pg.types import ColumnType


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


def owned_sequence_name(table_key: str, column: str) -> str:
    """The sequence Postgres creates for a serial or identity column."""
    schema, _, table = table_key.rpartition(".")
    return relation_key(schema or None, f"{table}_{column}_seq")
