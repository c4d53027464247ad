"""SR1xx: work on every row: REFRESH MATERIALIZED VIEW, UPDATE or DELETE without WHERE."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.rules.base import (
    UNBOUNDED,
    Example,
    Rule,
    StatementFacts,
    each,
)
from sqlreview.results import Finding, Level


def check_refresh(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.REFRESH_MATERIALIZED_VIEW, ""):
        yield SR111.finding(f"{r.action.description} blocks reads of {r.target} until "
                            "the refresh ends")


SR111 = Rule(
    "SR111", "refresh-materialized-view-blocks-reads", Level.HIGH,
    "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view.",
    "Queries on the view wait for the whole refresh.",
    "Add a unique index to the view and use REFRESH MATERIALIZED VIEW CONCURRENTLY.",
    check=check_refresh,
    examples=(
        Example(
            "REFRESH MATERIALIZED VIEW shop_sales;",
            """
            CREATE UNIQUE INDEX CONCURRENTLY shop_sales_customer ON shop_sales (customer_id);
            REFRESH MATERIALIZED VIEW CONCURRENTLY shop_sales;
            """,
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_all_rows(facts: StatementFacts) -> Iterable[Finding]:
    for kind in (StatementKind.UPDATE, StatementKind.DELETE):
        for r in each(facts, kind, "all rows"):
            yield SR116.finding(f"{kind} without WHERE changes every row of {r.target} in "
                                "one transaction")


SR116 = Rule(
    "SR116", "update-all-rows", Level.MEDIUM,
    "UPDATE or DELETE without WHERE changes every row in one transaction.",
    "Every row stays locked until COMMIT, the table bloats and replicas lag.",
    "Backfill in batches, outside the schema migration's transaction (a separate "
    "non-atomic migration, or a management command).",
    check=check_all_rows,
    examples=(
        Example("UPDATE shop_order SET status = 'archived';",
                "UPDATE shop_order SET status = 'archived' WHERE id BETWEEN 1 AND 10000;"),
        Example("DELETE FROM shop_order;",
                "DELETE FROM shop_order WHERE id BETWEEN 1 AND 10000;"),
    ),
    size_graded=True,
)


RULES = (SR111, SR116)
