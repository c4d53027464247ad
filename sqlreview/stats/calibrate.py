"""``sqlreview calibrate``: measure this server's throughput for the estimates.

Two scratch tables of the same heap size are built, a *narrow* one (many
rows of ~100 bytes) and a *wide* one (few rows of ~1 KB), six columns each laid
out like a model's table (text between numbers, a nullable column with NULLs),
and on each the work
the estimates model is timed: a validating scan (ADD CHECK), a rewrite
(ALTER COLUMN TYPE, no index), a B-tree build, a DELETE and an UPDATE of every
row; on the narrow table also a build on a text key. Each statement runs in a
transaction that is rolled back (then VACUUM and CHECKPOINT bring the table
back to the same state), so every run starts
from the same pages. Two tables of different width separate the part of each
cost that grows with megabytes from the part that grows with rows (two
equations, two unknowns); a third table, with the narrow one's rows and six
more columns, gives what each further column value costs a rewrite and an
UPDATE. Last, an UPDATE on the narrow table with two
indexes gives the cost of an index entry.

It writes only to what it creates: on the embedded server a throwaway
cluster, on ``--database-url`` a schema ``sqlreview_calibrate_*`` in an empty
database (refused otherwise, and on a standby), dropped at the end.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from sqlreview import interrupts
from sqlreview.errors import first_line
from sqlreview.progress import Progress
from sqlreview.scratch import ScratchServer, ScratchUnavailable, connect_timeout, redact
from sqlreview.scratch.cache import default_cache_dir
from sqlreview.stats.estimate import MB, Calibration
from sqlreview.stats.machine import describe_machine
from sqlreview.stats.solve import BASE_COLUMNS, Sample, figures

DEFAULT_SIZE_MB = 40
DEFAULT_REPEAT = 2
SCHEMA_PREFIX = "sqlreview_calibrate_"
BRIEF_TOTAL_S = 0.3
MAX_RUNS = 5


class CalibrateError(Exception):
    """Calibration cannot run or failed; the message says what to do."""


@dataclass(frozen=True)
class Shape:
    """A scratch table: rows of one width, ``note`` being most of it."""

    name: str
    note_sql: str  # the text column, from ``g`` (the row number)
    row_bytes: int  # about, on disk, to size the table before it exists
    extra_pairs: int = 0  # pairs of (short text, int) columns beyond the six

    @property
    def columns(self) -> int:
        return BASE_COLUMNS + 2 * self.extra_pairs


# Laid out like a model's table rather than the fastest way: text between the numbers,
# one nullable column with NULLs (a row with a NULL has no cached column offsets).
NARROW = Shape("narrow", "md5(g::text)", 100)
WIDE = Shape("wide", "repeat(md5(g::text), 30)", 1040)  # inline: below the TOAST threshold
MANY = Shape("many", "md5(g::text)", 140, extra_pairs=3)  # more columns, the narrow's rows
# What MANY adds: the cost of each column value a rewrite or an UPDATE forms again.
PER_COLUMN_WORK = ("rewrite", "update")


def calibrate(database_url: str | None = None, *, size_mb: int = DEFAULT_SIZE_MB,
              repeat: int = DEFAULT_REPEAT, progress: Progress | None = None) -> Calibration:
    """Measure on ``database_url`` (an empty staging database) or the embedded server."""
    try:
        with _target(database_url) as (url, where):
            return _measure(url, where, size_mb=size_mb, repeat=repeat, progress=progress)
    except psycopg.Error as error:
        raise CalibrateError(f"the server failed: {first_line(error)}") from None
    finally:
        if progress is not None:
            progress.finish()


@contextmanager
def _target(database_url: str | None) -> Iterator[tuple[str, str]]:
    """The URL to measure on and a label; the embedded server is stopped after."""
    if database_url is not None:
        _check_staging(database_url)
        yield database_url, "staging server"
        return
    try:
        with interrupts.deferred():
            server = ScratchServer.embedded(default_cache_dir())
    except ScratchUnavailable as error:
        raise CalibrateError(f"{error}; or give --database-url of an empty staging "
                             "database") from None
    try:
        yield server.url, "embedded"
    finally:
        with interrupts.deferred():
            server.stop()


def _connect(url: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout())
    except psycopg.Error as error:
        raise CalibrateError(f"cannot connect to {redact(url)}: {first_line(error)}") from None


def _check_staging(url: str) -> None:
    """Refuse a standby and a database that holds tables: production looks like that."""
    with _connect(url) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        if row and row[0]:
            raise CalibrateError("the server is a standby (in recovery): calibrate writes "
                                 "tables; give an empty database on a primary staging server")
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname <> 'information_schema' "
            "AND n.nspname NOT LIKE 'pg\\_%'").fetchone()
        tables = int(row[0]) if row else 0
        if tables:
            raise CalibrateError(
                f"the database holds {tables} table(s): calibrate runs only on an empty "
                "database, never production. Create one on a staging server "
                "(createdb sqlreview_calibrate) and give its URL")


def _measure(url: str, where: str, *, size_mb: int, repeat: int,
             progress: Progress | None) -> Calibration:
    schema = SCHEMA_PREFIX + uuid.uuid4().hex[:10]
    steps = _Steps(progress, total=1 + 2 * 7 + 4 + 4 + 2)
    with _connect(url) as conn:
        session = _Session(conn, repeat)
        try:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            overhead = session.overhead(schema)
            steps.next("overhead")
            samples = {shape.name: session.samples_on(schema, shape, size_mb, steps)
                       for shape in (NARROW, WIDE, MANY)}
            entries, text_key = session.index_entries(schema, steps)
            toast = session.toast_rewrite(schema, size_mb, steps)
            info = describe_machine(conn, where)
        finally:
            with interrupts.deferred():
                _drop_schema(url, schema)
        steps.next("done")
    return figures(samples[NARROW.name], samples[WIDE.name], samples[MANY.name],
                   entries=entries, text_key=text_key, toast=toast, overhead=overhead,
                   info=info, notes=session.notes)


def _drop_schema(url: str, schema: str) -> None:
    """On a connection of its own: the measuring one may be broken by an interrupt."""
    try:
        with _connect(url) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))
    except (CalibrateError, psycopg.Error):
        print(f"sqlreview calibrate: could not drop the scratch schema {schema}: "
              "drop it yourself", file=sys.stderr)


class _Steps:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def next(self, name: str) -> None:
        self.done = min(self.done + 1, self.total)
        interrupts.check()
        if self.progress is not None:
            self.progress.update("calibrating", self.done, self.total, name)


class _Session:
    """The measuring connection: builds tables, times statements."""

    def __init__(self, conn: psycopg.Connection[Any], repeat: int) -> None:
        self.conn, self.repeat = conn, repeat
        self.notes: list[str] = []
        self.can_checkpoint = True

    def settle(self, table: sql.Composable | None = None) -> None:
        """Same state before every timing: no dead rows, hint bits set, no dirty buffers."""
        if table is not None:
            self.conn.execute(sql.SQL("VACUUM (FREEZE, ANALYZE) {}").format(table))
        if not self.can_checkpoint:
            return
        try:
            self.conn.execute("CHECKPOINT")
        except psycopg.errors.InsufficientPrivilege:
            self.can_checkpoint = False
            self.notes.append("no CHECKPOINT privilege: dirty buffers were not flushed "
                              "before each timing")

    def timed(self, statement: sql.Composed, table: sql.Composable | None,
              *, dirty: bool) -> float:
        """Fastest of at least ``repeat`` runs of ``statement``, each rolled back.

        A short statement is run more often (until it has run ``BRIEF_TOTAL_S``
        in all, at most ``MAX_RUNS`` times): the shorter a run, the more one
        hiccup of a shared machine weighs in it."""
        best, spent, runs = float("inf"), 0.0, 0
        while runs < self.repeat or (spent < BRIEF_TOTAL_S and runs < MAX_RUNS):
            interrupts.check()
            self.settle(table if dirty else None)
            with self.conn.cursor() as cursor:
                cursor.execute("BEGIN")
                try:
                    started = time.perf_counter()
                    cursor.execute(statement)
                    seconds = time.perf_counter() - started
                finally:
                    cursor.execute("ROLLBACK")
            best, spent, runs = min(best, seconds), spent + seconds, runs + 1
        if dirty:
            self.settle(table)
        return best

    def overhead(self, schema: str) -> float:
        table = sql.Identifier(schema, "empty")
        self.conn.execute(sql.SQL("CREATE TABLE {} (id int NOT NULL)").format(table))
        statement = sql.SQL("ALTER TABLE {} ADD CONSTRAINT c CHECK (id > 0)").format(table)
        return self.timed(statement, None, dirty=False)

    def build(self, schema: str, shape: Shape, size_mb: int) -> tuple[sql.Identifier, float,
                                                                        float]:
        """The table, its heap MB and rows."""
        table = sql.Identifier(schema, shape.name)
        rows = max(1000, size_mb * MB // (NARROW if shape is MANY else shape).row_bytes)
        pairs = range(shape.extra_pairs)
        columns = "".join(f", label{i} text, count{i} int NOT NULL" for i in pairs)
        values = "".join(f", CASE WHEN g %% 3 = {i} THEN NULL ELSE 'label ' || (g %% {97 + i})"
                         f" END, g %% {1013 + i}" for i in pairs)
        self.conn.execute(sql.SQL(
            "CREATE TABLE {} (id int NOT NULL, note text NOT NULL, ref int NOT NULL, "
            "tag text, created timestamptz NOT NULL, amount int NOT NULL"
            + columns + ")").format(table))
        self.conn.execute(sql.SQL(
            "INSERT INTO {} SELECT g, " + shape.note_sql + ", "
            "(g::bigint * 7919 %% 1000003)::int, "
            "CASE WHEN g %% 3 = 0 THEN NULL ELSE 'tag ' || (g %% 89) END, "
            "timestamptz '2024-01-01' + g * interval '1 second', g %% 1000" + values +
            " FROM generate_series(1, %s) g").format(table), (rows,))
        self.settle(table)
        return table, *self.size(table)

    def size(self, table: sql.Identifier) -> tuple[float, float]:
        row = self.conn.execute(
            "SELECT pg_relation_size(%s::regclass), reltuples FROM pg_class "
            "WHERE oid = %s::regclass", (table.as_string(self.conn),) * 2).fetchone()
        assert row is not None
        return int(row[0]) / MB, float(row[1])

    def samples_on(self, schema: str, shape: Shape, size_mb: int,
                   steps: _Steps) -> dict[str, Sample]:
        table, heap_mb, rows = self.build(schema, shape, size_mb)
        steps.next(f"{shape.name} table built")
        statements: list[tuple[str, str, bool]] = [
            ("scan", "ALTER TABLE {} ADD CONSTRAINT amount_positive CHECK (amount >= 0)", False),
            ("rewrite", "ALTER TABLE {} ALTER COLUMN amount TYPE bigint", False),
            ("index_build", "CREATE INDEX ON {} (ref)", False),
            ("delete", "DELETE FROM {}", True),
            ("update", "UPDATE {} SET amount = amount + 1", True),
        ]
        if shape is MANY:
            statements = [entry for entry in statements if entry[0] in PER_COLUMN_WORK]
        samples: dict[str, Sample] = {}
        for name, text, dirty in statements:
            seconds = self.timed(sql.SQL(text).format(table), table, dirty=dirty)
            samples[name] = Sample(shape.name, heap_mb, rows, seconds, shape.columns)
            steps.next(f"{shape.name} {name.replace('_', ' ')}")
        if shape is not NARROW:
            self.conn.execute(sql.SQL("DROP TABLE {}").format(table))
        steps.next(f"{shape.name} done")
        return samples

    def index_entries(self, schema: str, steps: _Steps) -> tuple[Sample, Sample]:
        """On the narrow table: a build on its text column, and an UPDATE of every
        row with two indexes to maintain."""
        table = sql.Identifier(schema, NARROW.name)
        self.conn.execute(sql.SQL("CREATE INDEX ON {} (id)").format(table))
        self.conn.execute(sql.SQL("CREATE INDEX ON {} (ref)").format(table))
        self.settle(table)
        heap_mb, rows = self.size(table)
        steps.next("indexes built")
        text_key = self.timed(sql.SQL("CREATE INDEX ON {} (note)").format(table), None,
                              dirty=False)
        steps.next("text index build")
        seconds = self.timed(sql.SQL("UPDATE {} SET amount = amount + 1").format(table), table,
                             dirty=True)
        steps.next("update with indexes")
        return (Sample(NARROW.name, heap_mb, rows, seconds),
                Sample(NARROW.name, heap_mb, rows, text_key))


    def toast_rewrite(self, schema: str, size_mb: int, steps: _Steps) -> Sample:
        """A rewrite of a table whose data is mostly TOAST: rows of about 3 KB of text
        that pglz cannot shrink below the TOAST threshold. ``heap_mb`` is its TOAST."""
        table = sql.Identifier(schema, "toasted")
        rows = max(100, size_mb * MB // 3300)
        self.conn.execute(sql.SQL("CREATE TABLE {} (id int NOT NULL, body text NOT NULL)"
                                  ).format(table))
        self.conn.execute(sql.SQL(
            "INSERT INTO {} SELECT g, (SELECT string_agg(md5(g::text || '-' || i), ' ') "
            "FROM generate_series(1, 96) i) FROM generate_series(1, %s) g").format(table),
            (rows,))
        self.settle(table)
        heap_mb, reltuples = self.size(table)
        row = self.conn.execute(
            "SELECT pg_total_relation_size(reltoastrelid) FROM pg_class WHERE oid = %s::regclass",
            (table.as_string(self.conn),)).fetchone()
        toast_mb = int(row[0]) / MB if row and row[0] else 0.0
        steps.next("toasted table built")
        seconds = self.timed(sql.SQL("ALTER TABLE {} ALTER COLUMN id TYPE bigint").format(table),
                             None, dirty=False)
        self.conn.execute(sql.SQL("DROP TABLE {}").format(table))
        steps.next("toasted rewrite")
        return Sample("toasted", toast_mb, reltuples, seconds, columns=2,
                      heap_beside=heap_mb)

