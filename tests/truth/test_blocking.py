"""What a statement blocks, as PostgreSQL makes other sessions wait.

The catalog compares the locks a statement takes; the report also says what
it *blocks* (``StatementResult.blocks``: reads, writes, DDL). Here a
statement that must wait for an open transaction reading its table runs
while that reader stays open, and meanwhile a third session tries a read and
a write with a short ``lock_timeout``: what times out is what the statement
blocks (``DROP INDEX CONCURRENTLY`` locks the index ACCESS EXCLUSIVE too, but
only once no query can use it).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import schema_from_sql
from tests.truth.catalog import SETUP_SQL
from tests.truth.runner import TruthDatabase

_READ = 'SELECT count(*) FROM "library_book" WHERE "title" = \'x\''
_WRITE = 'UPDATE "library_book" SET "pages" = "pages" WHERE "id" = 1'

STATEMENTS = [
    'DROP INDEX CONCURRENTLY "library_book_title_idx"',
    'DROP INDEX "library_book_title_idx"',  # the control: it does block
    'ALTER TABLE "library_book" ALTER COLUMN "notes" SET DEFAULT \'x\'',  # blocks too
]


def _waits(url: str, statement: str) -> bool:
    """Whether ``statement`` waits for a lock longer than half a second."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '500ms'")
        try:
            conn.execute(statement)
        except psycopg.errors.LockNotAvailable:
            return True
    return False


def _blocked(url: str, statement: str) -> set[str]:
    """What waits while ``statement`` itself waits behind an open reader."""
    reader: psycopg.Connection[Any] = psycopg.connect(url)
    reader.execute('SELECT 1 FROM "library_book" LIMIT 1')  # ACCESS SHARE, held
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(statement)
        except BaseException as error:  # reported below
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        _wait_until_waiting(url)
        blocked = {name for name, sql in (("reads", _READ), ("writes", _WRITE))
                   if _waits(url, sql)}
    finally:
        reader.rollback()
        reader.close()
        worker.join(timeout=30)
    assert not errors, errors
    return blocked


def _wait_until_waiting(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(100):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()").fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the statement never waited for the reader")


@pytest.mark.parametrize("statement", STATEMENTS)
def test_what_the_report_says_a_statement_blocks_is_what_waits(
        statement: str, truth: TruthDatabase) -> None:
    name = truth.clone()
    try:
        blocked = _blocked(truth.server.database_url(name), statement)
    finally:
        truth.drop(name)
    analysis = analyze_sql(f"{statement};", options=AnalyzerOptions(truth.server_version),
                           schema=schema_from_sql(SETUP_SQL))
    predicted = set(analysis.statements[-1].blocks) & {"reads", "writes"}
    assert predicted == blocked, (statement, analysis.statements[-1].locks)
