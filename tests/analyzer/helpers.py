"""A small, realistic schema (the kind a Django shop app has) and a one-call analyzer."""

from __future__ import annotations

from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import schema_from_sql
from sqlreview.pg.rules import EXAMPLE_SCHEMA
from sqlreview.pg.schema import Schema
from sqlreview.results import SqlAnalysis, StatementResult

SCHEMA = EXAMPLE_SCHEMA

_SCHEMA = schema_from_sql(SCHEMA)


def analyze(
    sql: str,
    pg_version: int = 18,
    *,
    assume_lock_timeout: bool = False,
    schema: Schema | None = _SCHEMA,
) -> SqlAnalysis:
    options = AnalyzerOptions(pg_version=pg_version, assume_lock_timeout=assume_lock_timeout)
    return analyze_sql(sql, options=options, schema=schema)


def codes(statement: StatementResult) -> set[str]:
    return {finding.code for finding in statement.findings}


def all_codes(analysis: SqlAnalysis) -> set[str]:
    return {code for statement in analysis.statements for code in codes(statement)}


def only(analysis: SqlAnalysis) -> StatementResult:
    """The single statement of a one-statement input."""
    assert len(analysis.statements) == 1, [s.sql for s in analysis.statements]
    return analysis.statements[0]


def lock_modes(statement: StatementResult) -> dict[str, str]:
    """relation -> lock mode as the manual spells it (``ACCESS EXCLUSIVE``)."""
    return {lock.relation: lock.mode.sql_name for lock in statement.locks}
