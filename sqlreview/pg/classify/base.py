"""The vocabulary of classification: actions, their context, and shared helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pglast import ast

from sqlreview.locking import LockMode
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.query_facts import QueryFacts
from sqlreview.pg.schema import ConstraintKind, RelationKind, Schema, key_of, range_var_display


@dataclass
class Session:
    """Settings earlier statements of the input changed, as far as they matter."""

    lock_timeout: bool = False
    statement_timeout: bool = False
    time_zone_is_utc: bool = False
    # CREATE FUNCTION ... LANGUAGE sql AS '...' analyses the body (locking its
    # tables) only while this is on, as it is by default.
    check_function_bodies: bool = True


@dataclass
class Action:
    """One effect of a statement: a knowledge-table row (``kind`` and ``variant``)
    applied to the relations it names in each role."""

    kind: StatementKind
    variant: str = ""
    description: str = ""
    relations: dict[Role, list[str]] = field(default_factory=dict)
    lock_mode: LockMode | None = None  # LOCK TABLE names its own mode
    notes: list[str] = field(default_factory=list)
    column: str | None = None
    creates: list[str] = field(default_factory=list)  # relations the action brings into being
    # CREATE INDEX: an existing index whose leading columns are this one's (it is redundant).
    covered_by: str | None = None
    # ALTER COLUMN TYPE without a rewrite: the CHECK constraints it re-validates.
    rechecked: list[str] = field(default_factory=list)
    # CREATE INDEX: the column its key starts with (None: an expression).
    key_column: str | None = None
    # INSERT, UPDATE, DELETE whose rows come from tables created empty in this input.
    changes_no_row: bool = False

    def add(self, role: Role, *names: str) -> Action:
        bucket = self.relations.setdefault(role, [])
        bucket.extend(name for name in names if name not in bucket)
        return self

    def related(self, role: Role) -> list[str]:
        return self.relations.get(role, [])


@dataclass
class Classified:
    """A statement's label for the report (``ALTER TABLE``) and its actions."""

    kind: str
    actions: list[Action]


@dataclass(frozen=True)
class Context:
    schema: Schema
    session: Session
    pg_version: int
    # The schema is a replay (Django): production may have objects it lacks, so
    # IF EXISTS on one of them is judged as if it existed.
    replayed_schema: bool = False


Classifier = Callable[[Any, Context], Classified]


def single(kind: str, action: Action) -> Classified:
    return Classified(kind, [action])


def display(key: str) -> str:
    """How a relation known only from the schema model is reported. Keys are
    already what the SQL would say (``public`` left out), so this is the key;
    it marks the places where a name comes from the model, not from the SQL."""
    return key





def partitions(context: Context, name: str) -> list[str]:
    return [display(key) for key in context.schema.partitions_of(key_of(name))]


def default_partition(context: Context, parent: str, partition: str | None = None
                      ) -> tuple[list[str], list[str]]:
    """(locked, scanned): the DEFAULT partition of ``parent`` when ``partition``'s
    bound is added or removed. It is read to prove it holds no row of a new bound,
    unless a validated CHECK of its own on the partition key proves it."""
    schema = context.schema
    default = schema.default_partition_of(key_of(parent))
    if default is None or (partition is not None and default == key_of(partition)):
        return [], []
    parent_relation, relation = schema.get(key_of(parent)), schema.get(default)
    key = set(parent_relation.partition_key) if parent_relation is not None else set()
    proven = relation is not None and bool(key) and any(
        c.kind is ConstraintKind.CHECK and c.valid and key <= set(c.columns)
        for c in relation.constraints.values()
    )
    return [display(default)], [] if proven else [display(default)]


def column_sequence(context: Context, table: str, column: str | None) -> list[str]:
    found = context.schema.column(key_of(table), column or "")
    return [found.sequence] if found is not None and found.sequence else []


def owned_sequences(context: Context, table: str) -> list[str]:
    relation = context.schema.get(key_of(table))
    return list(relation.owned_sequences) if relation is not None else []


def referenced_by_column(context: Context, table: str, column: str | None) -> list[str]:
    """Tables the foreign keys on ``column`` point at."""
    key = key_of(table)
    return [
        display(constraint.referenced)
        for constraint in context.schema.constraints_on_column(key, column or "")
        if constraint.kind is ConstraintKind.FOREIGN_KEY and constraint.referenced
        and constraint.referenced != key
    ]


def referencing_column(context: Context, table: str, column: str | None) -> list[str]:
    """Tables whose foreign keys point at ``column``."""
    key = key_of(table)
    return [
        display(other)
        for other, _constraint in context.schema.foreign_keys_to_column(key, column or "")
        if other != key
    ]


def missing(context: Context, name: str) -> bool:
    """``name`` is not in a schema that knows tables: IF EXISTS finds nothing."""
    return bool(context.schema.relations) and context.schema.get(key_of(name)) is None


def replay_lacks(name: str) -> str:
    return (f"the scratch database has no {name}, but production databases upgraded from "
            "older releases may have it, with rows: judged as if it existed")


def no_op(kind: str, description: str) -> Classified:
    return single(kind, Action(StatementKind.NO_OP, description=description,
                                notes=["IF [NOT] EXISTS: nothing to do"]))



def table_of_index(schema: Schema, index: str) -> str | None:
    relation = schema.get(key_of(index))
    return display(relation.table) if relation and relation.table else None


def on_table(kind: StatementKind, relation_attribute: str) -> Classifier:
    def classify_on_table(node: ast.Node, context: Context) -> Classified:
        relation = getattr(node, relation_attribute, None)
        action = Action(kind, description=kind.value)
        if isinstance(relation, ast.RangeVar):
            action.add(Role.TARGET, range_var_display(relation))
        return single(kind.value, action)

    return classify_on_table


def constant(kind: StatementKind, description: str | None = None) -> Classifier:
    def classify_constant(node: ast.Node, context: Context) -> Classified:
        return single(kind.value, Action(kind, description=description or kind.value))

    return classify_constant


def expand_reads(context: Context, names: Iterable[str]) -> list[str]:
    """What reading ``names`` really reads: views' tables and partitions too."""
    expanded: list[str] = []
    for name in names:
        key = key_of(name)
        relation = context.schema.get(key)
        extra = [display(k) for k in context.schema.view_sources(key)] \
            if relation is not None and relation.kind is RelationKind.VIEW else []
        for item in [name, *extra]:
            for candidate in [item, *partitions(context, item)]:
                if candidate not in expanded:
                    expanded.append(candidate)
    return expanded


def expand_views(context: Context, names: Iterable[str]) -> list[str]:
    """``names`` and, for views, the relations they read (the rewriter's view
    expansion: partitions are not opened until planning)."""
    expanded: list[str] = []
    for name in names:
        relation = context.schema.get(key_of(name))
        extra = [display(k) for k in context.schema.view_sources(key_of(name))] \
            if relation is not None and relation.kind is RelationKind.VIEW else []
        for item in [name, *extra]:
            if item not in expanded:
                expanded.append(item)
    return expanded


def read_relations(facts: QueryFacts, exclude: Iterable[str] = ()) -> list[str]:
    excluded = set(exclude)
    return [display(key) for key in facts.relations if display(key) not in excluded]
