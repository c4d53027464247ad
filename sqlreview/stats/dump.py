"""``sqlreview stats dump``: a read-only snapshot of a production database's sizes.

Everything it reads is catalog data any role that may CONNECT can read
(``pg_class``, ``pg_attribute``, ``pg_constraint``, ``pg_index``, the size
functions, ``pg_stat_all_tables``): no table privilege, no superuser, never a
row of user data. It runs in one READ ONLY transaction with a short
``statement_timeout`` and ``lock_timeout`` (the size functions take an ACCESS
SHARE lock on each table, which must not queue long behind a migration), and
each part is read under a savepoint so that what cannot be read is listed in
the file and on stderr while the rest is kept.

Then, unless ``--no-schema-ddl``, the schema as DDL and the applied
migrations (``sqlreview.scratch.production``: ``pg_dump --schema-only``, read
only, giving up on a locked table after ``LOCK_TIMEOUT``), so that the
snapshot can be restored as a review's pre-state. That part needs more than
CONNECT (pg_dump locks each table, which takes SELECT); when it cannot be
read, the sizes are still written and it is listed as unreadable.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlreview.errors import first_line
from sqlreview.pg.introspect import CatalogReader
from sqlreview.pg.schema import RelationKind, Schema, key_of, relation_key
from sqlreview.scratch.production import ProductionSchemaError, read_production_schema
from sqlreview.stats.model import IndexStats, TableStats
from sqlreview.stats.snapshot import Snapshot

STATEMENT_TIMEOUT = "10s"
LOCK_TIMEOUT = "2s"
CONNECT_TIMEOUT = 10

_USER = """n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg_temp_%%' AND n.nspname NOT LIKE 'pg_toast_temp_%%'"""

_TABLES = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::float8, s.n_live_tup,
       s.n_dead_tup, greatest(s.last_analyze, s.last_autoanalyze) IS NOT NULL
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm') AND {_USER}
ORDER BY n.nspname, c.relname
"""

# pg_relation_size takes ACCESS SHARE on the table: under lock_timeout.
_SIZES = """
SELECT c.oid, pg_relation_size(c.oid),
       CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_total_relation_size(c.reltoastrelid) END
FROM pg_class c WHERE c.oid = ANY(%(oids)s)
"""

_INDEXES = """
SELECT i.indrelid, ic.relname, pg_relation_size(i.indexrelid), pg_get_indexdef(i.indexrelid),
       i.indisunique
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(%(oids)s)
ORDER BY i.indrelid, ic.relname
"""

_DEFAULTS = """
SELECT d.adrelid, a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE d.adrelid = ANY(%(oids)s) AND NOT a.attisdropped
"""

_SESSION = """
SELECT current_setting('transaction_read_only'), current_setting('statement_timeout'),
       current_setting('lock_timeout'), current_setting('server_version'),
       current_setting('server_version_num')::int, current_database(), pg_is_in_recovery(),
       current_user
"""

T = TypeVar("T")
Rows = list[tuple[Any, ...]]
NO_ROWS: Rows = []


class DumpError(Exception):
    """Cannot take a snapshot at all (bad URL, unreachable database): exit 2."""


def take_snapshot(url: str, *, tables: Sequence[str] | None = None,
                  schema_names: Sequence[str] | None = None, schema_ddl: bool = True
                  ) -> Snapshot:
    snapshot = _take_sizes(url, tables, schema_names)
    if schema_ddl:
        _add_production_schema(snapshot, url, tables, schema_names)
    return snapshot


def _add_production_schema(snapshot: Snapshot, url: str, tables: Sequence[str] | None,
                           schema_names: Sequence[str] | None) -> None:
    try:
        snapshot.production_schema = read_production_schema(
            url, lock_wait_timeout=LOCK_TIMEOUT, tables=tables or (),
            schema_names=schema_names or ())
    except ProductionSchemaError as error:
        snapshot.unreadable.append(f"the schema DDL and applied migrations (pass "
                                   f"--no-schema-ddl to leave them out): {error}")


def _take_sizes(url: str, tables: Sequence[str] | None,
                schema_names: Sequence[str] | None) -> Snapshot:
    import psycopg

    try:
        connection = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT,
                                     application_name="sqlreview stats dump")
    except psycopg.Error as error:
        raise DumpError("cannot connect to the database: "
                        f"{first_line(error, strip_period=True)}. Check "
                        "--database-url (postgresql://USER@HOST:PORT/DB)") from None
    except Exception as error:  # e.g. a malformed URL psycopg refuses before connecting
        raise DumpError(f"bad --database-url: {first_line(error, strip_period=True)}") from None
    try:
        connection.read_only = True
        with connection.cursor() as cursor:
            try:
                return _read(cursor, tables, schema_names)
            except psycopg.Error as error:
                raise DumpError("cannot read the catalog: "
                                f"{first_line(error, strip_period=True)}") from None
    finally:
        connection.rollback()  # read only: nothing to keep
        connection.close()



class _Reader:
    """Runs each part under a savepoint; a part that fails is listed, not fatal."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.unreadable: list[str] = []
        self._count = 0

    def part(self, what: str, read: Callable[[], T], fallback: T) -> T:
        import psycopg

        self._count += 1
        name = f"sqlreview_{self._count}"
        self.cursor.execute(f"SAVEPOINT {name}")
        try:
            result = read()
        except psycopg.Error as error:
            self.cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.unreadable.append(f"{what}: {first_line(error, strip_period=True)}")
            return fallback
        self.cursor.execute(f"RELEASE SAVEPOINT {name}")
        return result

    def rows(self, query: str, params: dict[str, Any] | None = None) -> Rows:
        self.cursor.execute(query, params)
        return list(self.cursor.fetchall())


