"""SR1xx: attaching and detaching partitions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.rules.base import (
    UNBOUNDED,
    Example,
    Rule,
    StatementFacts,
    each,
    target_lock,
)
from sqlreview.results import Finding, Level


def check_detach(facts: StatementFacts) -> Iterable[Finding]:
    for r in each(facts, StatementKind.ALTER_TABLE_DETACH_PARTITION, ""):
        if facts.pg_version < 14:
            continue
        defaults = r.action.related(Role.DEFAULT_PARTITION)
        if defaults:
            yield SR113.finding(
                f"{r.action.description} takes {target_lock(r)} on {r.target} and on its DEFAULT "
                f"partition {', '.join(defaults)}: every query on the partitioned table "
                "waits, and CONCURRENTLY is refused while a DEFAULT partition exists")
        else:
            yield SR113.finding(f"{r.action.description} takes {target_lock(r)} on {r.target}: "
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
    for r in each(facts, StatementKind.ALTER_TABLE_ATTACH_PARTITION):
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


RULES = (SR113, SR114)
