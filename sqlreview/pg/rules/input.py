"""SR0xx: the input itself: what cannot be parsed, rendered, or run on your version."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlreview.pg import knowledge
from sqlreview.pg.rules.base import (
    UNBOUNDED,
    DjangoExample,
    Example,
    MigrationExample,
    MigrationStatement,
    Rule,
    StatementFacts,
)
from sqlreview.results import Finding, Level

if TYPE_CHECKING:
    from pglast import ast


def check_version(facts: StatementFacts) -> Iterable[Finding]:
    for resolved in facts.actions:
        action = resolved.action
        since = knowledge.introduced_in(action.kind, action.variant, facts.pg_version)
        if since is None and action.variant:
            since = knowledge.introduced_in(action.kind, "", facts.pg_version)
        if since is not None:
            form = f"{action.kind} {action.variant}".strip()
            yield SR003.finding(
                f"{form} needs PostgreSQL {since}; PostgreSQL {facts.pg_version} rejects it")


# Syntax inside a statement that older servers reject (``reading.nested_syntax``), with
# the version that added it, and what Django does on an older server instead.
_NESTED_SYNTAX = {
    "nulls not distinct": (
        "UNIQUE NULLS NOT DISTINCT", 15,
        "; Django itself, run against an older PostgreSQL, emits no constraint at all for a "
        "UniqueConstraint(nulls_distinct=False) (its backend lacks the feature): production "
        "would silently miss it"),
    "json constructor": (
        "JSON_OBJECT()/JSON_ARRAY()", 16,
        "; Django's JSONObject renders as json_build_object() on older PostgreSQL"),
}


def version_gated_syntax(node: ast.Node, pg_version: int) -> list[Finding]:
    """SR003 for syntax nested anywhere in the statement (not a statement kind of its own)."""
    from sqlreview.pg.rules.reading import nested_syntax  # pglast: only when checking

    found = [_NESTED_SYNTAX[key] for key in _NESTED_SYNTAX if key in nested_syntax(node)]
    return [SR003.finding(f"{form} needs PostgreSQL {since}; PostgreSQL {pg_version} "
                          f"rejects it{django}")
            for form, since, django in found if pg_version < since]


_ADD_COLUMN = MigrationStatement("Add field coupon to order",
                                 'ALTER TABLE "shop_order" ADD COLUMN "coupon" text NULL;')

SR001 = Rule(
    "SR001", "unparseable-statement", Level.HIGH,
    "The statement could not be parsed.",
    "sqlreview cannot tell what it locks or costs; neither can a reviewer at a glance.",
    "Fix the syntax, or check that the input is SQL for PostgreSQL.",
    raised_by=("sqlreview.pg.analyzer.Analyzer._record_unparsed",),
    examples=(
        Example("ALTER TABLE shop_order ADD COLUMN;",
                "ALTER TABLE shop_order ADD COLUMN coupon text;",
                why_good="the syntax fixed"),
    ),
)

SR002 = Rule(
    "SR002", "migration-failed", Level.HIGH,
    "A migration could not be rendered or applied on the scratch database.",
    "Its SQL is missing or approximate, and migrations after it may be rendered "
    "against a schema that differs from production.",
    "Fix the error shown, or pass --scratch-url with a server that has what the "
    "migration needs (extensions, collations).",
    raised_by=("sqlreview.pg.analyzer.Analyzer.record_failure",),
    django_examples=(
        DjangoExample(
            MigrationExample(atomic=True, statements=(_ADD_COLUMN,),
                             error='ProgrammingError: extension "postgis" is not available'),
            MigrationExample(atomic=True, statements=(_ADD_COLUMN,)),
            why_good="the same one, rendered: its SQL is reviewed"),
    ),
)

SR003 = Rule(
    "SR003", "needs-newer-postgresql", Level.CRITICAL,
    "The statement uses syntax the PostgreSQL you deploy on does not have.",
    "PostgreSQL rejects it and the migration fails (the verdict shown is that of the "
    "closest form your version has).",
    "Use the older form, or raise --pg-version if production really runs a newer "
    "PostgreSQL.",
    check=check_version,
    examples=(
        Example("REINDEX INDEX CONCURRENTLY shop_order_status_idx;",
                "REINDEX INDEX shop_order_status_idx;",
                pg_version=11,
                why_good="the form PostgreSQL 11 has (it blocks writes: SR112, not SR003)",
                also=UNBOUNDED),
    ),
)

SR004 = Rule(
    "SR004", "estimate-differs-from-measurement", Level.MEDIUM,
    "--trace measured a lock or rewrite that differs from sqlreview's estimate.",
    "The estimate drives the risk; where it is wrong, the risk may be wrong too.",
    "Trust the measurement, review the statement by hand, and please report the "
    "statement so the knowledge table can be corrected.",
    raised_by=("sqlreview.django.compare.attach",),
    examples_elsewhere="tests/analyzer/test_trace_compare.py",
)

SR005 = Rule(
    "SR005", "unused-suppression", Level.LOW,
    "A `# sqlreview: ignore` comment matches no finding.",
    "The risk it once excused is gone (or it is on the wrong line, or names a code "
    "that does not exist); a stale ignore would silently excuse the next real finding "
    "of that code there.",
    "Remove the comment, or move it to the line of the operation that raises the code "
    "(any line of the operation's call), or to the `class Migration` line for the whole "
    "migration.",
    raised_by=("sqlreview.django.suppressions._apply",),
    examples_elsewhere="tests/cli/test_suppress.py",
)

SR006 = Rule(
    "SR006", "suppression-without-reason", Level.LOW,
    "A `# sqlreview: ignore` comment gives no reason, so it does not apply.",
    "An ignore is a reviewer's decision; without the why, the next reviewer cannot tell "
    "whether it still holds.",
    "Add the reason after ` -- `: `# sqlreview: ignore SR107 -- the table has 40 rows`.",
    raised_by=("sqlreview.django.suppressions._apply",),
    examples_elsewhere="tests/cli/test_suppress.py",
)

SR007 = Rule(
    "SR007", "production-schema-drift", Level.HIGH,
    "Production's schema differs from what the migration files build, on a table this "
    "migration touches.",
    "The migration was written against the schema its files build. Where production has "
    "an index or constraint under another name, or not at all, a statement that renames, "
    "alters or drops it by name fails in production or does something else; a column of "
    "another type or nullability changes what the statement locks and costs. Objects made "
    "by hand, by an old RunSQL, or by an edited or squashed migration are the usual cause.",
    "Review the SQL shown: with the pre-state from production it is what production will "
    "run. Then make the files agree with production, e.g. a migration whose "
    "SeparateDatabaseAndState renames the object to the name Django expects "
    "(database_operations=[RunSQL('ALTER INDEX ... RENAME TO ...')]), or remove the "
    "hand-made object if nothing needs it.",
    raised_by=(
        "sqlreview.django.drift.attach",
        "sqlreview.django.drift._add",
    ),
    examples_elsewhere="tests/prestate/test_production.py",
    scope="Raised at high when the statement names the object, at medium for the other "
          "differences on the tables it touches; only with the pre-state from production.",
)

RULES = (SR001, SR002, SR003, SR004, SR005, SR006, SR007)
