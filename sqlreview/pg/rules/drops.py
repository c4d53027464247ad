"""SR1xx: what is deleted: TRUNCATE, DROP COLUMN, DROP TABLE, DROP DATABASE."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.rules.base import (
    Example,
    ResolvedAction,
    Rule,
    StatementFacts,
    each,
)
from sqlreview.results import Finding, Level

# Django's sqlmigrate output for a SeparateDatabaseAndState that only changes
# the state: the rolling-deploy-safe first step before dropping anything.
STATE_ONLY = """
BEGIN;
--
-- Custom state/database change combination
--
COMMIT;
"""


def check_truncate(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.TRUNCATE):
        yield SR115.finding(f"TRUNCATE deletes every row of {r.target}")


SR115 = Rule(
    "SR115", "truncate", Level.HIGH,
    "TRUNCATE deletes every row and locks the table ACCESS EXCLUSIVE.",
    "Data is gone for every server, including the ones still running the old code.",
    "Make sure this is intended; delete in batches if other code still uses the table.",
    check=check_truncate,
    examples=(
        Example("TRUNCATE shop_order;", "DELETE FROM shop_order WHERE id BETWEEN 1 AND 10000;",
                why_good="one batch of a batched delete"),
    ),
)


def check_drop_column(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_DROP_COLUMN):
        yield SR117.finding(f"{r.action.description} removes it from {r.target} while "
                            "servers running the previous release may still use it"
                            f"{_cascade(r)}")


SR117 = Rule(
    "SR117", "drop-column", Level.MEDIUM,
    "Dropping a column breaks servers still running the previous release.",
    "During a rolling deploy, old code still selects and inserts the column.",
    "First deploy code that no longer uses the column (Django: remove the field with "
    "`SeparateDatabaseAndState`, state only), then drop it in a later release.",
    check=check_drop_column,
    examples=(
        Example("ALTER TABLE shop_customer DROP COLUMN bio;", STATE_ONLY,
                why_good="the field removed from the state only, the column dropped a release "
                         "later"),
    ),
)


def check_drop_table(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.DROP_TABLE):
        yield SR119.finding(f"DROP TABLE {r.target} deletes it and its rows while servers "
                            f"running the previous release may still use it{_cascade(r)}")


def _cascade(r: ResolvedAction) -> str:
    """What CASCADE drops along with the target, said at the end of the message."""
    dropped = [name for name in r.action.related(Role.DEPENDENT) if name in r.existing]
    if not dropped:
        return ""
    views = "view" if len(dropped) == 1 else "views"
    return f"; CASCADE also drops the {views} {', '.join(dropped)}"


SR119 = Rule(
    "SR119", "drop-table", Level.MEDIUM,
    "Dropping a table breaks servers still running the previous release, and its "
    "data is gone.",
    "Old code may still read or write the table during the deploy.",
    "Remove the model from the code first (state only), drop the table in a later "
    "release.",
    check=check_drop_table,
    examples=(
        Example("DROP TABLE shop_event_2025;", STATE_ONLY,
                why_good="the model removed from the state only, the table dropped a release "
                         "later"),
    ),
)


def check_drop_database(facts: StatementFacts) -> Iterable[Finding]:
    from sqlreview.pg.rules.reading import dropped_database  # pglast: only when checking

    database = dropped_database(facts.node)
    if database is not None:
        yield SR122.finding(f"DROP DATABASE {database} deletes the whole database")


SR122 = Rule(
    "SR122", "drop-database", Level.CRITICAL,
    "DROP DATABASE deletes a whole database.",
    "Every table and every row in it is gone, for every application that uses it; "
    "nothing in a migration can undo it.",
    "Never drop a database from a migration: do it by hand, after a backup, once nothing "
    "connects to it.",
    check=check_drop_database,
    examples=(
        Example("DROP DATABASE shop_archive;", "DROP TABLE IF EXISTS shop_event_2025;",
                why_good="a table of the migration's own app, not a database"),
    ),
)


RULES = (SR115, SR117, SR119, SR122)
