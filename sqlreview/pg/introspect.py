"""Read the schema model from a live PostgreSQL catalog.

Used on the scratch database (never on a user's database, which sqlreview does
not write to; reading its catalog in live mode is harmless) so that each
migration is judged against the exact tables it will meet. It takes any DB-API
cursor, so Django's connection and psycopg's work alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlreview.pg.learn import learn
from sqlreview.pg.parse import parse_statements
from sqlreview.pg.schema import (
    Column,
    Constraint,
    ConstraintKind,
    Relation,
    RelationKind,
    Schema,
    relation_key,
)
from sqlreview.pg.types import ColumnType


class Cursor(Protocol):
    def execute(self, query: Any, params: Any = ...) -> Any: ...

    def fetchall(self) -> Sequence[Sequence[Any]]: ...


_USER_NAMESPACES = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg_temp_%%' AND n.nspname NOT LIKE 'pg_toast_temp_%%'
"""
# ('%%' reads as '%' in queries sent with parameters, and as two wildcards,
# which match the same, in those sent without.)

_COLUMNS = f"""
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       a.attidentity, a.attgenerated
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND {_USER_NAMESPACES} AND a.attrelid = ANY(%(oids)s)
ORDER BY a.attrelid, a.attnum
"""

# Sequences owned by a column: serial (dependency 'a') or identity ('i').
_OWNED_SEQUENCES = f"""
SELECT d.objid, d.refobjid, a.attname
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i') AND {_USER_NAMESPACES}
  AND (d.objid = ANY(%(oids)s) OR d.refobjid = ANY(%(oids)s))
"""

_CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype, con.convalidated, con.confrelid,
       con.condeferred, con.confdeltype, con.confupdtype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) k
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) k
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k),
       pg_get_constraintdef(con.oid)
FROM pg_constraint con
WHERE con.conrelid <> 0 AND con.conrelid = ANY(%(oids)s)
"""

_INDEXES = """
SELECT i.indexrelid, i.indrelid,
       ARRAY(SELECT a.attname FROM unnest(i.indkey) k
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k),
       i.indexprs IS NOT NULL, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indexrelid = ANY(%(oids)s)
"""

_PARTITIONS = """
SELECT i.inhrelid, i.inhparent, c.relispartition,
       coalesce(p.partdefid = i.inhrelid, false)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
LEFT JOIN pg_partitioned_table p ON p.partrelid = i.inhparent
WHERE i.inhrelid = ANY(%(oids)s)
"""

_PARTITION_KEYS = """
SELECT p.partrelid, ARRAY(SELECT a.attname FROM unnest(p.partattrs) k
                          JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k)
FROM pg_partitioned_table p
WHERE p.partrelid = ANY(%(oids)s)
"""

_VIEW_SOURCES = """
SELECT DISTINCT r.ev_class, d.refobjid
FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
  AND r.ev_class = ANY(%(oids)s)
"""

_VIEW_COLUMNS = """
SELECT DISTINCT r.ev_class, d.refobjid, a.attname
FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class AND d.refobjsubid > 0
  AND r.ev_class = ANY(%(oids)s)
"""

_KINDS = {
    "r": RelationKind.TABLE,
    "p": RelationKind.PARTITIONED_TABLE,
    "v": RelationKind.VIEW,
    "m": RelationKind.MATERIALIZED_VIEW,
    "S": RelationKind.SEQUENCE,
    "i": RelationKind.INDEX,
    "I": RelationKind.INDEX,
    "f": RelationKind.FOREIGN_TABLE,
}

_CONSTRAINT_KINDS = {
    "c": ConstraintKind.CHECK,
    "u": ConstraintKind.UNIQUE,
    "p": ConstraintKind.PRIMARY_KEY,
    "f": ConstraintKind.FOREIGN_KEY,
    "x": ConstraintKind.EXCLUDE,
    # "n" (PostgreSQL 18's catalogued NOT NULL) is kept on the column instead.
}


def schema_from_cursor(cursor: Cursor) -> Schema:
    """The schema model of every user relation in the connected database."""
    return CatalogReader().read(cursor)


# Per user relation, what changes whenever DDL touches it: the xmin (the
# transaction that last wrote it) and count of its catalog rows. A row written
# by a later statement has a newer xmin; a row deleted changes the count.
_SIGNATURES = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, concat_ws(':',
  c.xmin::text,
  (SELECT max(a.xmin::text::bigint) || '/' || count(*) FROM pg_attribute a
   WHERE a.attrelid = c.oid),
  (SELECT max(con.xmin::text::bigint) || '/' || count(*) FROM pg_constraint con
   WHERE con.conrelid = c.oid),
  (SELECT max(i.xmin::text::bigint) || '/' || count(*) FROM pg_index i WHERE i.indrelid = c.oid),
  (SELECT max(i.xmin::text::bigint) FROM pg_index i WHERE i.indexrelid = c.oid),
  (SELECT max(h.xmin::text::bigint) || '/' || count(*) FROM pg_inherits h
   WHERE h.inhrelid = c.oid),
  (SELECT max(p.xmin::text::bigint) FROM pg_partitioned_table p WHERE p.partrelid = c.oid),
  (SELECT max(r.xmin::text::bigint) || '/' || count(*) FROM pg_rewrite r
   WHERE r.ev_class = c.oid),
  (SELECT max(d.xmin::text::bigint) || '/' || count(*) FROM pg_depend d
   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'i', 'I', 'f') AND {_USER_NAMESPACES}
"""

