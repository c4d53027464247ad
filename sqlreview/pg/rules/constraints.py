"""SR1xx: constraints whose validation reads, or whose index builds on, the whole table."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.locking import LockMode
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.rules.base import (
    UNBOUNDED,
    Example,
    ResolvedAction,
    Rule,
    StatementFacts,
    each,
    target_lock,
)
from sqlreview.results import Cost, Finding, Level


def _blocked(r: ResolvedAction) -> str:
    """The existing tables whose writes the action blocks, the target first."""
    names = [name for role, mode in r.locks() if mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
             for name in r.action.related(role) if name in r.existing]
    return " and ".join(dict.fromkeys(names)) or r.target


def _validating(facts: StatementFacts, *kinds: StatementKind) -> Iterable[ResolvedAction]:
    for kind in kinds:
        for r in each(facts, kind):
            if r.entry.cost.reads_whole_table:
                yield r


def _constraint(r: ResolvedAction) -> str:
    """How to name the constraint: ADD CONSTRAINT x UNIQUE, or a new column's inline one."""
    description = r.action.description
    if description.startswith("ADD CONSTRAINT") or r.action.column is None:
        return description
    return f"the inline {description.removeprefix('ADD ')} of column {r.action.column}"


def check_set_not_null(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_NOT_NULL):
        if r.entry.cost is Cost.SCAN:
            yield SR104.finding(f"{r.action.description} reads every row of {r.target} "
                                f"under {target_lock(r)}")
    for r in _validating(facts, StatementKind.ALTER_TABLE_ADD_CONSTRAINT_NOT_NULL):
        yield SR104.finding(f"{_constraint(r)} reads every row of {r.target} under "
                            f"{target_lock(r)}")


SR104 = Rule(
    "SR104", "set-not-null-scans-table", Level.HIGH,
    "SET NOT NULL reads the whole table under ACCESS EXCLUSIVE.",
    "Reads and writes wait until every row has been checked.",
    "On PostgreSQL 12+, add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it, then "
    "SET NOT NULL (no scan) and drop the check. In Django: AddConstraintNotValid + "
    "ValidateConstraint, then AlterField.",
    check=check_set_not_null,
    examples=(
        Example(
            "ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;",
            """
            ALTER TABLE shop_order ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;
            ALTER TABLE shop_order VALIDATE CONSTRAINT note_nn;
            ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;
            ALTER TABLE shop_order DROP CONSTRAINT note_nn;
            """,
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_check_constraint(facts: StatementFacts) -> Iterable[Finding]:
    for r in _validating(facts, StatementKind.ALTER_TABLE_ADD_CONSTRAINT_CHECK):
        yield SR105.finding(f"{_constraint(r)} reads every row of {r.target} to validate it "
                            f"under {target_lock(r)}")


SR105 = Rule(
    "SR105", "check-constraint-validates-table", Level.HIGH,
    "Adding a CHECK constraint validates every row under ACCESS EXCLUSIVE.",
    "Reads and writes wait for the full scan.",
    "Add it NOT VALID, then VALIDATE CONSTRAINT in a later step (SHARE UPDATE "
    "EXCLUSIVE only). In Django: `AddConstraintNotValid` then `ValidateConstraint` "
    "from django.contrib.postgres.operations.",
    check=check_check_constraint,
    examples=(
        Example(
            "ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total >= 0);",
            """
            ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;
            ALTER TABLE shop_order VALIDATE CONSTRAINT total_positive;
            """,
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_foreign_key(facts: StatementFacts) -> Iterable[Finding]:
    for r in _validating(facts, StatementKind.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY):
        yield SR106.finding(f"{_constraint(r)} reads every row of {r.target} to validate it, "
                            f"blocking writes to {_blocked(r)} until it is done")


SR106 = Rule(
    "SR106", "foreign-key-validates-table", Level.HIGH,
    "Adding a foreign key validates every row while blocking writes on both tables.",
    "SHARE ROW EXCLUSIVE on the table and the referenced table is held for the "
    "whole check.",
    "Add it NOT VALID, then VALIDATE CONSTRAINT separately. In Django: "
    "`AddConstraintNotValid` + `ValidateConstraint`, or `SeparateDatabaseAndState` "
    "with RunSQL for the field's constraint.",
    check=check_foreign_key,
    examples=(
        Example(
            "ALTER TABLE shop_order ADD CONSTRAINT shop_order_customer_fk "
            "FOREIGN KEY (customer_id) REFERENCES shop_customer (id);",
            """
            ALTER TABLE shop_order ADD CONSTRAINT shop_order_customer_fk
                FOREIGN KEY (customer_id) REFERENCES shop_customer (id) NOT VALID;
            ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_customer_fk;
            """,
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_index_building_constraint(facts: StatementFacts) -> Iterable[Finding]:
    for r in _validating(facts, StatementKind.ALTER_TABLE_ADD_CONSTRAINT_UNIQUE,
                         StatementKind.ALTER_TABLE_ADD_CONSTRAINT_PRIMARY_KEY,
                         StatementKind.ALTER_TABLE_ADD_CONSTRAINT_EXCLUDE):
        yield SR108.finding(f"{_constraint(r)} builds its index on {r.target} under "
                            f"{target_lock(r)}")


SR108 = Rule(
    "SR108", "constraint-builds-index", Level.HIGH,
    "Adding a UNIQUE, PRIMARY KEY or EXCLUDE constraint (also inline, in ADD COLUMN) "
    "builds an index under ACCESS EXCLUSIVE.",
    "Reads and writes wait for the index build.",
    "Build a unique index CONCURRENTLY first, then `ADD CONSTRAINT ... UNIQUE USING "
    "INDEX` (or `PRIMARY KEY USING INDEX`), which is metadata only; for a new column, add "
    "the column without the constraint first. EXCLUDE has no such path.",
    check=check_index_building_constraint,
    examples=(
        Example(
            "ALTER TABLE shop_customer ADD CONSTRAINT shop_customer_email_key UNIQUE (email);",
            """
            CREATE UNIQUE INDEX CONCURRENTLY shop_customer_email_key ON shop_customer (email);
            ALTER TABLE shop_customer ADD CONSTRAINT shop_customer_email_key
                UNIQUE USING INDEX shop_customer_email_key;
            """,
            also=UNBOUNDED,
        ),
        Example(
            "ALTER TABLE shop_customer ADD COLUMN code varchar(20) UNIQUE;",
            """
            ALTER TABLE shop_customer ADD COLUMN code varchar(20);
            CREATE UNIQUE INDEX CONCURRENTLY shop_customer_code_key ON shop_customer (code);
            ALTER TABLE shop_customer ADD CONSTRAINT shop_customer_code_key
                UNIQUE USING INDEX shop_customer_code_key;
            """,
            why_good="the column first, its unique index built concurrently, then the "
                     "constraint on that index",
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


RULES = (SR104, SR105, SR106, SR108)
