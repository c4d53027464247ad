"""Estimated durations against durations measured on the same server (issue 10).

A table of more than 100 MB (several columns, two indexes, text of which some
is long enough to be TOASTed) is built once for the module; its sizes come from
the catalog into a ``TableStats``, and four statements are timed on it, each
in a transaction that is rolled back, with VACUUM and CHECKPOINT before each
run so that every run starts from the same pages: an int→bigint rewrite of
the primary key, a CREATE INDEX, a validating ADD CHECK and an UPDATE of every
row. Each estimate must be within a factor of 3 of the measured time, with the
shipped calibration and with one `sqlreview calibrate` has just measured.

The estimates are the ones a user gets: `sqlreview stats dump` takes a snapshot
of the database, and `sqlreview sql --stats SNAPSHOT --calibration FILE
--format json` reads the four statements, so the statement → kind of work
mapping and the table's shape (columns, text keys) from the snapshot are
checked too, not only the formulas.

The table is deliberately shaped unlike calibrate's scratch tables (other
columns, row width in between, TOAST, two indexes, another key type), so the
test checks that the model carries over, not that a table was timed twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sqlreview.scratch import ScratchServer
from sqlreview.stats.calibration import DEFAULT_CALIBRATION, load_calibration
from sqlreview.stats.estimate import MB, Work, estimate
from sqlreview.stats.model import IndexStats, TableStats
from tests.stats.helpers import run_cli

FACTOR = 3.0
ROWS = 850_000
LONG_EVERY = 80  # one row in LONG_EVERY has a comment of ~3 KB that goes to TOAST

BUILD = f"""
CREATE TABLE shop_order (
    id int NOT NULL,
    customer_id int NOT NULL,
    quantity int NOT NULL,
    status text NOT NULL,
    placed_at timestamptz NOT NULL,
    total numeric(12, 2) NOT NULL,
    comment text
);
INSERT INTO shop_order
SELECT g,
       (g::bigint * 48271 % 200003)::int,
       1 + g % 9,
       (ARRAY['new', 'paid', 'shipped', 'delivered', 'returned'])[1 + g % 5],
       timestamptz '2023-01-01' + (g::bigint * 7919 % 31536000) * interval '1 second',
       (g % 100000) / 100.0,
       CASE WHEN g % {LONG_EVERY} = 0
            THEN (SELECT string_agg(md5(g::text || '-' || i), ' ')
                  FROM generate_series(1, 96) i)
            WHEN g % 3 = 0 THEN NULL
            ELSE 'customer note ' || md5(g::text) END