# What must be read again with a relation that changed: tables whose foreign
# keys point at it, its indexes, its partitions, views reading it, its
# sequences (their keys name it).
_DEPENDENTS = """
SELECT conrelid FROM pg_constraint WHERE confrelid = ANY(%(oids)s) AND conrelid <> 0
UNION SELECT indexrelid FROM pg_index WHERE indrelid = ANY(%(oids)s)
UNION SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY(%(oids)s)
UNION SELECT r.ev_class FROM pg_rewrite r
      JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY(%(oids)s)
UNION SELECT d.objid FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
        AND d.refobjid = ANY(%(oids)s) AND d.deptype IN ('a', 'i')
"""


class CatalogReader:
    """Reads the catalog once, then again only the relations that changed since.

    Replay reads the scratch catalog before every reviewed migration; a
    migration touches a few tables of hundreds, so :meth:`read` compares a
    cheap signature per relation (see ``_SIGNATURES``) and reads the changed
    ones, and those that name them, again. The result is the same as a full
    read (the tests compare both).
    """

    def __init__(self) -> None:
        self.schema: Schema | None = None
        self._signatures: dict[int, str] = {}
        self._keys: dict[int, str] = {}

    def read(self, cursor: Cursor) -> Schema:
        rows = _rows(cursor, _SIGNATURES)
        keys = {oid: relation_key(namespace, name) for oid, namespace, name, _kind, _sig in rows}
        signatures = {row[0]: row[4] for row in rows}
        kinds = {row[0]: row[3] for row in rows}
        if self.schema is None:
            changed = set(keys)
        else:
            changed = {oid for oid, signature in signatures.items()
                       if self._signatures.get(oid) != signature}
            if changed:
                changed |= {row[0] for row in _rows(cursor, _DEPENDENTS, sorted(changed))
                            if row[0] in keys}
        gone = set(self._signatures) - set(signatures)
        if self.schema is not None and not changed and not gone:
            return self.schema
        # A new Schema each time: callers keep earlier ones (the schema before
        # each migration); unchanged relations are shared, never written to.
        schema = Schema(relations=dict(self.schema.relations)) if self.schema else Schema()
        for oid in changed | gone:
            old_key = self._keys.get(oid)
            if old_key is not None:
                schema.relations.pop(old_key, None)
        for oid in changed:
            schema.add(Relation(name=keys[oid], kind=_KINDS[kinds[oid]]))
        _load(cursor, schema, keys, sorted(changed))
        schema.changed()
        self.schema, self._signatures, self._keys = schema, signatures, keys
        return schema


def _load(cursor: Cursor, schema: Schema, keys: dict[int, str], oids: list[int]) -> None:
    """Columns, sequences, constraints, indexes, partitions, views of the relations ``oids``."""
    _load_columns(cursor, schema, keys, oids)
    _load_owned_sequences(cursor, schema, keys, oids)
    _load_constraints(cursor, schema, keys, oids)
    _load_indexes(cursor, schema, keys, oids)
    for child, parent, is_partition, is_default in _rows(cursor, _PARTITIONS, oids):
        if child in keys and parent in keys:
            relation = schema.relations[keys[child]]
            relation.parent = keys[parent]
            relation.is_partition = bool(is_partition)
            relation.default_partition = bool(is_default)
    for table, columns in _rows(cursor, _PARTITION_KEYS, oids):
        if table in keys:
            schema.relations[keys[table]].partition_key = tuple(columns or ())
    for view, source in _rows(cursor, _VIEW_SOURCES, oids):
        if view in keys and source in keys:
            relation = schema.relations[keys[view]]
            relation.sources.append(keys[source])
            if relation.column_uses is None:
                relation.column_uses = {}
            relation.column_uses.setdefault(keys[source], frozenset())
    for view, source, column in _rows(cursor, _VIEW_COLUMNS, oids):
        if view in keys and source in keys:
            uses = schema.relations[keys[view]].column_uses
            if uses is not None:
                uses[keys[source]] = (uses.get(keys[source]) or frozenset()) | {column}


