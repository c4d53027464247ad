"""SR1xx: changes to a table's columns or storage that rewrite or re-read every row."""

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
from sqlreview.results import Cost, Finding, Level


def check_add_column_rewrite(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_ADD_COLUMN):
        if r.entry.cost is Cost.REWRITE:
            yield SR101.finding(
                f"{r.action.description} ({r.action.variant}) rewrites every row of "
                f"{r.target} under {target_lock(r)}"
            )


SR101 = Rule(
    "SR101", "add-column-rewrites-table", Level.CRITICAL,
    "Adding a column with a volatile default, identity or stored generated value "
    "rewrites the table.",
    "Every row is rewritten while ACCESS EXCLUSIVE blocks all reads and writes; "
    "on a large table that is an outage.",
    "Add the column nullable without a default, backfill in batches, then set the "
    "default. In Django, use a constant `db_default` or a Python-side `default`.",
    check=check_add_column_rewrite,
    examples=(
        Example(
            "ALTER TABLE shop_order ADD COLUMN token uuid DEFAULT gen_random_uuid();",
            """
            ALTER TABLE shop_order ADD COLUMN token uuid;
            ALTER TABLE shop_order ALTER COLUMN token SET DEFAULT gen_random_uuid();
            UPDATE shop_order SET token = gen_random_uuid() WHERE id BETWEEN 1 AND 10000;
            """,
            why_good="nullable without default, then the default, then a batch of the backfill",
            also=UNBOUNDED,
        ),
        Example(
            "ALTER TABLE shop_order ADD COLUMN number bigint GENERATED ALWAYS AS IDENTITY;",
            "ALTER TABLE shop_order ADD COLUMN priority integer DEFAULT 0 NOT NULL;",
            why_good="a constant db_default is stored in the catalog (PostgreSQL 11+)",
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_add_not_null_column(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_ADD_COLUMN, "not null without default"):
        yield SR102.finding(
            f"{r.action.description} is NOT NULL without a default: it fails if {r.target} "
            "has any rows"
        )


SR102 = Rule(
    "SR102", "add-not-null-column-without-default", Level.HIGH,
    "Adding a NOT NULL column without a default fails on a table with rows.",
    "PostgreSQL must check every existing row, and any row makes it fail.",
    "Give the column a default (Django: `default=` or `db_default=`), or add it "
    "nullable, backfill, then set NOT NULL.",
    check=check_add_not_null_column,
    examples=(
        Example("ALTER TABLE shop_order ADD COLUMN priority integer NOT NULL;",
                "ALTER TABLE shop_order ADD COLUMN priority integer DEFAULT 0 NOT NULL;",
                also=UNBOUNDED),
    ),
)


def check_type_change(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_ALTER_COLUMN_TYPE):
        if r.entry.cost is Cost.REWRITE:
            reason = "; ".join(r.action.notes)
            yield SR103.finding(f"{r.action.description} rewrites {r.target} under "
                                f"{target_lock(r)}: {reason}")


SR103 = Rule(
    "SR103", "column-type-change-rewrites-table", Level.CRITICAL,
    "Changing the column's type rewrites the table and rebuilds its indexes.",
    "ACCESS EXCLUSIVE is held for the whole rewrite: reads and writes stop.",
    "Add a new column of the new type, write to both, backfill in batches, switch "
    "readers, then drop the old column. Widening varchar or dropping a length limit "
    "does not rewrite.",
    check=check_type_change,
    examples=(
        Example('ALTER TABLE "shop_customer" ALTER COLUMN "name" TYPE varchar(50);',
                'ALTER TABLE "shop_customer" ALTER COLUMN "name" TYPE varchar(200);',
                why_good="widening varchar does not rewrite", also=UNBOUNDED),
        Example(
            'ALTER TABLE "shop_customer" ALTER COLUMN "age" TYPE bigint USING "age"::bigint;',
            """
            ALTER TABLE shop_customer ADD COLUMN age_big bigint;
            UPDATE shop_customer SET age_big = age WHERE id BETWEEN 1 AND 10000;
            """,
            why_good="a new column of the new type, backfilled in batches",
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_type_change_revalidates(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_ALTER_COLUMN_TYPE):
        if r.entry.cost is Cost.SCAN:
            constraints = ", ".join(r.action.rechecked) or "its CHECK constraints"
            yield SR123.finding(f"{r.action.description} does not rewrite {r.target}, but "
                                f"PostgreSQL re-checks {constraints} on every row under "
                                f"{target_lock(r)}")


SR123 = Rule(
    "SR123", "type-change-rechecks-constraints", Level.HIGH,
    "A type change that keeps the stored data still re-checks the column's CHECK "
    "constraints on every row.",
    "Widening varchar needs no rewrite, but each CHECK that uses the column is validated "
    "again, a full scan under ACCESS EXCLUSIVE: reads and writes wait for it.",
    "Drop the CHECK, change the type, then add the CHECK back as NOT VALID and VALIDATE "
    "it in a later migration (Django: RemoveConstraint, AlterField, "
    "AddConstraintNotValid, ValidateConstraint).",
    check=check_type_change_revalidates,
    examples=(
        Example(
            """
            ALTER TABLE shop_customer ADD CONSTRAINT nickname_not_blank
                CHECK (nickname <> '') NOT VALID;
            ALTER TABLE shop_customer VALIDATE CONSTRAINT nickname_not_blank;
            ALTER TABLE shop_customer ALTER COLUMN nickname TYPE varchar(80);
            """,
            """
            ALTER TABLE shop_customer ALTER COLUMN nickname TYPE varchar(80);
            ALTER TABLE shop_customer ADD CONSTRAINT nickname_not_blank
                CHECK (nickname <> '') NOT VALID;
            """,
            why_good="the CHECK is added after the type change, NOT VALID",
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


_REWRITING_KINDS = (
    StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_EXPRESSION,
    StatementKind.ALTER_TABLE_SET_ACCESS_METHOD,
    StatementKind.ALTER_TABLE_SET_LOGGED,
    StatementKind.ALTER_TABLE_SET_TABLESPACE,
    StatementKind.ALTER_TABLE_SET_UNLOGGED,
    StatementKind.CLUSTER,
    StatementKind.VACUUM_FULL,
)


def check_table_rewrites(facts: StatementFacts) -> Iterable[Finding]:
    for kind in _REWRITING_KINDS:
        for r in each(facts, kind):
            if r.entry.cost is Cost.REWRITE:
                yield SR110.finding(f"{r.action.description} rewrites every row of "
                                    f"{r.target} under {target_lock(r)}")


SR110 = Rule(
    "SR110", "table-rewrite", Level.CRITICAL,
    "The statement rewrites the whole table under ACCESS EXCLUSIVE.",
    "SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD, VACUUM FULL and CLUSTER "
    "copy every row while reads and writes wait.",
    "Schedule it in a maintenance window, or use an online tool such as pg_repack.",
    check=check_table_rewrites,
    examples=(
        Example("VACUUM FULL shop_order;", "VACUUM (ANALYZE) shop_order;",
                why_good="pg_repack runs outside SQL; the online in-SQL counterpart is plain "
                         "VACUUM", also=UNBOUNDED),
        Example("CLUSTER shop_order USING shop_order_status_idx;",
                "ALTER TABLE shop_order CLUSTER ON shop_order_status_idx;",
                why_good="marks the index for a later (maintenance window) CLUSTER, rewrites "
                         "nothing", also=UNBOUNDED),
    ),
    size_graded=True,
)


RULES = (SR101, SR102, SR103, SR110, SR123)
