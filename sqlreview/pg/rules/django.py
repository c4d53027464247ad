"""SR3xx: Django operations the SQL alone does not show."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.rules.base import Example, Rule, StatementFacts
from sqlreview.results import Finding, Level

SR301 = Rule(
    "SR301", "run-python", Level.MEDIUM,
    "RunPython is an opaque data migration.",
    "sqlreview cannot see which rows it reads or writes, nor how long it runs; on a "
    "production-sized table a loop over all rows can take hours and hold row locks "
    "until COMMIT.",
    "Process rows in batches, keep data migrations separate from schema migrations, "
    "and consider `atomic = False` so each batch commits.",
    raised_by=(
        "sqlreview.review.migrations._feed_python",
        "sqlreview.review.migrations._flag_python_beside_ddl",
    ),
    examples_elsewhere="tests/analyzer/test_rules.py (DJANGO_EXAMPLES)",
)

SR302 = Rule(
    "SR302", "run-python-beside-ddl", Level.HIGH,
    "RunPython runs in the same transaction as schema changes.",
    "The schema changes' locks (often ACCESS EXCLUSIVE) are held until the data "
    "migration finishes, and the data migration's row locks until the DDL commits.",
    "Move the RunPython into its own migration; Django's documentation recommends not "
    "mixing schema and data changes in one atomic migration on PostgreSQL.",
    raised_by=("sqlreview.review.migrations._flag_python_beside_ddl",),
    examples_elsewhere="tests/analyzer/test_rules.py (DJANGO_EXAMPLES)",
)

def check_idempotent_run_sql(facts: StatementFacts) -> Iterable[Finding]:
    from sqlreview.pg.rules.reading import unguarded  # pglast: only when checking

    if not facts.hand_written or facts.in_transaction:
        return
    for problem in unguarded(facts.node):
        yield SR303.finding(f"{problem}: if the migration fails after this statement, "
                            "running it again fails here")


SR303 = Rule(
    "SR303", "run-sql-not-idempotent", Level.LOW,
    "RunSQL in a non-atomic migration creates or drops something without IF [NOT] "
    "EXISTS.",
    "Outside a transaction every statement commits on its own: when a later statement "
    "fails, Django does not record the migration, and `migrate` runs it again from the "
    "start, where this statement now fails (\"already exists\", \"does not exist\") "
    "until someone fixes the database by hand.",
    "Add `IF NOT EXISTS` / `IF EXISTS` (`CREATE OR REPLACE` for views). For CREATE INDEX "
    "CONCURRENTLY, `DROP INDEX CONCURRENTLY IF EXISTS` first is safer: a failed "
    "concurrent build leaves an INVALID index that IF NOT EXISTS would keep.",
    check=check_idempotent_run_sql,
    scope="Only the SQL of `RunSQL` operations listed in a migration's `operations` "
          "(inside `SeparateDatabaseAndState` it is not told apart from Django's own), "
          "outside a transaction; `sqlreview sql` cannot tell hand-written SQL from what Django "
          "emits, and does not raise it. In an atomic migration a failure rolls "
          "everything back, so a retry starts clean.",
    examples=(
        Example("CREATE INDEX CONCURRENTLY shop_order_placed_idx ON shop_order (placed_at);",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS shop_order_placed_idx "
                "ON shop_order (placed_at);",
                hand_written=True),
        Example("ALTER TABLE shop_order ADD COLUMN coupon text;",
                "ALTER TABLE shop_order ADD COLUMN IF NOT EXISTS coupon text;",
                hand_written=True),
        Example("DROP INDEX CONCURRENTLY shop_order_status_idx;",
                "DROP INDEX CONCURRENTLY IF EXISTS shop_order_status_idx;",
                hand_written=True),
    ),
)

RULES = (SR301, SR302, SR303)
