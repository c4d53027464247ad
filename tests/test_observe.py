"""sqlreview.pg.observe on a real server: what it measures is what happened."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sqlreview.locking import LockMode
from sqlreview.pg.observe import Observer, observe_in_transaction, observe_outside_transaction

SCHEMA = """
CREATE TABLE t (id serial PRIMARY KEY, n integer NOT NULL, label varchar(20));
CREATE INDEX t_n_idx ON t (n);
INSERT INTO t (n, label) SELECT g, 'row ' || g FROM generate_series(1, 200) g;
CREATE SCHEMA other;
CREATE TABLE other.u (id integer);
INSERT INTO other.u VALUES (1), (2);
"""


@pytest.fixture
def db(pg_database: str) -> str:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(SCHEMA.encode())
    return pg_database


@pytest.fixture
def conn(db: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(db) as connection:
        yield connection


@pytest.mark.parametrize("mode", list(LockMode), ids=lambda mode: mode.name.lower())
def test_lock_table_is_observed_in_its_mode(conn: psycopg.Connection[Any], mode: LockMode) -> None:
    observed = observe_in_transaction(conn, f"LOCK TABLE t IN {mode.sql_name} MODE")
    assert observed.error is None
    assert observed.locks == {"t": mode}
    assert observed.index_locks == {}
    assert not observed.rewritten and not observed.scanned


def test_int_to_bigint_rewrites_scans_and_rebuilds_indexes(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "ALTER TABLE t ALTER COLUMN n TYPE bigint")
    assert observed.locks == {"t": LockMode.ACCESS_EXCLUSIVE}
    assert observed.rewritten == {"t"}
    assert observed.scanned == {"t"}
    assert observed.rebuilt_indexes == {"t_n_idx", "t_pkey"}


def test_observation_serializes_to_json(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "ALTER TABLE t ALTER COLUMN n TYPE bigint")
    assert json.loads(json.dumps(observed.to_json())) == {
        "locks": {"t": "AccessExclusiveLock"},
        "index_locks": {"t_n_idx": "AccessExclusiveLock", "t_pkey": "AccessExclusiveLock"},
        "rewritten": ["t"],
        "emptied": [],
        "rebuilt_indexes": ["t_n_idx", "t_pkey"],
        "scanned": ["t"],
        "waited_for": {},
        "error": None,
        "notes": [],
    }


def test_metadata_only_change_is_not_a_rewrite(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "ALTER TABLE t ALTER COLUMN label TYPE varchar(50)")
    assert observed.locks == {"t": LockMode.ACCESS_EXCLUSIVE}
    assert not observed.rewritten and not observed.scanned and not observed.rebuilt_indexes


def test_new_and_dropped_relations_are_named_but_not_rewrites(
    conn: psycopg.Connection[Any],
) -> None:
    created = observe_in_transaction(conn, "CREATE TABLE fresh (id integer PRIMARY KEY)")
    assert created.locks == {"fresh": LockMode.ACCESS_EXCLUSIVE}
    assert not created.rewritten
    assert not created.scanned, "building the PK index of an empty heap reads nothing"
    dropped = observe_in_transaction(conn, "DROP TABLE t")
    assert dropped.locks == {"t": LockMode.ACCESS_EXCLUSIVE, "t_id_seq": LockMode.ACCESS_EXCLUSIVE}
    assert dropped.index_locks.keys() == {"t_pkey", "t_n_idx"}
    assert not dropped.rewritten


def test_truncate_is_a_new_file_but_no_scan(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "TRUNCATE t")
    assert observed.rewritten == {"t"}
    assert observed.emptied == {"t"}, "the new file holds nothing: new empty storage"
    assert not observed.scanned


def test_statement_is_rolled_back(conn: psycopg.Connection[Any]) -> None:
    observe_in_transaction(conn, "DROP TABLE t")
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (200,)


def test_renamed_table_keeps_its_old_name(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "ALTER TABLE t RENAME TO t2")
    assert observed.locks == {"t": LockMode.ACCESS_EXCLUSIVE}


def test_other_schema_is_qualified(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "SELECT * FROM other.u")
    assert observed.locks == {"other.u": LockMode.ACCESS_SHARE}
    assert observed.scanned == {"other.u"}


def test_setup_runs_first_and_is_not_observed(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(
        conn, "SELECT 1", setup=["LOCK TABLE t IN ACCESS EXCLUSIVE MODE"]
    )
    assert observed.locks == {}


def test_errors_are_reported_not_raised(conn: psycopg.Connection[Any]) -> None:
    observed = observe_in_transaction(conn, "ALTER TABLE missing ADD COLUMN x integer")
    assert observed.error == 'relation "missing" does not exist'
    assert observed.locks == {}
    # The connection is usable afterwards.
    assert observe_in_transaction(conn, "SELECT * FROM t").locks == {"t": LockMode.ACCESS_SHARE}


def test_observer_reports_only_what_each_statement_adds(conn: psycopg.Connection[Any]) -> None:
    observer = Observer(conn)
    first = observer.run("SELECT count(*) FROM t")
    again = observer.run("LOCK TABLE t IN ACCESS SHARE MODE")
    stronger = observer.run("UPDATE t SET n = n + 1 WHERE id = 1")
    weaker = observer.run("SELECT * FROM t WHERE id = 2")
    conn.rollback()
    assert first.locks == {"t": LockMode.ACCESS_SHARE} and first.scanned == {"t"}
    assert again.locks == {}
    assert stronger.locks == {"t": LockMode.ROW_EXCLUSIVE}
    assert weaker.locks == {}


def test_create_index_concurrently_is_observed_outside_a_transaction(db: str) -> None:
    observed = observe_outside_transaction(
        db,
        "CREATE INDEX CONCURRENTLY t_label_idx ON t (label)",
        "LOCK TABLE t IN ROW EXCLUSIVE MODE",
    )
    assert observed.error is None and observed.notes == ()
    assert observed.locks == {"t": LockMode.SHARE_UPDATE_EXCLUSIVE}
    assert observed.waited_for == {}
    assert observed.scanned == {"t"}
    with psycopg.connect(db) as check:
        assert check.execute("SELECT to_regclass('t_label_idx') IS NOT NULL").fetchone() == (True,)


def test_conflicting_blocker_shows_the_requested_lock(db: str) -> None:
    observed = observe_outside_transaction(db, "VACUUM FULL t", "LOCK TABLE t IN ACCESS SHARE MODE")
    assert observed.locks == {}
    assert observed.waited_for == {"t": LockMode.ACCESS_EXCLUSIVE}
    assert observed.all_locks == {"t": LockMode.ACCESS_EXCLUSIVE}
    assert observed.rewritten == {"t"}


def test_statement_that_never_waits_is_noted(db: str) -> None:
    observed = observe_outside_transaction(db, "VACUUM t", None, timeout=1.0)
    assert observed.error is None
    assert observed.notes


def test_outside_errors_are_reported(db: str) -> None:
    observed = observe_outside_transaction(db, "CREATE INDEX CONCURRENTLY ON missing (x)", None)
    assert observed.error == 'relation "missing" does not exist'
