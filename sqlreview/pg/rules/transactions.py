"""SR2xx: transactions and lock queueing."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.locking import LockMode
from sqlreview.pg.rules.base import Example, Rule, StatementFacts
from sqlreview.results import Finding, Level


def check_lock_timeout(facts: StatementFacts) -> Iterable[Finding]:
    if facts.assume_lock_timeout or facts.session.lock_timeout:
        return
    blocking = sorted(
        {
            name
            for resolved in facts.actions
            for role, mode in resolved.locks()
            if mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
            for name in resolved.action.related(role)
            if name in resolved.existing
        }
    )
    if blocking:
        yield SR201.finding(
            f"no lock_timeout is set before locking {', '.join(blocking)}"
        )


SR201 = Rule(
    "SR201", "missing-lock-timeout", Level.MEDIUM,
    "A lock that blocks traffic is requested without a lock_timeout.",
    "If a long query holds the table, the request waits in the lock queue, and every "
    "query that arrives after it waits too: a brief DDL becomes an outage.",
    "Run `SET lock_timeout = '5s'` (or SET LOCAL in the transaction) first and retry "
    "on failure; before a statement that reads or rewrites a whole table, a "
    "statement_timeout too (SR205). Django: set it for every migration in the "
    "connection's settings, `DATABASES[\"default\"][\"OPTIONS\"] = {\"options\": "
    "\"-c lock_timeout=5s\"}`, or start the migration with "
    "`migrations.RunSQL(\"SET lock_timeout = '5s'\", migrations.RunSQL.noop)`. If your "
    "migration runner or database role already sets lock_timeout, pass "
    "--assume-lock-timeout.",
    check=check_lock_timeout,
    scope="A lock_timeout counts when a SET earlier in the input sets it (in a Django "
          "migration: a RunSQL, or the backend's own, as django-pg-zero-downtime-migrations "
          "emits), and in a Django review when every connection starts with it: "
          "`-c lock_timeout=...` in `DATABASES[alias][\"OPTIONS\"][\"options\"]` (or "
          "$PGOPTIONS). `ALTER ROLE`/`ALTER DATABASE ... SET` and postgresql.conf cannot be "
          "seen: pass --assume-lock-timeout. In a review of Django migrations it is one "
          "finding, on the first statement that needs it, naming how many others do: the "
          "fix is one setting.",
    examples=(
        Example("ALTER TABLE shop_order ADD COLUMN coupon text;",
                "SET lock_timeout = '5s';\nALTER TABLE shop_order ADD COLUMN coupon text;",
                assume_lock_timeout=False),
        Example("BEGIN;\nALTER TABLE shop_order ADD COLUMN coupon text;\nCOMMIT;",
                "BEGIN;\nSET LOCAL lock_timeout = '5s';\n"
                "ALTER TABLE shop_order ADD COLUMN coupon text;\nCOMMIT;",
                assume_lock_timeout=False),
    ),
)

SR202 = Rule(
    "SR202", "lock-held-during-slow-statement", Level.HIGH,
    "A lock that blocks traffic is held while a slow statement runs in the same "
    "transaction.",
    "Locks are released at COMMIT, not at the end of the statement that took them: "
    "the table stays blocked for the slow statement too.",
    "Split the migration: run the slow step in its own transaction or migration "
    "(Django: a separate migration, or `atomic = False`).",
    raised_by=("sqlreview.pg.analyzer.Analyzer._account_slow_statement",),
    examples=(
        Example(
            """
            BEGIN;
            ALTER TABLE shop_order ADD COLUMN coupon text;
            UPDATE shop_order SET coupon = '' WHERE id BETWEEN 1 AND 10000;
            COMMIT;
            """,
            """
            BEGIN;
            ALTER TABLE shop_order ADD COLUMN coupon text;
            COMMIT;
            BEGIN;
            UPDATE shop_order SET coupon = '' WHERE id BETWEEN 1 AND 10000;
            COMMIT;
            """,
            why_good="the slow step in its own transaction",
        ),
    ),
    size_graded=True,
)

SR203 = Rule(
    "SR203", "not-allowed-in-transaction", Level.CRITICAL,
    "The statement cannot run inside a transaction block.",
    "PostgreSQL refuses it: the migration fails.",
    "Run it outside a transaction. In Django: set `atomic = False` on the migration.",
    raised_by=("sqlreview.pg.analyzer.Analyzer._transaction_before",),
    examples=(
        Example("BEGIN;\nCREATE INDEX CONCURRENTLY shop_order_placed_idx ON shop_order "
                "(placed_at);\nCOMMIT;",
                "CREATE INDEX CONCURRENTLY shop_order_placed_idx ON shop_order (placed_at);"),
        Example("BEGIN;\nALTER TYPE shop_mood ADD VALUE 'happy';\nCOMMIT;",
                "ALTER TYPE shop_mood ADD VALUE 'happy';", pg_version=11,
                why_good="before PostgreSQL 12, ADD VALUE must run outside a transaction "
                         "block (Django: `atomic = False`)"),
    ),
)

SR204 = Rule(
    "SR204", "transaction-left-open", Level.LOW,
    "The input ends inside a transaction.",
    "Whatever runs the script decides whether it commits; the locks are held until then.",
    "End the transaction with COMMIT.",
    raised_by=("sqlreview.pg.analyzer.Analyzer.finish",),
    examples=(
        Example("BEGIN;\nALTER TABLE shop_order ADD COLUMN coupon text;",
                "BEGIN;\nALTER TABLE shop_order ADD COLUMN coupon text;\nCOMMIT;"),
    ),
)

def check_statement_timeout(facts: StatementFacts) -> Iterable[Finding]:
    # Without a lock_timeout, SR201 comes first (and its advice names both timeouts).
    lock_timeout = facts.assume_lock_timeout or facts.session.lock_timeout
    if facts.session.statement_timeout or not lock_timeout:
        return
    for resolved in facts.actions:
        if not resolved.entry.cost.reads_whole_table:
            continue
        blocked = sorted({
            f"{name} ({mode.sql_name})"
            for role, mode in resolved.locks()
            if mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
            for name in resolved.action.related(role)
            if name in resolved.existing
        })
        if blocked:
            yield SR205.finding(
                f"no statement_timeout bounds this {resolved.entry.cost.value}, and traffic "
                f"waits on {', '.join(blocked)} until it ends")
            return


SR205 = Rule(
    "SR205", "missing-statement-timeout", Level.LOW,
    "A statement that reads or rewrites a whole table under a lock that blocks traffic "
    "runs without a statement_timeout.",
    "lock_timeout only bounds the wait for the lock; once it is granted, nothing stops a "
    "rewrite, scan or index build that takes far longer on production's table than it "
    "did in testing, and every query on the table waits for it.",
    "Run `SET statement_timeout = '...'` (what you can afford to block the table, or SET "
    "LOCAL in the migration's transaction) before it; if it times out, the transaction "
    "rolls back and the table is free again. Better still, use the form that does not "
    "block (see the statement's other finding).",
    check=check_statement_timeout,
    scope="Only where a lock_timeout is set (or assumed: --assume-lock-timeout), else "
          "SR201 says it, and only for statements whose cost grows with the table and "
          "that block writes on a table that existed before. If your runner or database "
          "role sets statement_timeout, add SR205 to `ignore`.",
    examples=(
        Example("ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;",
                "SET statement_timeout = '30s';\n"
                "ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;",
                also=frozenset({"SR104"})),
    ),
)

RULES = (SR201, SR202, SR203, SR204, SR205)
