"""``--trace``: measure one statement Django executes, whatever transaction it runs in.

The migration trace (``trace.py``) calls :func:`measured_call` for each execute it
attributes to a rendered statement; the measuring uses the observer building blocks
of :mod:`sqlreview.pg.observe` (``take_snapshot``/``compare``) on the same backend.

How a statement is measured
    * inside a transaction (an atomic migration, an atomic operation, a
      ``transaction.atomic()`` in RunPython): snapshots of locks, relfilenodes
      and transaction scan counters before and after, in the migration's own
      transaction, through the raw psycopg connection (so the catalog queries
      do not go through the execute wrapper). Locks already held from earlier
      statements of the transaction are not repeated.
    * in autocommit (a non-atomic migration): the one statement is wrapped in
      ``BEGIN``/``COMMIT`` and measured the same way; a single statement in its
      own transaction behaves as it does in autocommit, and locks released at
      its end are seen. A statement that refuses a transaction block (``CREATE
      INDEX CONCURRENTLY``...) fails with SQLSTATE 25001 before doing any work,
      is rolled back and run again in autocommit while a "blocker" connection
      holds ROW EXCLUSIVE on every user table: the statement soon waits for
      it, and its locks are read from ``pg_locks`` at that moment by a
      monitor connection (as ``observe_outside_transaction`` does). Locks it
      takes only after that wait are not seen; one that never waits (plain
      ``VACUUM``) is observed without locks, with a note.
    * transaction control (``BEGIN``, ``COMMIT``, Django's savepoints...) is
      run untouched and gets an empty observation. A RunSQL string that opens
      a transaction of its own inside ours (PostgreSQL warns 25001) keeps it
      open afterwards, as autocommit would; later statements are measured in
      it. A string that commits by itself is noted as not measured.

Measuring never changes the outcome: the catalog reads run inside a savepoint
(a failure is rolled back to it), and a measurement that fails leaves
``observation=None`` and a warning on the migration.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from sqlreview.errors import first_line
from sqlreview.pg import observe
from sqlreview.pg.observe import Observation, RelationInfo, Snapshot

__all__ = ["Measured", "measured_call"]

# How long an outside-a-transaction statement may be held by the blocker
# before the monitor gives up looking for its wait.
WAIT_TIMEOUT = 5.0
_SAVEPOINT = "sqlreview_trace"
# SQLSTATE active_sql_transaction: "cannot run inside a transaction block".
_REFUSES_TRANSACTION = "25001"

_USER_TABLES_SQL = """
    SELECT format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY 1
