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
    Rule(
        "SR005", "unused-suppression", Level.LOW,
        "A `# sqlreview: ignore` comment matches no finding.",
        "The risk it once excused is gone (or it is on the wrong line, or names a code "
        "that does not exist); a stale ignore would silently excuse the next real finding "
        "of that code there.",
        "Remove the comment, or move it to the line of the operation that raises the code "
        "(any line of the operation's call), or to the `class Migration` line for the whole "
        "migration.",
    ),
    Rule(
        "SR006", "suppression-without-reason", Level.LOW,
        "A `# sqlreview: ignore` comment gives no reason, so it does not apply.",
        "An ignore is a reviewer's decision; without the why, the next reviewer cannot tell "
        "whether it still holds.",
        "Add the reason after ` -- `: `# sqlreview: ignore SR107 -- the table has 40 rows`.",
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

RULES += (
    # --- SR4xx: rolling deploys (sqlreview.deploy) ------------------------------------------
    # Judged from the models before and after each operation, not from the SQL:
    # "old code" is the release still running while the migration runs, "new
    # code" the release being rolled out.
    Rule(
        "SR401", "add-field-not-null-without-db-default", Level.HIGH,
        "A NOT NULL column is added without a database default: the old code's INSERTs fail.",
        "Django fills existing rows with the field's Python `default`, then drops the "
        "default in the same migration. The old code does not know the column, leaves it "
        "out of its INSERTs, and every INSERT fails with a NOT NULL violation until the "
        "last old server is gone; the new code needs the column, so the migration cannot "
        "wait until after the rollout either.",
        "Give the field a `db_default=` (Django 5.0+): the database keeps the default and "
        "the old code's INSERTs work, in one release. Before Django 5.0, or for a value "
        "the database cannot compute: release N adds it `null=True` with a Python "
        "`default` and backfills (in batches, a separate migration); release N+1 makes it "
        "NOT NULL (`AlterField`, or `AddConstraintNotValid` of a `CHECK (col IS NOT "
        "NULL)` + `ValidateConstraint` first on a big table).",
    ),
    Rule(
        "SR402", "new-constraint-old-code-may-violate", Level.MEDIUM,
        "A new unique, check or foreign key constraint may reject the old code's writes.",
        "The old code does not know the rule: the rows it writes during the rollout may "
        "violate it (and fail with an IntegrityError), or make the migration itself fail "
        "if it runs while they are written.",
        "Ship the code that respects the constraint (validation, deduplication) first, "
        "and add the constraint after the rollout, or in the next release. On a big "
        "table add it without the long lock: a unique index with `AddIndexConcurrently` "
        "and then the constraint `USING INDEX`, or `AddConstraintNotValid` + "
        "`ValidateConstraint` for checks and foreign keys.",
    ),
    Rule(
        "SR403", "drop-column-old-code-uses", Level.HIGH,
        "The column is dropped while the old code still selects and inserts it.",
        "Django selects every field of a model by name: each query of the old code that "
        "touches the model fails from the moment the column is gone until the last old "
        "server is replaced.",
        "Release N: remove the field from the code and from the models with "
        "`SeparateDatabaseAndState(state_operations=[RemoveField(...)], "
        "database_operations=[])`; release N+1 (or after the rollout of N): drop the "
        "column (`RunSQL` `ALTER TABLE ... DROP COLUMN`, or a `RemoveField` in "
        "`database_operations` only).",
    ),
    Rule(
        "SR404", "drop-not-null-column", Level.HIGH,
        "The dropped column is NOT NULL without a database default: the new code's INSERTs "
        "fail until it is gone.",
        "The old code still uses the column, so it can only be dropped after the rollout; "
        "but the new code no longer writes it, so until the drop every INSERT of the new "
        "code fails with a NOT NULL violation. No single moment works.",
        "Release N: make the column nullable or give it a `db_default` (`AlterField` with "
        "`null=True`), and remove the field from the models, state only "
        "(`SeparateDatabaseAndState`); release N+1: drop the column.",
    ),
    Rule(
        "SR405", "drop-table-old-code-uses", Level.HIGH,
        "The table is dropped while the old code still uses its model.",
        "The old code's queries on the model fail from the drop until the last old server "
        "is replaced, and its rows are gone.",
        "Release N: delete the model from the code and from the models with "
        "`SeparateDatabaseAndState(state_operations=[DeleteModel(...)], "
        "database_operations=[])`; release N+1: drop the table (`RunSQL` `DROP TABLE`).",
    ),
    Rule(
        "SR406", "rename-breaks-both-releases", Level.HIGH,
        "A column or table is renamed: neither release works against the other's schema.",
        "The old code queries the old name, which is gone once the migration ran; the "
        "new code queries the new name, which does not exist before it ran. "
        "`RenameField`, `RenameModel`, `AlterModelTable`, a `db_column` / `db_table` change "
        "or a `RunSQL` rename all do this.",
        "Keep the old name in the database: rename only in the models, with `db_column=` "
        "(or `db_table=`) set to the old name (`SeparateDatabaseAndState` with the rename "
        "in `state_operations` only). For a real rename: release N adds the new column "
        "and writes both, then backfills; release N+1 reads the new one; release N+2 "
        "drops the old one.",
    ),
    Rule(
        "SR407", "set-not-null-old-code-writes-null", Level.MEDIUM,
        "The column becomes NOT NULL (or loses its database default) while the old code may "
        "leave it NULL.",
        "The old code's model has the field nullable (it writes NULL when no value is "
        "set), relies on the database default, or does not know the column at all: its "
        "INSERTs fail during the rollout.",
        "Run it after the rollout of code that always writes a value (a Python `default` "
        "or `db_default` in the model), or in the next release. On a big table, add "
        "`CHECK (col IS NOT NULL)` with `AddConstraintNotValid`, `ValidateConstraint` it, "
        "then `AlterField`: SET NOT NULL then needs no scan.",
    ),
    Rule(
        "SR408", "narrow-column-old-code-overflows", Level.MEDIUM,
        "The column gets narrower (a shorter max_length, a smaller type, fewer digits) while "
        "the old code may write values that no longer fit.",
        "The old code validates against the old, wider field: its writes fail with a "
        "value-too-long or out-of-range error during the rollout, and the migration fails "
        "if a stored value does not fit.",
        "Release N: validate the new limit in the code (forms, `clean()`, the field's "
        "validators) and fix the stored values; release N+1, or after the rollout: "
        "`AlterField`.",
    ),
    Rule(
        "SR409", "change-column-type", Level.HIGH,
        "The column changes to an incompatible type: neither release works against the "
        "other's schema.",
        "The old code reads and writes values of the old type, the new code of the new "
        "one; whichever runs against the other's column gets conversion errors or "
        "misread values.",
        "Release N: add a new field of the new type, write both and backfill; release "
        "N+1: read the new one (rename in the models only, with `db_column`); release "
        "N+2: drop the old column.",
    ),
    Rule(
        "SR410", "state-only-removal-of-required-column", Level.HIGH,
        "The field leaves the models but its column stays NOT NULL without a database "
        "default: the new code's INSERTs fail.",
        "After `SeparateDatabaseAndState` removes the field from the models only, the new "
        "code no longer writes the column, and the database still requires it.",
        "Make the column optional in the same step: put an `AlterField(..., null=True)` "
        "(or a `db_default`) in `database_operations` of the same "
        "`SeparateDatabaseAndState`, or in a migration before it; drop the column in the "
        "next release.",
    ),
    Rule(
        "SR411", "run-python-imports-models", Level.MEDIUM,
        "RunPython uses models imported from the app instead of `apps.get_model()`.",
        "The imported model is the current code's, not the schema at this point of the "
        "history: the migration breaks as soon as the model changes (it selects columns a "
        "later migration adds), on a fresh database, in tests, and when several "
        "migrations run in one deploy.",
        "Get every model from the migration's registry: `Book = apps.get_model(\"library\", "
        "\"Book\")` in the function, and keep helper code free of model imports.",
    ),
    Rule(
        "SR412", "run-python-without-reverse", Level.LOW,
        "RunPython has no `reverse_code`: the migration cannot be unapplied.",
        "Rolling the deploy back (`migrate app previous`) fails with IrreversibleError at "
        "this migration, exactly when a bad release must be undone quickly.",
        "Pass `reverse_code`: a function that undoes it, or `migrations.RunPython.noop` if "
        "there is nothing to undo.",
    ),
    Rule(
        "SR413", "run-sql-without-reverse", Level.LOW,
        "RunSQL has no `reverse_sql`: the migration cannot be unapplied.",
        "Rolling the deploy back (`migrate app previous`) fails with IrreversibleError at "
        "this migration.",
        "Pass `reverse_sql`: the SQL that undoes it, or `migrations.RunSQL.noop` if there "
        "is nothing to undo.",
    ),
    Rule(
        "SR414", "new-code-needs-migration-first", Level.MEDIUM,
        "The new code needs this schema change, but the deploy model runs migrations after "
        "the rollout.",
        "With --deploy-model rollout-then-migrate the new code serves requests before the "
        "migration runs: it queries the new table or column, or writes values the old "
        "schema rejects, and fails until the migration has run.",
        "Run this migration before the rollout (the deploy plan lists it there), or ship "
        "it one release ahead of the code that uses it.",
    ),
    Rule(
        "SR415", "mixed-phase-migration", Level.MEDIUM,
        "One operation of the migration must run before the rollout and another after it.",
        "A migration runs as a whole: whenever it runs, one of the two releases breaks.",
        "Move the operations that must wait for the rollout into a migration of their "
        "own, run after the rollout or in the next release.",
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
