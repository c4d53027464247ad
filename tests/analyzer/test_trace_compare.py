"""SR004: --trace's measurement beside the estimate (sqlreview/django/compare.py).

The measurements here are hand-made Observations in the shape observe.py
reports; the real measuring is tested against PostgreSQL in tests/django.
"""

from __future__ import annotations

from sqlreview.django.compare import TransactionLocks, attach
from sqlreview.locking import LockMode
from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions
from sqlreview.pg.learn import schema_from_sql
from sqlreview.pg.observe import Observation

SCHEMA = schema_from_sql(
    "CREATE TABLE book (id bigint PRIMARY KEY, title varchar(100), pages integer);"
)
AE = LockMode.ACCESS_EXCLUSIVE


def estimate(sql: str) -> Analyzer:
    analyzer = Analyzer(AnalyzerOptions(pg_version=14, assume_lock_timeout=True), SCHEMA)
    analyzer.feed("BEGIN")
    return analyzer


def codes_after(sql: str, observation: Observation, held: TransactionLocks | None = None
                ) -> list[str]:
    analyzer = estimate(sql)
    results = analyzer.feed(sql)
    attach(results, observation, held or TransactionLocks(atomic=True))
    return [finding.code for result in results for finding in result.findings]


def test_bad_a_measured_lock_weaker_than_estimated_is_sr004() -> None:
    observed = Observation(locks={"book": LockMode.SHARE})
    assert "SR004" in codes_after("ALTER TABLE book ADD COLUMN c integer", observed)


def test_bad_a_rewrite_that_was_not_estimated_is_sr004() -> None:
    observed = Observation(locks={"book": AE}, rewritten=frozenset({"book"}))
    assert "SR004" in codes_after("ALTER TABLE book ADD COLUMN c integer", observed)


def test_bad_a_lock_on_a_table_not_estimated_is_sr004() -> None:
    observed = Observation(locks={"book": AE, "author": AE})
    assert "SR004" in codes_after("ALTER TABLE book ADD COLUMN c integer", observed)


def test_good_the_measurement_agrees() -> None:
    observed = Observation(locks={"book": AE}, rewritten=frozenset({"book"}))
    sql = "ALTER TABLE book ALTER COLUMN pages TYPE bigint"
    assert "SR004" not in codes_after(sql, observed)


def test_good_a_lock_the_transaction_already_held_is_not_measured_again() -> None:
    held = TransactionLocks(atomic=True)
    held.remember(Observation(locks={"book": AE}))
    nothing_new = Observation()
    assert "SR004" not in codes_after('CREATE INDEX i ON book (title)', nothing_new, held)


def test_good_a_dropped_index_is_measured_among_the_index_locks() -> None:
    # allauth's account.0007 and guardian's 0003 drop indexes: PostgreSQL reports the
    # index's lock apart from its table's, and the estimate names both.
    schema = schema_from_sql("CREATE TABLE book (id bigint, title text);"
                             "CREATE INDEX book_title_idx ON book (title);")

    def disagreements(observed: Observation) -> list[str]:
        analyzer = Analyzer(AnalyzerOptions(pg_version=14, assume_lock_timeout=True), schema)
        analyzer.feed("BEGIN")
        results = analyzer.feed('DROP INDEX "book_title_idx"')
        assert {lock.relation for lock in results[0].locks} == {"book", "book_title_idx"}
        attach(results, observed, TransactionLocks(atomic=True))
        assert results[-1].measured is not None
        return results[-1].measured.disagreements

    assert disagreements(Observation(locks={"book": AE}, index_locks={"book_title_idx": AE})
                         ) == []
    assert disagreements(Observation(locks={"book": AE})) == [
        "estimated ACCESS EXCLUSIVE on book_title_idx, measured no new lock"]


def test_good_index_locks_of_a_write_are_implied_by_its_table_lock() -> None:
    observed = Observation(locks={"book": LockMode.ROW_EXCLUSIVE},
                           index_locks={"book_pkey": LockMode.ROW_EXCLUSIVE})
    assert "SR004" not in codes_after("UPDATE book SET pages = 1", observed)


def test_in_autocommit_a_missing_lock_is_a_disagreement() -> None:
    held = TransactionLocks(atomic=False)
    held.remember(Observation(locks={"book": AE}))
    assert "SR004" in codes_after("CREATE INDEX i ON book (title)", Observation(), held)


def test_one_execute_of_several_statements_is_measured_on_the_last_row() -> None:
    analyzer = estimate("")
    results = analyzer.feed("SET CONSTRAINTS ALL IMMEDIATE; ALTER TABLE book DROP COLUMN title")
    attach(results, Observation(locks={"book": AE}), TransactionLocks(atomic=True))
    first, last = results
    assert first.measured is None and last.measured is not None
    assert last.measured.disagreements == []
    assert f"measured together with statement {last.index}" in first.notes
