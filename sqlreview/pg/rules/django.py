"""SR3xx: Django operations the SQL alone does not show.

SR301 and SR302 judge a whole migration (``MigrationFacts``): the review stage
(``sqlreview.review.migrations``) runs their checks once it has analysed it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.locking import LockMode
from sqlreview.pg.rules.base import (
    DjangoExample,
    Example,
    MigrationExample,
    MigrationFacts,
    MigrationStatement,
    Rule,
    StatementFacts,
)
from sqlreview.results import Finding, Level, StatementResult


def check_run_python(facts: MigrationFacts) -> Iterable[tuple[int, Finding]]:
    for run in facts.opaque_python:
        yield run.index, SR301.finding(
            f"RunPython {run.name} changes data sqlreview cannot see{run.reverse}")


def check_python_beside_ddl(facts: MigrationFacts) -> Iterable[tuple[int, Finding]]:
    if not facts.atomic:
        return
    ddl = [s for s in facts.statements
           if _changes_existing_schema(s) and s.index not in facts.executed_by_python]
    if not ddl:
        return
    changes = "1 schema change" if len(ddl) == 1 else f"{len(ddl)} schema changes"
    for run in facts.opaque_python:
        operation = facts.statement(run.index).operation or "RunPython"
        yield run.index, SR302.finding(
            f"{operation} runs in the same transaction as {changes}: their locks stay held "
            "until it finishes")


def _changes_existing_schema(statement: StatementResult) -> bool:
    """DDL whose lock (SHARE UPDATE EXCLUSIVE or stronger) on a relation that existed
    before the migration stays held while a RunPython in its transaction runs."""
    return statement.kind not in ("PYTHON", "TRANSACTION") and any(
        lock.mode >= LockMode.SHARE_UPDATE_EXCLUSIVE and lock.relation not in
        statement.new_relations for lock in statement.locks)


# How Django describes the operations of the examples (``Operation.describe()``).
_ADD_COLUMN = MigrationStatement("Add field coupon to order",
                                 'ALTER TABLE "shop_order" ADD COLUMN "coupon" text NULL;')
_RUN_PYTHON = MigrationStatement("Raw Python operation")
_RUN_SQL = "Raw SQL operation"
_INDEX_SQL = 'CREATE INDEX CONCURRENTLY "shop_order_placed_idx" ON "shop_order" ("placed_at");'

SR301 = Rule(
    "SR301", "run-python", Level.MEDIUM,
    "RunPython is an opaque data migration.",
    "sqlreview cannot see which rows it reads or writes, nor how long it runs; on a "
    "production-sized table a loop over all rows can take hours and hold row locks "
    "until COMMIT.",
    "Process rows in batches, keep data migrations separate from schema migrations, "
    "and consider `atomic = False` so each batch commits.",
    migration_check=check_run_python,
    django_examples=(
        DjangoExample(
            MigrationExample(atomic=False, statements=(_RUN_PYTHON,)),
            MigrationExample(atomic=False, statements=(MigrationStatement(
                _RUN_SQL, 'UPDATE "shop_order" SET "coupon" = \'\' '
                         'WHERE "id" BETWEEN 1 AND 10000;'),)),
            why_good="one batch as a RunSQL: sqlreview sees what it locks and costs"),
    ),
)

SR302 = Rule(
    "SR302", "run-python-beside-ddl", Level.HIGH,
    "RunPython runs in the same transaction as schema changes.",
    "The schema changes' locks (often ACCESS EXCLUSIVE) are held until the data "
    "migration finishes, and the data migration's row locks until the DDL commits.",
    "Move the RunPython into its own migration; Django's documentation recommends not "
    "mixing schema and data changes in one atomic migration on PostgreSQL.",
    migration_check=check_python_beside_ddl,
    django_examples=(
        DjangoExample(
            MigrationExample(atomic=True, statements=(_ADD_COLUMN, _RUN_PYTHON)),
            MigrationExample(atomic=True, statements=(_RUN_PYTHON,)),
            why_good="the RunPython in a migration of its own, which still raises SR301"),
    ),
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
    django_examples=(
        DjangoExample(
            MigrationExample(atomic=False, statements=(MigrationStatement(_RUN_SQL, _INDEX_SQL),)),
            MigrationExample(atomic=False, statements=(MigrationStatement(
                _RUN_SQL, _INDEX_SQL.replace("CONCURRENTLY", "CONCURRENTLY IF NOT EXISTS")),)),
            why_good="IF NOT EXISTS: running it again skips it"),
    ),
)

RULES = (SR301, SR302, SR303)
