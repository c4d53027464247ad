"""``--stats`` estimates a statement from the analyzer's work items, never from its SQL:
these statements are hand-made, their SQL is not SQL at all."""

from __future__ import annotations

import pytest

from sqlreview.pg.learn import schema_from_sql
from sqlreview.results import Cost, StatementResult, WorkItem, WorkKind
from sqlreview.stats.apply import estimate_statement
from sqlreview.stats.estimate import Calibration
from sqlreview.stats.model import IndexStats, TableStats
from sqlreview.stats.snapshot import Snapshot

GB = 1024 ** 3
CALIBRATION = Calibration(rewrite_mb_per_s=60.0, scan_mb_per_s=400.0, index_build_mb_per_s=80.0,
                          update_rows_per_s=150_000.0, index_entries_per_s=300_000.0,
                          delete_rows_per_s=300_000.0, index_build_rows_per_s=1e6,
                          index_build_text_rows_per_s=2e5)
SNAPSHOT = Snapshot(
    tables={"shop_order": TableStats(name="shop_order", rows=1e8, heap_bytes=10 * GB, indexes=(
        IndexStats("shop_order_pkey", GB, "..."), IndexStats("shop_order_note", GB, "..."),
        IndexStats("shop_order_total", GB, "...")))},
    schema=schema_from_sql("CREATE TABLE shop_order (id bigint PRIMARY KEY, total int, note text);"
                           "CREATE INDEX shop_order_note ON shop_order (note);"
                           "CREATE INDEX shop_order_total ON shop_order (total);"))


def estimated(*work: WorkItem, kind: str = "UPDATE", cost: Cost = Cost.DATA_CHANGE
              ) -> StatementResult:
    statement = StatementResult(index=0, sql="-- not SQL: stats must not read it", kind=kind,
                                cost=cost, work=work)
    statement.estimate = estimate_statement(statement, SNAPSHOT, CALIBRATION)
    return statement


@pytest.mark.parametrize(("kind", "work"), [
    (WorkKind.REWRITE, "rewrite"),
    (WorkKind.SCAN, "validating scan"),
    (WorkKind.INDEX_BUILD, "index build"),
    (WorkKind.INDEX_BUILD_CONCURRENTLY, "index build concurrently"),
    (WorkKind.UPDATE_ALL_ROWS, "update"),
    (WorkKind.DELETE_ALL_ROWS, "delete"),
])
def test_each_kind_of_work_item_is_estimated_as_its_work(kind: WorkKind, work: str) -> None:
    estimate = estimated(WorkItem(kind, "shop_order")).estimate
    assert estimate is not None and estimate.seconds is not None and estimate.seconds > 0
    assert [(item["table"], item["work"]) for item in estimate.work] == [("shop_order", work)]


def test_the_key_column_of_an_index_build_decides_its_text_key() -> None:
    def inputs(key_column: str | None) -> dict[str, object]:
        estimate = estimated(WorkItem(WorkKind.INDEX_BUILD, "shop_order", key_column=key_column),
                             kind="CREATE INDEX", cost=Cost.INDEX_BUILD).estimate
        assert estimate is not None
        inputs: dict[str, object] = estimate.work[0]["inputs"]
        return inputs

    assert inputs("note")["text_key_indexes"] == 1
    assert inputs("total")["text_key_indexes"] == 0
    # No key column (an expression): the table's own indexes say, one of which has a text key.
    assert inputs(None)["text_key_indexes"] == 1


def test_a_reindex_builds_the_indexes_it_names_that_the_snapshot_knows() -> None:
    def built(*indexes: str) -> object:
        estimate = estimated(WorkItem(WorkKind.INDEX_BUILD, "shop_order", indexes=indexes),
                             kind="REINDEX", cost=Cost.INDEX_BUILD).estimate
        assert estimate is not None
        return estimate.work[0]["inputs"]["indexes_built"]

    assert built("shop_order_pkey", "shop_order_note", "shop_order_total") == 3
    assert built("shop_order_note", "not_in_the_snapshot") == 1
    assert built() == 1


def test_a_row_change_of_unknown_share_is_not_estimated() -> None:
    limited = estimated(WorkItem(WorkKind.ROW_CHANGE, "shop_order", limited_by_where=True))
    assert limited.estimate is not None and limited.estimate.seconds is None
    assert limited.estimate.unknown == (
        "UPDATE with a WHERE: the share of rows it changes is unknown")
    insert = estimated(WorkItem(WorkKind.ROW_CHANGE, "shop_order"), kind="INSERT")
    assert insert.estimate is not None
    assert insert.estimate.unknown == "INSERT: how many rows it writes is unknown"


def test_unknown_work_gives_its_reason_and_no_work_is_not_applicable() -> None:
    opaque = estimated(WorkItem(WorkKind.UNKNOWN, reason="a DO block"), cost=Cost.UNKNOWN)
    assert opaque.estimate is not None and opaque.estimate.unknown == "a DO block"
    # The cost alone is no work: only the items are.
    none = estimated(cost=Cost.REWRITE)
    assert none.estimate is not None and none.estimate.seconds is None
    assert none.estimate.unknown == "not applicable: no work in proportion to a table's size"


def test_a_table_the_snapshot_lacks_has_no_size() -> None:
    estimate = estimated(WorkItem(WorkKind.REWRITE, "shop_coupon"), cost=Cost.REWRITE).estimate
    assert estimate is not None and estimate.seconds is None
    assert estimate.unknown == "no size for shop_coupon in the snapshot"
