"""SR3xx: Django operations the SQL alone does not show."""

from __future__ import annotations

from sqlreview.pg.rules.base import Rule
from sqlreview.results import Level

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

RULES = (SR301, SR302)
