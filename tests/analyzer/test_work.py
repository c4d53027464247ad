"""The work items the analyzer hands on: what each statement does in proportion to an
existing table's size (``--stats`` estimates them)."""

from __future__ import annotations

import pytest

from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions
from sqlreview.pg.learn import schema_from_sql
from sqlreview.results import WorkItem, WorkKind
from tests.analyzer.helpers import SCHEMA, analyze, only

OPAQUE = WorkItem(WorkKind.UNKNOWN, reason="sqlreview cannot see what it does")


def work(sql: str) -> tuple[WorkItem, ...]:
    return only(analyze(sql)).work


@pytest.mark.parametrize(("sql", "kind", "key_column"), [
    ("CREATE INDEX by_note ON shop_order (note)", WorkKind.INDEX_BUILD, "note"),
    ("CREATE INDEX by_total ON shop_order (total, note)", WorkKind.INDEX_BUILD, "total"),
    ("CREATE INDEX CONCURRENTLY by_note ON shop_order (note)",
     WorkKind.INDEX_BUILD_CONCURRENTLY, "note"),
    ("CREATE INDEX CONCURRENTLY by_total ON shop_order (total)",
     WorkKind.INDEX_BUILD_CONCURRENTLY, "total"),
    ("CREATE INDEX by_lower_note ON shop_order (lower(note))", WorkKind.INDEX_BUILD, None),
])
def test_create_index_builds_on_its_table_with_its_leading_key_column(
        sql: str, kind: WorkKind, key_column: str | None) -> None:
    assert work(sql) == (WorkItem(kind, "shop_order", key_column=key_column),)


def test_create_index_on_a_partitioned_table_builds_on_each_partition() -> None:
    assert work("CREATE INDEX by_id ON shop_visit (id)") == (
        WorkItem(WorkKind.INDEX_BUILD, "shop_visit_2024", key_column="id"),
        WorkItem(WorkKind.INDEX_BUILD, "shop_visit_default", key_column="id"),
    )


def test_reindex_names_the_indexes_it_builds_again() -> None:
    assert work("REINDEX TABLE shop_order") == (WorkItem(
        WorkKind.INDEX_BUILD, "shop_order", indexes=("shop_order_pkey", "shop_order_status_idx")),)
    assert work("REINDEX INDEX shop_order_status_idx") == (WorkItem(
        WorkKind.INDEX_BUILD, "shop_order", indexes=("shop_order_status_idx",)),)
    assert work("REINDEX INDEX CONCURRENTLY shop_order_status_idx") == (
        WorkItem(WorkKind.INDEX_BUILD_CONCURRENTLY, "shop_order"),)


def test_a_unique_constraint_is_an_index_build_without_a_key_column() -> None:
    assert work("ALTER TABLE shop_order ADD CONSTRAINT one_note UNIQUE (note)") == (
        WorkItem(WorkKind.INDEX_BUILD, "shop_order"),)


def test_alter_type_rewrites_the_table() -> None:
    assert work("ALTER TABLE shop_order ALTER COLUMN customer_id TYPE numeric") == (
        WorkItem(WorkKind.REWRITE, "shop_order"),)


def test_a_rewrite_with_a_foreign_key_scans_the_referenced_table() -> None:
    assert work("ALTER TABLE shop_order ALTER COLUMN customer_id TYPE numeric, "
                "ADD CONSTRAINT by_customer FOREIGN KEY (customer_id) "
                "REFERENCES shop_customer (id)") == (
        WorkItem(WorkKind.REWRITE, "shop_order"), WorkItem(WorkKind.SCAN, "shop_customer"))


@pytest.mark.parametrize("sql", [
    "ALTER TABLE shop_order ADD CONSTRAINT positive CHECK (total > 0)",
    "ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL",
])
def test_a_validating_constraint_scans_the_table(sql: str) -> None:
    assert work(sql) == (WorkItem(WorkKind.SCAN, "shop_order"),)