def _rows(cursor: Cursor, query: str, oids: list[int] | None = None) -> Sequence[Sequence[Any]]:
    if oids is None:
        cursor.execute(query)
    else:
        cursor.execute(query, {"oids": oids})
    return cursor.fetchall()


def _load_columns(cursor: Cursor, schema: Schema, keys: dict[int, str], oids: list[int]
                  ) -> None:
    for oid, name, type_text, not_null, identity, generated in _rows(cursor, _COLUMNS, oids):
        if oid not in keys:
            continue
        schema.relations[keys[oid]].columns[name] = Column(
            name=name,
            type=ColumnType.from_sql(type_text),
            not_null=bool(not_null),
            identity=bool(identity and identity != "\x00"),
            generated={"s": "stored", "v": "virtual"}.get(generated or ""),
        )


def _load_owned_sequences(cursor: Cursor, schema: Schema, keys: dict[int, str],
                          oids: list[int]) -> None:
    for sequence_oid, table_oid, column_name in _rows(cursor, _OWNED_SEQUENCES, oids):
        if sequence_oid not in keys or table_oid not in keys:
            continue
        sequence, table = keys[sequence_oid], keys[table_oid]
        schema.relations[sequence].owner = table
        relation = schema.relations[table]
        if sequence not in relation.owned_sequences:
            relation.owned_sequences.append(sequence)
        if column_name in relation.columns:
            relation.columns[column_name].sequence = sequence


def _load_constraints(cursor: Cursor, schema: Schema, keys: dict[int, str], oids: list[int]
                      ) -> None:
    for row in _rows(cursor, _CONSTRAINTS, oids):
        (table_oid, name, kind, validated, referenced_oid, deferred, on_delete, on_update,
         columns, referenced_columns, definition) = row
        constraint_kind = _CONSTRAINT_KINDS.get(kind)
        if table_oid not in keys or constraint_kind is None:
            continue
        column_names = tuple(columns or ())
        schema.relations[keys[table_oid]].constraints[name] = Constraint(
            name=name,
            kind=constraint_kind,
            valid=bool(validated),
            referenced=keys.get(referenced_oid) if referenced_oid else None,
            not_null_column=_not_null_check(constraint_kind, definition, column_names),
            columns=column_names,
            referenced_columns=tuple(referenced_columns or ()),
            deferred=bool(deferred),
            on_delete=on_delete if on_delete and on_delete != " " else "a",
            on_update=on_update if on_update and on_update != " " else "a",
        )


def _not_null_check(kind: ConstraintKind, definition: str, columns: tuple[str, ...]
                    ) -> str | None:
    """``CHECK ((col IS NOT NULL))`` proves the column NOT NULL (PG 12+)."""
    if kind is not ConstraintKind.CHECK or len(columns) != 1:
        return None
    normalized = definition.replace("(", "").replace(")", "").replace('"', "").strip()
    expected = f"CHECK {columns[0]} IS NOT NULL"
    return columns[0] if normalized in (expected, expected + " NOT VALID") else None


def _load_indexes(cursor: Cursor, schema: Schema, keys: dict[int, str], oids: list[int]
                  ) -> None:
    for index_oid, table_oid, columns, has_expressions, definition in _rows(
        cursor, _INDEXES, oids
    ):
        if index_oid in keys and table_oid in keys:
            index = schema.relations[keys[index_oid]]
            index.table = keys[table_oid]
            index.index_columns = (
                _index_columns_of(definition) if has_expressions else tuple(columns or ())
            )


def _index_columns_of(definition: str) -> tuple[str, ...]:
    """The columns an index definition mentions, expressions included (in order)."""
    scratch = Schema()
    for statement in parse_statements(definition):
        if statement.node is not None:
            learn(scratch, statement.node)
    indexes = [r for r in scratch.relations.values() if r.kind is RelationKind.INDEX]
    return indexes[0].index_columns if indexes else ()