FROM generate_series(1, {ROWS}) g;
ALTER TABLE shop_order ADD CONSTRAINT shop_order_pkey PRIMARY KEY (id);
CREATE INDEX shop_order_customer_idx ON shop_order (customer_id);
"""

# (work, statement, restores): each is rolled back; ``restores`` ones leave dead rows behind.
STATEMENTS: dict[str, tuple[Work, str, bool]] = {
    "add check": (Work.SCAN, "ALTER TABLE shop_order ADD CONSTRAINT shop_order_quantity_check "
                             "CHECK (quantity > 0)", False),
    "create index": (Work.INDEX_BUILD, "CREATE INDEX shop_order_placed_idx "
                                       "ON shop_order (placed_at)", False),
    "int to bigint": (Work.REWRITE, "ALTER TABLE shop_order ALTER COLUMN id TYPE bigint", False),
    "update all rows": (Work.UPDATE, "UPDATE shop_order SET quantity = quantity + 1", True),
}


def settle(conn: psycopg.Connection[Any], *, vacuum: bool) -> None:
    """The same starting state: no dead rows, hint bits set, no dirty buffers."""
    if vacuum:
        conn.execute("VACUUM (FREEZE, ANALYZE) shop_order")
    conn.execute("CHECKPOINT")


def timed(conn: psycopg.Connection[Any], statement: str, *, dirty: bool) -> float:
    """The fastest of two runs or more, each rolled back: the machine is shared and noisy,
    and a short statement is run until it has run half a second in all (at most 6 times)."""
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 2 or (spent < 0.5 and runs < 6):
        settle(conn, vacuum=dirty)
        conn.execute("BEGIN")
        try:
            started = time.perf_counter()
            conn.execute(statement)
            seconds = time.perf_counter() - started
        finally:
            conn.execute("ROLLBACK")
        best, spent, runs = min(best, seconds), spent + seconds, runs + 1
    if dirty:
        settle(conn, vacuum=True)
    return best


def table_stats(conn: psycopg.Connection[Any], name: str) -> TableStats:
    """The table's sizes as the catalog has them."""
    row = conn.execute(
        "SELECT c.reltuples, pg_relation_size(c.oid), "
        "coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0), "
        "s.n_live_tup, s.n_dead_tup FROM pg_class c "
        "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = %s::regclass",
        (name,)).fetchone()
    assert row is not None
    indexes = conn.execute(
        "SELECT i.relname, pg_relation_size(i.oid), pg_get_indexdef(i.oid), x.indisunique "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass ORDER BY i.relname", (name,)).fetchall()
    return TableStats(
        name=name, rows=float(row[0]), heap_bytes=int(row[1]), toast_bytes=int(row[2]),
        live_tuples=row[3], dead_tuples=row[4],
        indexes=tuple(IndexStats(name=str(n), bytes=int(b), definition=str(d), unique=bool(u))
                      for n, b, d, u in indexes))


@dataclass(frozen=True)
class BigTable:
    stats: TableStats  # as the catalog has it
    snapshot: Path  # `sqlreview stats dump` of the database
    statements: Path  # the four statements, one file
    measured: dict[str, float]  # seconds, by statement name


@pytest.fixture(scope="module")
def big_table(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[BigTable]:
    folder = tmp_path_factory.mktemp("estimates")
    with pg_server.temporary_database(prefix="sqlreview_test") as url, \
            psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BUILD)
        settle(conn, vacuum=True)
        stats = table_stats(conn, "shop_order")
        snapshot = folder / "snapshot.json"
        dumped = run_cli("stats", "dump", "--database-url", url, "-o", str(snapshot))
        assert dumped.returncode == 0, dumped.stderr
        statements = folder / "statements.sql"
        statements.write_text("".join(f"{sql};\n" for _, sql, _ in STATEMENTS.values()),
                              encoding="utf-8")
        measured = {name: timed(conn, statement, dirty=dirty)
                    for name, (_, statement, dirty) in STATEMENTS.items()}
        yield BigTable(stats, snapshot, statements, measured)


def check_estimates(table: BigTable, calibration: Path) -> None:
    reviewed = run_cli("sql", str(table.statements), "--stats", str(table.snapshot),
                       "--calibration", str(calibration), "--format", "json")
    assert reviewed.returncode in (0, 1), reviewed.stderr
    statements = json.loads(reviewed.stdout)["statements"]
    assert len(statements) == len(STATEMENTS)
    ratios = {}
    for (name, (work, _, _)), statement in zip(STATEMENTS.items(), statements, strict=True):
        [piece] = statement["estimate"]["work"]
        assert (piece["table"], piece["work"]) == ("shop_order", work.value), name
        estimated = statement["estimated_seconds"]
        ratios[name] = (estimated, table.measured[name], estimated / table.measured[name])
    report = ", ".join(f"{name}: estimated {e:.2f} s, measured {m:.2f} s (x{r:.2f})"
                       for name, (e, m, r) in ratios.items())
    print(report)
    outside = [name for name, (_, _, ratio) in ratios.items()
               if not 1 / FACTOR <= ratio <= FACTOR]
    assert not outside, f"not within a factor of {FACTOR}: {report}"


def test_the_table_is_production_like(big_table: BigTable) -> None:
    stats = big_table.stats
    assert stats.heap_bytes + stats.toast_bytes >= 100 * MB  # pg_table_size()
    assert stats.toast_bytes >= 10 * MB
    assert len(stats.indexes) == 2
    assert abs(stats.row_count - ROWS) < ROWS * 0.05


def test_the_snapshot_has_the_catalog_sizes(big_table: BigTable) -> None:
    snapshot = json.loads(big_table.snapshot.read_text(encoding="utf-8"))
    [dumped] = [t for t in snapshot["tables"] if t["name"] == "shop_order"]
    stats = big_table.stats
    assert (dumped["heap_bytes"], dumped["toast_bytes"], dumped["index_bytes"]) == (
        stats.heap_bytes, stats.toast_bytes, stats.index_bytes)


def test_estimates_with_the_shipped_calibration(big_table: BigTable) -> None:
    check_estimates(big_table, DEFAULT_CALIBRATION)


def test_estimates_right_after_calibrate(big_table: BigTable, tmp_path: Path) -> None:
    output = tmp_path / "calibration.json"
    completed = run_cli("calibrate", "-o", str(output))
    assert completed.returncode == 0, completed.stderr
    calibration = load_calibration(output)
    assert calibration.extra["cores"] >= 1 and "PostgreSQL" in calibration.machine
    check_estimates(big_table, output)


def sample_table(**changes: Any) -> TableStats:
    base: dict[str, Any] = {
        "name": "shop_order", "rows": 10_000_000.0, "heap_bytes": 2_000 * MB,
        "toast_bytes": 0,
        "indexes": (IndexStats("shop_order_pkey", 200 * MB, "", True),)}
    return TableStats(**{**base, **changes})


def seconds(work: Work, table: TableStats, **options: Any) -> float:
    return estimate(work, table, load_calibration(), **options).seconds


def test_a_rewrite_grows_with_toast_and_every_index_it_rebuilds() -> None:
    plain = sample_table()
    toasted = sample_table(toast_bytes=3_000 * MB)
    indexed = sample_table(indexes=plain.indexes * 4)
    assert seconds(Work.REWRITE, toasted) > seconds(Work.REWRITE, plain)
    rebuild = seconds(Work.INDEX_BUILD, plain) - (load_calibration().statement_overhead_s or 0.0)
    assert seconds(Work.REWRITE, indexed) == pytest.approx(
        seconds(Work.REWRITE, plain) + 3 * rebuild)
    assert seconds(Work.SCAN, toasted) == seconds(Work.SCAN, plain)  # TOAST is not read


def test_concurrently_reads_the_table_twice() -> None:
    table = sample_table()
    assert seconds(Work.INDEX_BUILD_CONCURRENTLY, table) == pytest.approx(
        seconds(Work.INDEX_BUILD, table) + seconds(Work.SCAN, table)
        - (load_calibration().statement_overhead_s or 0.0))


def test_an_update_pays_for_index_entries_unless_hot() -> None:
    few, many = sample_table(), sample_table(indexes=sample_table().indexes * 5)
    assert seconds(Work.UPDATE, many) > seconds(Work.UPDATE, few)
    packed = seconds(Work.UPDATE, many, fillfactor=100, indexed_column_changed=False)
    roomy = seconds(Work.UPDATE, many, fillfactor=50, indexed_column_changed=False)
    assert roomy < packed == seconds(Work.UPDATE, many)
    hot = estimate(Work.UPDATE, many, load_calibration(), fillfactor=50,
                   indexed_column_changed=False)
    assert hot.inputs["hot_share"] == 1.0 and hot.inputs["index_entries"] == 0
    assert seconds(Work.UPDATE, many, fraction=0.01) < seconds(Work.UPDATE, many)
    assert seconds(Work.UPDATE, many, fraction=0.0) >= seconds(Work.SCAN, many)  # finds rows


def test_estimates_grow_with_the_table() -> None:
    small, large = sample_table(), sample_table(rows=40_000_000.0, heap_bytes=8_000 * MB)
    for work in Work:
        assert seconds(work, large) > 3 * seconds(work, small), work


def test_text_keys_build_slower_and_count_in_a_rewrite() -> None:
    table = sample_table(indexes=sample_table().indexes * 3)
    text = estimate(Work.INDEX_BUILD, table, load_calibration(), text_key_indexes=1)
    assert text.seconds > seconds(Work.INDEX_BUILD, table)
    assert text.inputs["text_key_indexes"] == 1
    assert seconds(Work.REWRITE, table, text_key_indexes=2) > seconds(Work.REWRITE, table)


def test_rows_of_more_columns_take_longer_to_rewrite_and_update() -> None:
    table = sample_table()
    for work in (Work.REWRITE, Work.UPDATE):
        narrow, wide = seconds(work, table, columns=3), seconds(work, table, columns=30)
        assert narrow < seconds(work, table) < wide, work
    assert seconds(Work.SCAN, table, columns=30) == seconds(Work.SCAN, table)