"""


@dataclass
class Measured:
    """The outcome of measuring one execute: an observation, or why there is none."""

    observation: Observation | None = None
    failure: str | None = None


def measured_call(
    call: Callable[[], Any],
    sql: str,
    raw: psycopg.Connection[Any],
    url: str,
    wrap_errors: AbstractContextManager[Any],
    record: Measured,
) -> Any:
    """Run ``call`` (one Django execute of ``sql``) and fill ``record``; return or raise as it does.

    ``wrap_errors`` is the Django connection's ``wrap_database_errors``, so an
    error raised by our own COMMIT reaches Django as the statement's error.
    """
    status = raw.info.transaction_status
    control = _transaction_control(sql)
    if control is not None or status == TransactionStatus.INERROR:
        # Savepoints, BEGIN/COMMIT... take no lock and must run exactly where
        # they were meant to; in a failed transaction only ROLLBACK (TO) runs.
        record.observation = Observation(notes=(control,) if control else ())
        return call()
    if status not in (TransactionStatus.IDLE, TransactionStatus.INTRANS):
        record.failure = f"the connection was {status.name} before the statement"
        return call()
    if not raw.autocommit or status == TransactionStatus.INTRANS:
        # Django's transaction, or one a RunSQL "BEGIN" left open: measure inside it.
        return _in_open_transaction(call, raw, record)
    return _in_own_transaction(call, raw, url, wrap_errors, record)


_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\w+)", re.DOTALL)
_SAVEPOINT_WORDS = frozenset({"SAVEPOINT", "RELEASE"})
_CONTROL_WORDS = frozenset({"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE"})


def _transaction_control(sql: str) -> str | None:
    """A note when ``sql`` starts with a transaction-control statement, else None.

    Django's own savepoints (``atomic()`` in RunPython) get an empty note.
    """
    match = _FIRST_WORD.match(sql)
    word = match.group(1).upper() if match else ""
    if word in _SAVEPOINT_WORDS or (word == "ROLLBACK" and "SAVEPOINT" in sql.upper()):
        return ""
    if word in _CONTROL_WORDS:
        return "transaction control: not measured"
    return None


def _guarded_snapshot(raw: psycopg.Connection[Any], record: Measured) -> Snapshot | None:
    """``take_snapshot`` inside a savepoint, so a failing read cannot abort the migration."""
    try:
        raw.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            snapshot: Snapshot | None = observe.take_snapshot(raw)
        except psycopg.Error as error:
            raw.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            record.failure = f"reading the catalog failed ({first_line(error, with_type=True)})"
            snapshot = None
        raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    except psycopg.Error as error:
        record.failure = f"reading the catalog failed ({first_line(error, with_type=True)})"
        return None
    return snapshot


_ENDED_ITSELF = Observation(notes=("the statement ended the transaction itself: not measured",))


def _in_open_transaction(
    call: Callable[[], Any], raw: psycopg.Connection[Any], record: Measured
) -> Any:
    """Measure inside the transaction that is open (atomic migration or block)."""
    before = _guarded_snapshot(raw, record)
    try:
        result = call()
    except Exception as error:
        if before is not None:
            record.observation = Observation(error=first_line(error, with_type=True))
        raise
    if before is not None:
        record.observation = _after(raw, before, record)
    return result


def _after(raw: psycopg.Connection[Any], before: Snapshot, record: Measured) -> Observation | None:
    """The observation once the statement ran, if its transaction is still open."""
    if raw.info.transaction_status != TransactionStatus.INTRANS:
        return _ENDED_ITSELF  # a COMMIT in a multi-statement string: what it held is gone
    after = _guarded_snapshot(raw, record)
    return None if after is None else observe.compare(before, after)


def _in_own_transaction(
    call: Callable[[], Any],
    raw: psycopg.Connection[Any],
    url: str,
    wrap_errors: AbstractContextManager[Any],
    record: Measured,
) -> Any:
    """Measure an autocommit statement by giving it a transaction of its own."""
    try:
        raw.execute("BEGIN")
    except psycopg.Error as error:
        record.failure = f"BEGIN failed ({first_line(error, with_type=True)})"
        return call()
    before = _guarded_snapshot(raw, record)
    began = _NestedBegin(raw)
    try:
        with began:
            result = call()
    except Exception as error:
        _rollback(raw)
        if _sqlstate(error) == _REFUSES_TRANSACTION:
            record.failure = None
            return _outside_transaction(call, raw, url, record)
        record.observation = Observation(error=first_line(error, with_type=True))
        raise
    observation = None if before is None else _after(raw, before, record)
    if not began.seen:  # else the statement opened a transaction meant to stay open
        try:
            with wrap_errors:
                _commit(raw)
        except Exception as error:  # a deferred constraint fails at commit, as in autocommit
            record.observation = Observation(error=first_line(error, with_type=True))
            raise
    record.observation = observation
    return result


class _NestedBegin:
    """Notices whether the statement ran its own BEGIN inside the one we opened.

    PostgreSQL then warns "there is already a transaction in progress"
    (SQLSTATE 25001): the transaction must stay open after the statement, as
    it would have without us.
    """

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.seen = False

    def _notice(self, diagnostic: psycopg.errors.Diagnostic) -> None:
        if diagnostic.sqlstate == _REFUSES_TRANSACTION:
            self.seen = True

    def __enter__(self) -> None:
        self.raw.add_notice_handler(self._notice)

    def __exit__(self, *exc_info: object) -> None:
        self.raw.remove_notice_handler(self._notice)


def _commit(raw: psycopg.Connection[Any]) -> None:
    if raw.info.transaction_status != TransactionStatus.IDLE:
        raw.execute("COMMIT")


def _rollback(raw: psycopg.Connection[Any]) -> None:
    """Roll back our own transaction; a broken connection is Django's error to report."""
    with contextlib.suppress(psycopg.Error):
        if raw.info.transaction_status != TransactionStatus.IDLE:
            raw.execute("ROLLBACK")


