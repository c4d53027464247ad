"""The catalogue of findings: one stable code per risky pattern.

Like ruff's rule docs, every rule has a code that never changes meaning, a
one-line summary, why it is risky and what to do instead (in Django terms
where Django has an answer). The README's rule reference is rendered from
``RULES``; the checks that raise them live in ``checks.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlreview.results import Finding, Level


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Level
    summary: str
    why: str
    instead: str

    def finding(self, message: str) -> Finding:
        return Finding(code=self.code, severity=self.severity, message=message)


RULES: tuple[Rule, ...] = (
    # --- SR0xx: input -----------------------------------------------------------
    Rule(
        "SR001", "unparseable-statement", Level.HIGH,
        "The statement could not be parsed.",
        "sqlreview cannot tell what it locks or costs; neither can a reviewer at a glance.",
        "Fix the syntax, or check that the input is SQL for PostgreSQL.",
    ),
    Rule(
        "SR002", "migration-failed", Level.HIGH,
        "A migration could not be rendered or applied on the scratch database.",
        "Its SQL is missing or approximate, and migrations after it may be rendered "
        "against a schema that differs from production.",
        "Fix the error shown, or pass --scratch-url with a server that has what the "
        "migration needs (extensions, collations).",
    ),
    Rule(
        "SR003", "needs-newer-postgresql", Level.CRITICAL,
        "The statement uses syntax the PostgreSQL you deploy on does not have.",
        "Postgres rejects it and the migration fails (the verdict shown is that of the "
        "closest form your version has).",
        "Use the older form, or raise --pg-version if production really runs a newer "
        "PostgreSQL.",
    ),
    Rule(
        "SR004", "estimate-differs-from-measurement", Level.MEDIUM,
        "--trace measured a lock or rewrite that differs from sqlreview's estimate.",
        "The estimate drives the risk; where it is wrong, the risk may be wrong too.",
        "Trust the measurement, review the statement by hand, and please report the "
        "statement so the knowledge table can be corrected.",
    ),
    # --- SR1xx: locks and rewrites -------------------------------------------------
    Rule(
        "SR101", "add-column-rewrites-table", Level.CRITICAL,
        "Adding a column with a volatile default, identity or stored generated value "
        "rewrites the table.",
        "Every row is rewritten while ACCESS EXCLUSIVE blocks all reads and writes; "
        "on a large table that is an outage.",
        "Add the column nullable without a default, backfill in batches, then set the "
        "default. In Django, use a constant `db_default` or a Python-side `default`.",
    ),
    Rule(
        "SR102", "add-not-null-column-without-default", Level.HIGH,
        "Adding a NOT NULL column without a default fails on a table with rows.",
        "Postgres must check every existing row, and any row makes it fail.",
        "Give the column a default (Django: `default=` or `db_default=`), or add it "
        "nullable, backfill, then set NOT NULL.",
    ),
    Rule(
        "SR103", "column-type-change-rewrites-table", Level.CRITICAL,
        "Changing the column's type rewrites the table and rebuilds its indexes.",
        "ACCESS EXCLUSIVE is held for the whole rewrite: reads and writes stop.",
        "Add a new column of the new type, write to both, backfill in batches, switch "
        "readers, then drop the old column. Widening varchar or dropping a length limit "
        "does not rewrite.",
    ),
    Rule(
        "SR104", "set-not-null-scans-table", Level.HIGH,
        "SET NOT NULL reads the whole table under ACCESS EXCLUSIVE.",
        "Reads and writes wait until every row has been checked.",
        "On PostgreSQL 12+, add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it, then "
        "SET NOT NULL (no scan) and drop the check. In Django: AddConstraintNotValid + "
        "ValidateConstraint, then AlterField.",
    ),
    Rule(
        "SR105", "check-constraint-validates-table", Level.HIGH,
        "Adding a CHECK constraint validates every row under ACCESS EXCLUSIVE.",
        "Reads and writes wait for the full scan.",
        "Add it NOT VALID, then VALIDATE CONSTRAINT in a later step (SHARE UPDATE "
        "EXCLUSIVE only). In Django: `AddConstraintNotValid` then `ValidateConstraint` "
        "from django.contrib.postgres.operations.",
    ),
    Rule(
        "SR106", "foreign-key-validates-table", Level.HIGH,
        "Adding a foreign key validates every row while blocking writes on both tables.",
        "SHARE ROW EXCLUSIVE on the table and the referenced table is held for the "
        "whole check.",
        "Add it NOT VALID, then VALIDATE CONSTRAINT separately. In Django: "
        "`AddConstraintNotValid` + `ValidateConstraint`, or `SeparateDatabaseAndState` "
        "with RunSQL for the field's constraint.",
    ),
    Rule(
        "SR107", "create-index-blocks-writes", Level.HIGH,
        "CREATE INDEX without CONCURRENTLY blocks writes for the whole build.",
        "The SHARE lock stops INSERT, UPDATE and DELETE until the index is built.",
        "Use CREATE INDEX CONCURRENTLY. In Django: `AddIndexConcurrently` in a migration "
        "with `atomic = False`.",
    ),
    Rule(
        "SR108", "constraint-builds-index", Level.HIGH,
        "Adding a UNIQUE, PRIMARY KEY or EXCLUDE constraint builds an index under "
        "ACCESS EXCLUSIVE.",
        "Reads and writes wait for the index build.",
        "Build a unique index CONCURRENTLY first, then `ADD CONSTRAINT ... UNIQUE USING "
        "INDEX` (metadata only).",
    ),
    Rule(
        "SR109", "drop-index-locks-table", Level.MEDIUM,
        "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table.",
        "Brief, but it queues behind running queries and blocks everything behind it.",
        "Use DROP INDEX CONCURRENTLY. In Django: `RemoveIndexConcurrently` with "
        "`atomic = False`.",
    ),
    Rule(
        "SR110", "table-rewrite", Level.CRITICAL,
        "The statement rewrites the whole table under ACCESS EXCLUSIVE.",
        "SET LOGGED/UNLOGGED, SET TABLESPACE, SET ACCESS METHOD, VACUUM FULL and CLUSTER "
        "copy every row while reads and writes wait.",
        "Schedule it in a maintenance window, or use an online tool such as pg_repack.",
    ),
    Rule(
        "SR111", "refresh-materialized-view-blocks-reads", Level.HIGH,
        "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view.",
        "Queries on the view wait for the whole refresh.",
        "Add a unique index to the view and use REFRESH MATERIALIZED VIEW CONCURRENTLY.",
    ),
    Rule(
        "SR112", "reindex-blocks-writes", Level.HIGH,
        "REINDEX without CONCURRENTLY blocks writes while it rebuilds.",
        "Writes wait, and so do queries that would use the index.",
        "Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction block.",
    ),
    Rule(
        "SR113", "detach-partition-blocks", Level.MEDIUM,
        "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent.",
        "Every query on the partitioned table waits.",
        "Use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), outside a transaction "
        "block.",
    ),
    Rule(
        "SR114", "attach-partition-scans", Level.MEDIUM,
        "ATTACH PARTITION reads the whole partition to check its bound.",
        "The partition is locked ACCESS EXCLUSIVE during the scan.",
        "Add a CHECK constraint matching the bound (NOT VALID, then VALIDATE) before "
        "attaching: Postgres then skips the scan.",
    ),
    Rule(
        "SR115", "truncate", Level.HIGH,
        "TRUNCATE deletes every row and locks the table ACCESS EXCLUSIVE.",
        "Data is gone for every server, including the ones still running the old code.",
        "Make sure this is intended; delete in batches if other code still uses the table.",
    ),
    Rule(
        "SR116", "update-all-rows", Level.MEDIUM,
        "UPDATE or DELETE without WHERE changes every row in one transaction.",
        "Every row stays locked until COMMIT, the table bloats and replicas lag.",
        "Backfill in batches, outside the schema migration's transaction (a separate "
        "non-atomic migration, or a management command).",
    ),
    Rule(
        "SR117", "drop-column", Level.MEDIUM,
        "Dropping a column breaks servers still running the previous release.",
        "During a rolling deploy, old code still selects and inserts the column.",
        "First deploy code that no longer uses the column (Django: remove the field with "
        "`SeparateDatabaseAndState`, state only), then drop it in a later release.",
    ),
    Rule(
        "SR118", "rename-breaks-running-code", Level.HIGH,
        "Renaming a column or table breaks servers still running the previous release.",
        "Old code keeps using the old name until every server is replaced.",
        "Add the new column or table, write to both, migrate readers, then drop the old "
        "one; or keep the old name in the database with `db_column` / `db_table`.",
    ),
    Rule(
        "SR119", "drop-table", Level.MEDIUM,
        "Dropping a table breaks servers still running the previous release, and its "
        "data is gone.",
        "Old code may still read or write the table during the deploy.",
        "Remove the model from the code first (state only), drop the table in a later "
        "release.",
    ),
    Rule(
        "SR120", "opaque-statement", Level.MEDIUM,
        "sqlreview cannot see what this statement does to tables.",
        "DO blocks, procedures, extensions and unknown statement kinds may lock or "
        "rewrite anything.",
        "Review it by hand, or write the SQL it runs as plain statements.",
    ),
    # --- SR2xx: transactions and lock queueing -----------------------------------------
    Rule(
        "SR201", "missing-lock-timeout", Level.MEDIUM,
        "A lock that blocks traffic is requested without a lock_timeout.",
        "If a long query holds the table, the request waits in the lock queue, and every "
        "query that arrives after it waits too: a brief DDL becomes an outage.",
        "Run `SET lock_timeout = '5s'` (or SET LOCAL in the transaction) first and retry "
        "on failure. If your migration runner or database role already sets one, pass "
        "--assume-lock-timeout.",
    ),
    Rule(
        "SR202", "lock-held-during-slow-statement", Level.HIGH,
        "A lock that blocks traffic is held while a slow statement runs in the same "
        "transaction.",
        "Locks are released at COMMIT, not at the end of the statement that took them: "
        "the table stays blocked for the slow statement too.",
        "Split the migration: run the slow step in its own transaction or migration "
        "(Django: a separate migration, or `atomic = False`).",
    ),
    Rule(
        "SR203", "not-allowed-in-transaction", Level.CRITICAL,
        "The statement cannot run inside a transaction block.",
        "Postgres refuses it: the migration fails.",
        "Run it outside a transaction. In Django: set `atomic = False` on the migration.",
    ),
    Rule(
        "SR204", "transaction-left-open", Level.LOW,
        "The input ends inside a transaction.",
        "Whatever runs the script decides whether it commits; the locks are held until then.",
        "End the transaction with COMMIT.",
    ),
)

RULES += (
    # --- SR3xx: Django operations -------------------------------------------------------
    Rule(
        "SR301", "run-python", Level.MEDIUM,
        "RunPython is an opaque data migration.",
        "sqlreview cannot see which rows it reads or writes, nor how long it runs; on a "
        "production-sized table a loop over all rows can take hours and hold row locks "
        "until COMMIT.",
        "Process rows in batches, keep data migrations separate from schema migrations, "
        "and consider `atomic = False` so each batch commits.",
    ),
    Rule(
        "SR302", "run-python-beside-ddl", Level.HIGH,
        "RunPython runs in the same transaction as schema changes.",
        "The schema changes' locks (often ACCESS EXCLUSIVE) are held until the data "
        "migration finishes, and the data migration's row locks until the DDL commits.",
        "Move the RunPython into its own migration; Django's documentation recommends not "
        "mixing schema and data changes in one atomic migration on PostgreSQL.",
    ),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}


def rule(code: str) -> Rule:
    return RULES_BY_CODE[code]


def render_markdown() -> str:
    """The rule reference for the README, one entry per code."""
    blocks = []
    for item in RULES:
        blocks.append(
            f"#### {item.code} `{item.name}` ({item.severity.label})\n\n"
            f"{item.summary}\n\n"
            f"- **Why it is risky:** {item.why}\n"
            f"- **Do this instead:** {item.instead}\n"
        )
    return "\n".join(blocks)