def _read(cursor: Any, tables: Sequence[str] | None,
          schema_names: Sequence[str] | None) -> Snapshot:
    # SET LOCAL changes only this session's settings until the transaction
    # ends (READ ONLY from connection.read_only): nothing is written.
    cursor.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    reader = _Reader(cursor)
    session_row = reader.rows(_SESSION)[0]
    read_only, statement_timeout, lock_timeout, version, version_num, database, recovery, user = (
        session_row)
    if read_only != "on":  # connection.read_only is what makes it so: never go on without
        raise DumpError("the transaction is not READ ONLY; refusing to read")
    snapshot = Snapshot(
        taken_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        database={"name": database, "server_version": version,
                  "server_version_num": version_num, "in_recovery": bool(recovery),
                  "role": user},
        session={"transaction_read_only": read_only, "statement_timeout": statement_timeout,
                 "lock_timeout": lock_timeout},
        limits={"tables": list(tables) if tables else None,
                "schema_names": list(schema_names) if schema_names else None},
    )
    found = reader.part("the list of tables", lambda: reader.rows(_TABLES), NO_ROWS)
    chosen = _choose(found, tables, schema_names, snapshot)
    keys = {row[0]: relation_key(row[1], row[2]) for row in chosen}
    schema = reader.part("the schema (columns, constraints, indexes)",
                         lambda: CatalogReader().read(cursor), Schema())
    snapshot.schema = _limit_schema(schema, set(keys.values())) if (tables or schema_names) \
        else schema
    size_rows, failed = _by_table(reader, chosen, "size", _SIZES)
    sizes = {oid: (int(heap), int(toast)) for oid, heap, toast in size_rows}
    index_rows, failed_indexes = _by_table(reader, chosen, "index sizes", _INDEXES)
    indexes: dict[int, list[IndexStats]] = {}
    for table_oid, name, size, definition, unique in index_rows:
        indexes.setdefault(table_oid, []).append(
            IndexStats(name=name, bytes=int(size), definition=definition, unique=bool(unique)))
    default_rows, _ = _by_table(reader, chosen, "column defaults", _DEFAULTS)
    for table_oid, column, expression in default_rows:
        snapshot.defaults.setdefault(keys[table_oid], {})[column] = expression
    for oid, _namespace, _name, kind, reltuples, live, dead, analyzed in chosen:
        if oid not in sizes or oid in failed | failed_indexes:
            continue  # a table without all its sizes would mislead: left out, and listed
        heap, toast = sizes[oid]
        snapshot.tables[keys[oid]] = TableStats(
            name=keys[oid], rows=float(reltuples), heap_bytes=heap, toast_bytes=toast,
            live_tuples=live, dead_tuples=dead, indexes=tuple(indexes.get(oid, ())))
        if kind != "p" and not analyzed and reltuples < 0:
            snapshot.notes.append(f"{keys[oid]} was never analyzed: its row count is "
                                  "estimated from live tuples")
    snapshot.unreadable.extend(reader.unreadable)
    return snapshot


def _choose(found: list[tuple[Any, ...]], tables: Sequence[str] | None,
            schema_names: Sequence[str] | None, snapshot: Snapshot) -> list[tuple[Any, ...]]:
    chosen = found
    if schema_names:
        wanted_schemas = set(schema_names)
        chosen = [row for row in chosen if row[1] in wanted_schemas]
    if tables:
        wanted = {key_of(name) for name in tables}
        chosen = [row for row in chosen if relation_key(row[1], row[2]) in wanted]
        missing = sorted(wanted - {relation_key(row[1], row[2]) for row in chosen})
        snapshot.unreadable.extend(f"table {name}: not found (or not in --schema-name)"
                                   for name in missing)
    return chosen


def _by_table(reader: _Reader, chosen: list[tuple[Any, ...]], what: str, query: str
              ) -> tuple[Rows, set[int]]:
    """``query`` for all tables at once; if that fails (a table locked by a
    migration: lock_timeout), table by table. The rows, and the tables that failed."""
    oids = [row[0] for row in chosen]
    before = len(reader.unreadable)
    failed_rows: Rows | None = None
    at_once = reader.part(what, lambda: reader.rows(query, {"oids": oids}), failed_rows)
    if at_once is not None:
        return at_once, set()
    del reader.unreadable[before:]  # said again below, for each table that fails
    rows: Rows = []
    failed: set[int] = set()
    for oid, namespace, name, *_rest in chosen:
        one = reader.part(f"the {what} of {relation_key(namespace, name)}",
                          functools.partial(reader.rows, query, {"oids": [oid]}), failed_rows)
        if one is None:
            failed.add(oid)
        else:
            rows.extend(one)
    return rows, failed


def _limit_schema(schema: Schema, keys: set[str]) -> Schema:
    """The chosen tables with their indexes and owned sequences."""
    limited = Schema()
    for key, relation in schema.relations.items():
        keep = (key in keys or (relation.kind is RelationKind.INDEX and relation.table in keys)
                or (relation.kind is RelationKind.SEQUENCE and relation.owner in keys))
        if keep:
            limited.add(relation)
    limited.changed()
    return limited
