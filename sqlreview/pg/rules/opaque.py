"""SR1xx: statements whose work sqlreview cannot see."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.rules.base import (
    Example,
    Rule,
    StatementFacts,
)
from sqlreview.results import Cost, Finding, Level


def check_opaque(facts: StatementFacts) -> Iterable[Finding]:
    for resolved in facts.actions:
        if resolved.entry.cost is Cost.UNKNOWN:
            yield SR120.finding(f"{resolved.action.description} is {resolved.entry.note}")


SR120 = Rule(
    "SR120", "opaque-statement", Level.MEDIUM,
    "sqlreview cannot see what this statement does to tables.",
    "DO blocks, procedures, extensions and unknown statement kinds may lock or "
    "rewrite anything.",
    "Review it by hand, or write the SQL it runs as plain statements.",
    check=check_opaque,
    examples=(
        Example("DO $$ BEGIN UPDATE shop_order SET status = 'x' WHERE id < 100; END $$;",
                "UPDATE shop_order SET status = 'x' WHERE id < 100;",
                why_good="the SQL the block runs, as a plain statement"),
        Example("CALL shop_archive_orders();",
                "UPDATE shop_order SET status = 'archived' WHERE id BETWEEN 1 AND 10000;"),
    ),
)


RULES = (SR120,)
