"""SR3xx: Django operations the SQL alone does not show."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from sqlreview.pg.rules.base import Example, Rule, StatementFacts
from sqlreview.pg.schema import range_var_display
from sqlreview.results import Finding, Level

SR301 = Rule(
    "SR301", "run-python", Level.MEDIUM,
    "RunPython is an opaque data migration.",
    "sqlreview cannot see which rows it reads or writes, nor how long it runs; on a "
    "production-sized table a loop over all rows can take hours and hold row locks "
    "until COMMIT.",
    "Process rows in batches, keep data migrations separate from schema migrations, "
    "and consider `atomic = False` so each batch commits.",
    raised_by="the Django pipeline (sqlreview.django.command)",
    examples_elsewhere="tests/analyzer/test_rules.py (DJANGO_EXAMPLES)",
)

SR302 = Rule(
    "SR302", "run-python-beside-ddl", Level.HIGH,
    "RunPython runs in the same transaction as schema changes.",
    "The schema changes' locks (often ACCESS EXCLUSIVE) are held until the data "
    "migration finishes, and the data migration's row locks until the DDL commits.",
    "Move the RunPython into its own migration; Django's documentation recommends not "
    "mixing schema and data changes in one atomic migration on PostgreSQL.",
    raised_by="the Django pipeline (sqlreview.django.command)",
    examples_elsewhere="tests/analyzer/test_rules.py (DJANGO_EXAMPLES)",
)

_GUARDED_ALTER = {
    AlterTableType.AT_AddColumn: ("ADD COLUMN", "IF NOT EXISTS"),
    AlterTableType.AT_DropColumn: ("DROP COLUMN", "IF EXISTS"),
    AlterTableType.AT_DropConstraint: ("DROP CONSTRAINT", "IF EXISTS"),
}


def _unguarded(node: ast.Node | None) -> Iterator[str]:
    """What the statement creates or drops without the guard that would let it run twice."""
    if isinstance(node, ast.CreateStmt) and not node.if_not_exists:
        yield f"CREATE TABLE {range_var_display(node.relation)} has no IF NOT EXISTS"
    elif isinstance(node, ast.IndexStmt) and not node.if_not_exists and node.idxname:
        verb = "CREATE INDEX CONCURRENTLY" if node.concurrent else "CREATE INDEX"
        yield f"{verb} {node.idxname} has no IF NOT EXISTS"
    elif isinstance(node, ast.CreateSeqStmt) and not node.if_not_exists:
        yield f"CREATE SEQUENCE {range_var_display(node.sequence)} has no IF NOT EXISTS"
    elif isinstance(node, ast.ViewStmt) and not node.replace:
        yield f"CREATE VIEW {range_var_display(node.view)} has no OR REPLACE"
    elif isinstance(node, ast.DropStmt) and not node.missing_ok:
        kind = node.removeType.name if isinstance(node.removeType, ObjectType) else "OBJECT_?"
        yield f"DROP {kind.removeprefix('OBJECT_').replace('_', ' ')} has no IF EXISTS"
    elif isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd) or cmd.subtype is None:
                continue
            guarded = _GUARDED_ALTER.get(cmd.subtype)
            if guarded is not None and not cmd.missing_ok:
                name = cmd.name or (cmd.def_.colname if isinstance(cmd.def_, ast.ColumnDef)
                                    else "")
                yield f"{guarded[0]} {name} has no {guarded[1]}".replace("  ", " ")


def check_idempotent_run_sql(facts: StatementFacts) -> Iterable[Finding]:
    if not facts.hand_written or facts.in_transaction:
        return
    for problem in _unguarded(facts.node):
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
    scope="Only the SQL of `RunSQL` operations (`sqlreview` on migrations) outside a "
          "transaction; `sqlreview sql` cannot tell hand-written SQL from what Django "
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
