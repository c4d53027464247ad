"""SR1xx: building, dropping and rebuilding indexes under a lock that blocks writes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.rules.base import (
    UNBOUNDED,
    Example,
    Rule,
    StatementFacts,
    each,
    target_lock,
)
from sqlreview.results import Finding, Level


def check_create_index(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.CREATE_INDEX, ""):
        message = f"{r.action.description} blocks writes to {r.target} until the index is built"
        if r.action.covered_by:
            message += (f"; {r.action.covered_by} already covers these columns (if it is a "
                        "ForeignKey's automatic index, set db_index=False on that field)")
        yield SR107.finding(message)


SR107 = Rule(
    "SR107", "create-index-blocks-writes", Level.HIGH,
    "CREATE INDEX without CONCURRENTLY blocks writes for the whole build.",
    "The SHARE lock stops INSERT, UPDATE and DELETE until the index is built.",
    "Use CREATE INDEX CONCURRENTLY. In Django: `AddIndexConcurrently` in a migration "
    "with `atomic = False`.",
    check=check_create_index,
    examples=(
        Example("CREATE INDEX shop_order_placed_idx ON shop_order (placed_at);",
                "CREATE INDEX CONCURRENTLY shop_order_placed_idx ON shop_order (placed_at);",
                also=UNBOUNDED),
    ),
    size_graded=True,
)


def check_drop_index(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.DROP_INDEX, ""):
        yield SR109.finding(f"{r.action.description} takes {target_lock(r)} on {r.target}: "
                            "reads and writes queue behind it")


SR109 = Rule(
    "SR109", "drop-index-locks-table", Level.MEDIUM,
    "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table.",
    "Brief, but it queues behind running queries and blocks everything behind it.",
    "Use DROP INDEX CONCURRENTLY. In Django: `RemoveIndexConcurrently` with "
    "`atomic = False`.",
    check=check_drop_index,
    examples=(
        Example("DROP INDEX shop_order_status_idx;",
                "DROP INDEX CONCURRENTLY shop_order_status_idx;"),
    ),
)


def check_reindex(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.REINDEX, ""):
        yield SR112.finding(f"{r.action.description} blocks writes to {r.target} until "
                            "the index is rebuilt")


SR112 = Rule(
    "SR112", "reindex-blocks-writes", Level.HIGH,
    "REINDEX without CONCURRENTLY blocks writes while it rebuilds.",
    "Writes wait, and so do queries that would use the index.",
    "Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction block.",
    check=check_reindex,
    examples=(
        Example("REINDEX INDEX shop_order_status_idx;",
                "REINDEX INDEX CONCURRENTLY shop_order_status_idx;", also=UNBOUNDED),
    ),
    size_graded=True,
)


RULES = (SR107, SR109, SR112)
