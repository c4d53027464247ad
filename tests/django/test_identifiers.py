"""Savepoint names carry the thread id: recorded without it, so two runs report the same."""

from __future__ import annotations

from sqlreview.django.editor import StatementLog
from sqlreview.django.identifiers import stable_sql


def test_savepoint_names_lose_the_thread_id_and_keep_the_counter() -> None:
    assert stable_sql('SAVEPOINT "s140354334956416_x12"') == 'SAVEPOINT "s<thread>_x12"'
    assert stable_sql('RELEASE SAVEPOINT "s139912_x3"') == 'RELEASE SAVEPOINT "s<thread>_x3"'
    assert (stable_sql('ROLLBACK TO SAVEPOINT "s7_x1"')
            == 'ROLLBACK TO SAVEPOINT "s<thread>_x1"')
    assert stable_sql("savepoint s42_x2") == "savepoint s<thread>_x2"


def test_other_text_is_left_alone() -> None:
    for sql in ('UPDATE "s140354334956416_x12" SET a = 1', 'SAVEPOINT "mine"',
                'SAVEPOINT "s1_x2y"', "SELECT 1"):
        assert stable_sql(sql) == sql


def test_two_runs_in_different_threads_record_the_same_sql() -> None:
    recorded = []
    for thread in ("140354334956416", "139871234567040"):
        log = StatementLog([], runs_python=True)
        with log.python_scope(0):
            log.capture(f'SAVEPOINT "s{thread}_x1"', 0)
            log.capture('UPDATE "shop_order" SET "total" = 0', 0)
            log.capture(f'RELEASE SAVEPOINT "s{thread}_x1"', 0)
        recorded.append([captured.sql for captured in log.captured])
    assert recorded[0] == recorded[1]
    assert recorded[0][0] == 'SAVEPOINT "s<thread>_x1"'
