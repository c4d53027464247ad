"""SR1xx: renames the running (old) code does not know."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.rules.base import (
    Example,
    Rule,
    StatementFacts,
    each,
)
from sqlreview.results import Finding, Level


def check_rename(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_RENAME_COLUMN):
        yield SR118.finding(f"{r.action.description} on {r.target}: servers running the "
                            "previous release still use the old name")
    for r in each(facts, StatementKind.ALTER_TABLE_RENAME):
        new_name = r.action.description.removeprefix("RENAME TO ")
        yield SR118.finding(f"{r.target} is renamed to {new_name}: servers running the "
                            "previous release still use the old name")


SR118 = Rule(
    "SR118", "rename-breaks-running-code", Level.HIGH,
    "Renaming a column or table breaks servers still running the previous release.",
    "Old code keeps using the old name until every server is replaced.",
    "Add the new column or table, write to both, migrate readers, then drop the old "
    "one; or keep the old name in the database with `db_column` / `db_table`.",
    check=check_rename,
    examples=(
        Example("ALTER TABLE shop_customer RENAME COLUMN nickname TO handle;",
                "ALTER TABLE shop_customer ADD COLUMN handle varchar(50);",
                why_good="add the new column and write to both"),
        Example("ALTER TABLE shop_order RENAME TO shop_purchase;",
                "CREATE TABLE shop_purchase (id bigint PRIMARY KEY, total numeric(10, 2));",
                why_good="add the new table, migrate readers, drop the old one later"),
    ),
)


def check_rename_enum_value(facts: StatementFacts) -> Iterable[Finding]:
    from sqlreview.pg.rules.reading import renamed_enum_value  # pglast: only when checking

    renamed = renamed_enum_value(facts.node)
    if renamed is not None:
        type_name, old, new = renamed
        yield SR121.finding(f"the value '{old}' of {type_name} becomes '{new}': servers "
                            f"running the previous release still write and expect '{old}'")


SR121 = Rule(
    "SR121", "rename-enum-value", Level.HIGH,
    "Renaming an enum value breaks servers still running the previous release.",
    "From the moment it commits, the old code's writes of the old label fail with "
    "\"invalid input value for enum\", and its reads get a label it does not know.",
    "Add the new value (`ALTER TYPE ... ADD VALUE`), ship code that writes it and reads "
    "both, update the rows in batches, and stop using the old value; PostgreSQL cannot "
    "drop an enum value, so leave it or recreate the type later.",
    check=check_rename_enum_value,
    examples=(
        Example("ALTER TYPE shop_mood RENAME VALUE 'ok' TO 'fine';",
                "ALTER TYPE shop_mood ADD VALUE 'fine';",
                why_good="the new value beside the old one"),
    ),
)


RULES = (SR118, SR121)