def test_validate_constraint_scans_the_table() -> None:
    analysis = analyze("ALTER TABLE shop_order ADD CONSTRAINT positive CHECK (total > 0) "
                       "NOT VALID;\nALTER TABLE shop_order VALIDATE CONSTRAINT positive;")
    added, validated = analysis.statements
    assert added.work == ()
    assert validated.work == (WorkItem(WorkKind.SCAN, "shop_order"),)


def test_update_and_delete_without_where_change_every_row() -> None:
    assert work("UPDATE shop_order SET note = ''") == (
        WorkItem(WorkKind.UPDATE_ALL_ROWS, "shop_order"),)
    assert work("DELETE FROM shop_order") == (WorkItem(WorkKind.DELETE_ALL_ROWS, "shop_order"),)


@pytest.mark.parametrize("sql", [
    "UPDATE shop_order SET note = '' WHERE id = 3",
    "UPDATE shop_order SET note = '' WHERE total > 10",
    "DELETE FROM shop_order WHERE status = 'gone'",
])
def test_a_where_leaves_the_share_of_rows_unknown(sql: str) -> None:
    assert work(sql) == (
        WorkItem(WorkKind.ROW_CHANGE, "shop_order", limited_by_where=True),)


def test_an_insert_writes_an_unknown_number_of_rows() -> None:
    assert work("INSERT INTO shop_order (note) SELECT bio FROM shop_customer") == (
        WorkItem(WorkKind.ROW_CHANGE, "shop_order"),)


def test_metadata_changes_do_no_work() -> None:
    assert work("ALTER TABLE shop_order ADD COLUMN flag boolean") == ()
    assert work("TRUNCATE shop_order") == ()


def test_what_sqlreview_cannot_see_into_is_unknown() -> None:
    assert work("DO $$ BEGIN PERFORM 1; END $$") == (OPAQUE,)
    assert work("this is not sql") == (OPAQUE,)
    analyzer = Analyzer(AnalyzerOptions(pg_version=18), schema_from_sql(SCHEMA))
    assert analyzer.feed_opaque("RunPython forwards").work == (OPAQUE,)
    assert analyzer.feed_inert("RunPython noop").work == ()


def test_work_on_a_table_created_in_the_same_input_is_none() -> None:
    analysis = analyze("""CREATE TABLE shop_coupon (id bigint, code text);
        CREATE INDEX shop_coupon_code ON shop_coupon (code);
        CREATE INDEX CONCURRENTLY shop_coupon_id ON shop_coupon (id);
        ALTER TABLE shop_coupon ALTER COLUMN id TYPE numeric;
        ALTER TABLE shop_coupon ADD CONSTRAINT positive CHECK (id > 0);
        REINDEX TABLE shop_coupon;
        UPDATE shop_coupon SET code = '';
        DELETE FROM shop_coupon WHERE id = 3;""")
    assert [statement.work for statement in analysis.statements] == [()] * 8


def test_a_table_dropped_and_created_again_holds_no_production_rows() -> None:
    analysis = analyze("DROP TABLE shop_order CASCADE;\n"
                       "CREATE TABLE shop_order (id bigint, note text);\n"
                       "UPDATE shop_order SET note = '';")
    assert analysis.statements[-1].work == ()


def test_reindex_concurrently_before_postgresql_12_is_a_plain_build() -> None:
    """The version has no CONCURRENTLY: the knowledge's plain row, and its build, apply."""
    reindex = "REINDEX INDEX CONCURRENTLY shop_order_status_idx"
    assert only(analyze(reindex, pg_version=11)).work == (
        WorkItem(WorkKind.INDEX_BUILD, "shop_order"),)
    assert only(analyze(reindex, pg_version=12)).work == (
        WorkItem(WorkKind.INDEX_BUILD_CONCURRENTLY, "shop_order"),)
