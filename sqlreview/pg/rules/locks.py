"""SR1xx: locks and rewrites, and what the SQL alone says about rolling deploys."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.knowledge import Role
from sqlreview.pg.locks import LockMode
from sqlreview.pg.rules.base import (
    UNBOUNDED,
    Example,
    ResolvedAction,
    Rule,
    StatementFacts,
    each,
)
from sqlreview.results import Cost, Finding, Level

# Django's sqlmigrate output for a SeparateDatabaseAndState that only changes
# the state: the rolling-deploy-safe first step before dropping anything.
STATE_ONLY = """
BEGIN;
--
-- Custom state/database change combination
--
COMMIT;
"""


def check_add_column_rewrite(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "ALTER TABLE ADD COLUMN"):
        if r.entry.cost is Cost.REWRITE:
            yield SR101.finding(
                f"{r.action.description} ({r.action.variant}) rewrites every row of "
                f"{r.target} under {_mode(r)}"
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
    for r in each(facts, "ALTER TABLE ADD COLUMN", "not null without default"):
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
    for r in each(facts, "ALTER TABLE ALTER COLUMN TYPE"):
        if r.entry.cost is Cost.REWRITE:
            reason = "; ".join(r.action.notes)
            yield SR103.finding(f"{r.action.description} rewrites {r.target} under "
                                f"{_mode(r)}: {reason}")


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
    for r in each(facts, "ALTER TABLE ALTER COLUMN TYPE"):
        if r.entry.cost is Cost.SCAN:
            rechecked = [note.removeprefix("re-validates ") for note in r.action.notes
                         if note.startswith("re-validates ")]
            constraints = ", ".join(rechecked) or "its CHECK constraints"
            yield SR123.finding(f"{r.action.description} does not rewrite {r.target}, but "
                                f"PostgreSQL re-checks {constraints} on every row under "
                                f"{_mode(r)}")


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


def _mode(r: ResolvedAction) -> str:
    """The strongest lock the action takes on its table, as the manual spells it."""
    modes = [mode for role, mode in r.locks() if role is Role.TARGET]
    return max(modes).sql_name if modes else "its lock"


def _blocked(r: ResolvedAction) -> str:
    """The existing tables whose writes the action blocks, the target first."""
    names = [name for role, mode in r.locks() if mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
             for name in r.action.related(role) if name in r.existing]
    return " and ".join(dict.fromkeys(names)) or r.target


def _validating(facts: StatementFacts, *kinds: str) -> Iterable[ResolvedAction]:
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
    for r in each(facts, "ALTER TABLE ALTER COLUMN SET NOT NULL"):
        if r.entry.cost is Cost.SCAN:
            yield SR104.finding(f"{r.action.description} reads every row of {r.target} "
                                f"under {_mode(r)}")
    for r in _validating(facts, "ALTER TABLE ADD CONSTRAINT NOT NULL"):
        yield SR104.finding(f"{_constraint(r)} reads every row of {r.target} under "
                            f"{_mode(r)}")


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
    for r in _validating(facts, "ALTER TABLE ADD CONSTRAINT CHECK"):
        yield SR105.finding(f"{_constraint(r)} reads every row of {r.target} to validate it "
                            f"under {_mode(r)}")


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
    for r in _validating(facts, "ALTER TABLE ADD CONSTRAINT FOREIGN KEY"):
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


def check_create_index(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "CREATE INDEX", ""):
        message = f"{r.action.description} blocks writes to {r.target} until the index is built"
        if r.action.covered_by:
            message += (f"; {r.action.covered_by} already covers these columns (if it is a "
                        "ForeignKey's automatic index, set db_index=False on that field)")
        yield SR107.finding(message)


SR107 = Rule(
    "SR107", "create-index-blocks-writes", Level.HIGH,
    "CREATE INDEX without CONCURRENTLY blocks writes for the whole build.",
    "The SHARE lock stops INSERT, UPDATE and DELETE until the index is built.",
    "Use CREATE INDEX CONCURRENTLY. In Django: `AddIndexConcurrently` in a migration "
    "with `atomic = False`.",
    check=check_create_index,
    examples=(
        Example("CREATE INDEX shop_order_placed_idx ON shop_order (placed_at);",
                "CREATE INDEX CONCURRENTLY shop_order_placed_idx ON shop_order (placed_at);",
                also=UNBOUNDED),
    ),
    size_graded=True,
)


def check_index_building_constraint(facts: StatementFacts) -> Iterable[Finding]:
    for r in _validating(facts, "ALTER TABLE ADD CONSTRAINT UNIQUE",
                         "ALTER TABLE ADD CONSTRAINT PRIMARY KEY",
                         "ALTER TABLE ADD CONSTRAINT EXCLUDE"):
        yield SR108.finding(f"{_constraint(r)} builds its index on {r.target} under "
                            f"{_mode(r)}")


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


def check_drop_index(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "DROP INDEX", ""):
        yield SR109.finding(f"{r.action.description} takes {_mode(r)} on {r.target}: "
                            "reads and writes queue behind it")


SR109 = Rule(
    "SR109", "drop-index-locks-table", Level.MEDIUM,
    "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table.",
    "Brief, but it queues behind running queries and blocks everything behind it.",
    "Use DROP INDEX CONCURRENTLY. In Django: `RemoveIndexConcurrently` with "
    "`atomic = False`.",
    check=check_drop_index,
    examples=(
        Example("DROP INDEX shop_order_status_idx;",
                "DROP INDEX CONCURRENTLY shop_order_status_idx;"),
    ),
)


_REWRITING_KINDS = (
    "ALTER TABLE ALTER COLUMN SET EXPRESSION",
    "ALTER TABLE SET ACCESS METHOD",
    "ALTER TABLE SET LOGGED",
    "ALTER TABLE SET TABLESPACE",
    "ALTER TABLE SET UNLOGGED",
    "CLUSTER",
    "VACUUM FULL",
)


def check_table_rewrites(facts: StatementFacts) -> Iterable[Finding]:
    for kind in _REWRITING_KINDS:
        for r in each(facts, kind):
            if r.entry.cost is Cost.REWRITE:
                yield SR110.finding(f"{r.action.description} rewrites every row of "
                                    f"{r.target} under {_mode(r)}")


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


def check_refresh(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "REFRESH MATERIALIZED VIEW", ""):
        yield SR111.finding(f"{r.action.description} blocks reads of {r.target} until "
                            "the refresh ends")


SR111 = Rule(
    "SR111", "refresh-materialized-view-blocks-reads", Level.HIGH,
    "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of the view.",
    "Queries on the view wait for the whole refresh.",
    "Add a unique index to the view and use REFRESH MATERIALIZED VIEW CONCURRENTLY.",
    check=check_refresh,
    examples=(
        Example(
            "REFRESH MATERIALIZED VIEW shop_sales;",
            """
            CREATE UNIQUE INDEX CONCURRENTLY shop_sales_customer ON shop_sales (customer_id);
            REFRESH MATERIALIZED VIEW CONCURRENTLY shop_sales;
            """,
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_reindex(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "REINDEX", ""):
        yield SR112.finding(f"{r.action.description} blocks writes to {r.target} until "
                            "the index is rebuilt")


SR112 = Rule(
    "SR112", "reindex-blocks-writes", Level.HIGH,
    "REINDEX without CONCURRENTLY blocks writes while it rebuilds.",
    "Writes wait, and so do queries that would use the index.",
    "Use REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction block.",
    check=check_reindex,
    examples=(
        Example("REINDEX INDEX shop_order_status_idx;",
                "REINDEX INDEX CONCURRENTLY shop_order_status_idx;", also=UNBOUNDED),
    ),
    size_graded=True,
)


def check_detach(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "ALTER TABLE DETACH PARTITION", ""):
        if facts.pg_version < 14:
            continue
        defaults = r.action.related(Role.DEFAULT_PARTITION)
        if defaults:
            yield SR113.finding(
                f"{r.action.description} takes {_mode(r)} on {r.target} and on its DEFAULT "
                f"partition {', '.join(defaults)}: every query on the partitioned table "
                "waits, and CONCURRENTLY is refused while a DEFAULT partition exists")
        else:
            yield SR113.finding(f"{r.action.description} takes {_mode(r)} on {r.target}: "
                                "every query on the partitioned table waits")


SR113 = Rule(
    "SR113", "detach-partition-blocks", Level.MEDIUM,
    "DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the parent.",
    "Every query on the partitioned table waits.",
    "Use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), outside a transaction "
    "block. PostgreSQL refuses it while the table has a DEFAULT partition: then detach "
    "at a quiet time, with a short lock_timeout and retries.",
    check=check_detach,
    examples=(
        Example("ALTER TABLE shop_event DETACH PARTITION shop_event_2024;",
                "ALTER TABLE shop_event DETACH PARTITION shop_event_2024 CONCURRENTLY;"),
        Example("ALTER TABLE shop_visit DETACH PARTITION shop_visit_2024;",
                "ALTER TABLE shop_event DETACH PARTITION shop_event_2024 CONCURRENTLY;",
                why_good="a table without a DEFAULT partition can detach CONCURRENTLY"),
    ),
)


def check_attach(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "ALTER TABLE ATTACH PARTITION"):
        if r.action.variant == "" and r.touches_existing(Role.PARTITION):
            partition = ", ".join(r.action.related(Role.PARTITION))
            yield SR114.finding(f"{r.action.description} reads every row of {partition} to "
                                "check that it fits the partition bound")
        defaults = [name for name in r.action.related(Role.DEFAULT_PARTITION)
                    if name in r.action.related(Role.SCANNED) and name in r.existing]
        if defaults:
            yield SR114.finding(
                f"{r.action.description} reads every row of the DEFAULT partition "
                f"{', '.join(defaults)} under ACCESS EXCLUSIVE, to prove that none belongs "
                "to the new bound")


SR114 = Rule(
    "SR114", "attach-partition-scans", Level.MEDIUM,
    "ATTACH PARTITION reads the whole partition to check its bound.",
    "The partition is locked ACCESS EXCLUSIVE during the scan.",
    "Add a CHECK constraint matching the bound (NOT VALID, then VALIDATE) before "
    "attaching: PostgreSQL then skips the scan. A DEFAULT partition is read too, unless "
    "a validated CHECK of its own on the partition key excludes the new range.",
    check=check_attach,
    examples=(
        Example(
            "ALTER TABLE shop_event ATTACH PARTITION shop_event_2025 "
            "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');",
            """
            ALTER TABLE shop_event_2025 ADD CONSTRAINT shop_event_2025_bound
                CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01') NOT VALID;
            ALTER TABLE shop_event_2025 VALIDATE CONSTRAINT shop_event_2025_bound;
            ALTER TABLE shop_event ATTACH PARTITION shop_event_2025
                FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            """,
            also=UNBOUNDED,
        ),
        Example(
            """
            ALTER TABLE shop_visit_2025 ADD CONSTRAINT shop_visit_2025_bound
                CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01') NOT VALID;
            ALTER TABLE shop_visit_2025 VALIDATE CONSTRAINT shop_visit_2025_bound;
            ALTER TABLE shop_visit ATTACH PARTITION shop_visit_2025
                FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            """,
            """
            ALTER TABLE shop_visit_2025 ADD CONSTRAINT shop_visit_2025_bound
                CHECK (at IS NOT NULL AND at >= '2025-01-01' AND at < '2026-01-01') NOT VALID;
            ALTER TABLE shop_visit_2025 VALIDATE CONSTRAINT shop_visit_2025_bound;
            ALTER TABLE shop_visit_default ADD CONSTRAINT shop_visit_default_not_2025
                CHECK (at < '2025-01-01' OR at >= '2026-01-01') NOT VALID;
            ALTER TABLE shop_visit_default VALIDATE CONSTRAINT shop_visit_default_not_2025;
            ALTER TABLE shop_visit ATTACH PARTITION shop_visit_2025
                FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            """,
            why_good="CHECKs on the partition and on the DEFAULT partition prove the bound",
            also=UNBOUNDED,
        ),
    ),
    size_graded=True,
)


def check_truncate(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "TRUNCATE"):
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


def check_all_rows(facts: StatementFacts) -> Iterable[Finding]:
    for kind in ("UPDATE", "DELETE"):
        for r in each(facts, kind, "all rows"):
            yield SR116.finding(f"{kind} without WHERE changes every row of {r.target} in "
                                "one transaction")


SR116 = Rule(
    "SR116", "update-all-rows", Level.MEDIUM,
    "UPDATE or DELETE without WHERE changes every row in one transaction.",
    "Every row stays locked until COMMIT, the table bloats and replicas lag.",
    "Backfill in batches, outside the schema migration's transaction (a separate "
    "non-atomic migration, or a management command).",
    check=check_all_rows,
    examples=(
        Example("UPDATE shop_order SET status = 'archived';",
                "UPDATE shop_order SET status = 'archived' WHERE id BETWEEN 1 AND 10000;"),
        Example("DELETE FROM shop_order;",
                "DELETE FROM shop_order WHERE id BETWEEN 1 AND 10000;"),
    ),
    size_graded=True,
)


def check_drop_column(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "ALTER TABLE DROP COLUMN"):
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


def check_rename(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "ALTER TABLE RENAME COLUMN"):
        yield SR118.finding(f"{r.action.description} on {r.target}: servers running the "
                            "previous release still use the old name")
    for r in each(facts, "ALTER TABLE RENAME"):
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


def check_drop_table(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, "DROP TABLE"):
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

RULES = (SR101, SR102, SR103, SR104, SR105, SR106, SR107, SR108, SR109, SR110, SR111,
         SR112, SR113, SR114, SR115, SR116, SR117, SR118, SR119, SR120, SR121, SR122,
         SR123)