def _sqlstate(error: BaseException | None) -> str | None:
    """The SQLSTATE of a psycopg error, also when Django wrapped it (``__cause__``)."""
    while error is not None:
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return None


# -- outside a transaction ----------------------------------------------------------


@dataclass
class _Watch:
    """The blocker probe (``observe.BlockerProbe``) watching one outside-a-transaction
    statement from a thread, and what the thread saw."""

    probe: observe.BlockerProbe
    pid: int
    done: threading.Event = field(default_factory=threading.Event)
    waiting: observe.Waiting | None = None  # set by the watcher thread
    watch_error: str | None = None


def _outside_transaction(
    call: Callable[[], Any], raw: psycopg.Connection[Any], url: str, record: Measured
) -> Any:
    """Run the statement in autocommit, read its locks while it waits for a blocker."""
    try:
        probe = _start_probe(raw, url)
    except psycopg.Error as error:
        record.failure = f"could not watch the statement ({first_line(error, with_type=True)})"
        return call()
    watch = _Watch(probe, raw.info.backend_pid)
    watcher = threading.Thread(target=_watch, args=(watch,), name="sqlreview-trace", daemon=True)
    watcher.start()
    try:
        try:
            result = call()
        except Exception as error:
            record.observation = Observation(error=first_line(error, with_type=True))
            raise
        finally:
            watch.done.set()
            watcher.join()
        _read_outcome(watch, raw, record)
    finally:
        probe.close()
    return result


def _start_probe(raw: psycopg.Connection[Any], url: str) -> observe.BlockerProbe:
    """A probe whose blocker holds ROW EXCLUSIVE on every user table, so DDL waits."""
    probe = observe.BlockerProbe(url, count_scans=_flush(raw))
    try:
        probe.hold("SET LOCAL lock_timeout = '2s'")
        tables = [row[0] for row in probe.blocker.execute(_USER_TABLES_SQL).fetchall()]
        if tables:
            probe.hold(f"LOCK TABLE {', '.join(tables)} IN ROW EXCLUSIVE MODE")
    except psycopg.Error:
        probe.close()
        raise
    return probe


def _watch(watch: _Watch) -> None:
    """Poll until the statement waits (or ends), then let it go on."""
    try:
        watch.waiting = watch.probe.watch(watch.pid, watch.done, WAIT_TIMEOUT)
    except Exception as error:
        watch.watch_error = first_line(error, with_type=True)


def _flush(raw: psycopg.Connection[Any]) -> bool:
    """Make the backend publish its scan counters now (PostgreSQL 15+)."""
    try:
        raw.execute("SELECT pg_stat_force_next_flush()")
    except psycopg.Error:
        _rollback(raw)
        return False
    return True


def _read_outcome(watch: _Watch, raw: psycopg.Connection[Any], record: Measured) -> None:
    if watch.watch_error is not None or watch.waiting is None:
        record.failure = f"watching the statement failed ({watch.watch_error})"
        return
    try:
        counted = watch.probe.scans_before is not None and _flush(raw)
        after, scanned = watch.probe.read_after(count_scans=counted)
    except psycopg.Error as error:
        record.failure = f"reading the catalog failed ({first_line(error, with_type=True)})"
        return
    record.observation = _outside_observation(watch, after, scanned)


def _outside_observation(
    watch: _Watch, after: dict[int, RelationInfo], scanned: frozenset[str]
) -> Observation:
    waiting = watch.waiting or observe.Waiting()
    rewritten, rebuilt = observe.diff_filenodes(watch.probe.before, after)
    notes = ["ran outside a transaction: locks read from pg_locks while it waited"]
    if not waiting.seen_waiting:
        notes = ["ran outside a transaction and never waited, so its locks were not seen"]
    if watch.probe.scans_before is None:
        notes.append("scans not measured (needs PostgreSQL 15+)")
    return Observation(
        locks=dict(waiting.granted),
        index_locks=dict(waiting.granted_indexes),
        rewritten=rewritten,
        rebuilt_indexes=rebuilt,
        scanned=scanned,
        waited_for=dict(waiting.requested),
        notes=tuple(notes),
    )

