"""Measure what one SQL statement really does on a PostgreSQL server.

The analyzer *predicts* locks, rewrites and full scans from the SQL text; this
module *observes* them on a live server, so the predictions can be checked
(the truth tests) and a migration can be traced statement by statement
(``--trace``).  It needs only psycopg.

What is measured, and how:

locks
    ``pg_locks`` rows of the statement's own backend, taken before and after
    the statement.  Inside a transaction locks are held until the end, so the
    difference is exactly what the statement acquired.
rewrites
    ``pg_class.relfilenode``: a table (or materialized view) whose data was
    copied into a new file got a new relfilenode.  Relations created or
    dropped by the statement are not rewrites.
emptied
    The rewritten relations whose new file is empty (``TRUNCATE``, ``REFRESH
    MATERIALIZED VIEW ... WITH NO DATA``): new storage, but nothing was
    copied, so it took no time.  Their size is read once the statement holds
    them (ACCESS EXCLUSIVE), so reading it changes no lock that matters.
scans
    ``seq_scan`` counters in ``pg_stat_xact_user_tables`` (inside a
    transaction) or ``pg_stat_user_tables`` (outside one).  PostgreSQL counts
    every sequential heap scan there, including the ones DDL does to validate
    a constraint, build an index or copy a table.  A scan counts only when
    ``seq_tup_read`` went up as well and the table existed before: building
    the indexes of a table that was just created or truncated "scans" an
    empty heap, which reads nothing.

Statements that refuse to run in a transaction block (``CREATE INDEX
CONCURRENTLY``, ``VACUUM``...) release their locks as they go, so
:func:`observe_outside_transaction` makes them wait on a "blocker"
transaction and reads their locks from another connection while they wait.

Relations are named ``relname`` in schema ``public`` and ``schema.relname``
elsewhere; system schemas and temporary schemas are ignored.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import psycopg

from sqlreview.errors import first_line
from sqlreview.locking import LockMode

__all__ = [
    "BlockerProbe",
    "Observation",
    "Observer",
    "RelationInfo",
    "ScanCount",
    "Snapshot",
    "observe_in_transaction",
    "observe_outside_transaction",
]

# pg_class.relkind values, grouped by what we report them as.
TABLE_LIKE_KINDS = frozenset("rpvmSf")
INDEX_KINDS = frozenset("iI")
# Kinds whose relfilenode holds the data: a new one means a rewrite.
REWRITABLE_KINDS = frozenset("rm")

_USER_SCHEMA_FILTER = """
    n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
"""

_RELATIONS_SQL = f"""
    SELECT c.oid, n.nspname, c.relname, c.relkind, c.relfilenode
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'i', 'I') AND {_USER_SCHEMA_FILTER}
"""

_OWN_LOCKS_SQL = """
    SELECT l.relation, l.mode
    FROM pg_locks l
    WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""

_XACT_SEQ_SCANS_SQL = "SELECT relid, seq_scan, seq_tup_read FROM pg_stat_xact_user_tables"
_SEQ_SCANS_SQL = "SELECT relid, seq_scan, seq_tup_read FROM pg_stat_user_tables"

# Locks of another backend, with the names of relations visible right now
# (a relation created by a CONCURRENTLY statement is committed before it waits).
_OTHER_LOCKS_SQL = """
    SELECT l.locktype, l.relation, l.mode, l.granted, n.nspname, c.relname, c.relkind
    FROM pg_locks l
    LEFT JOIN pg_class c ON c.oid = l.relation
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE l.pid = %s
"""


@dataclass(frozen=True)
class Observation:
    """What one statement did, as PostgreSQL reported it.

    ``locks`` and ``index_locks`` map a relation name to the strongest lock
    mode held on it after the statement, for relations where that mode is
    stronger than what was held before (so a lock the transaction already
    had is not repeated).  ``waited_for`` holds lock requests that were
    still ungranted when the locks were read (only
    :func:`observe_outside_transaction` fills it).  ``error`` is the server's
    message when the statement failed; the other fields are then empty.
    ``notes`` says when an observation may be incomplete.
    """

    locks: dict[str, LockMode] = field(default_factory=dict)
    index_locks: dict[str, LockMode] = field(default_factory=dict)
    rewritten: frozenset[str] = frozenset()
    rebuilt_indexes: frozenset[str] = frozenset()
    scanned: frozenset[str] = frozenset()
    waited_for: dict[str, LockMode] = field(default_factory=dict)
    error: str | None = None
    notes: tuple[str, ...] = ()
    # Among ``rewritten``: those whose new storage is empty (nothing was copied).
    emptied: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values, lock modes spelled as in ``pg_locks``, names sorted."""

        def modes(locks: Mapping[str, LockMode]) -> dict[str, str]:
            return {name: locks[name].pg_locks_name for name in sorted(locks)}

        return {
            "locks": modes(self.locks),
            "index_locks": modes(self.index_locks),
            "rewritten": sorted(self.rewritten),
            "emptied": sorted(self.emptied),
            "rebuilt_indexes": sorted(self.rebuilt_indexes),
            "scanned": sorted(self.scanned),
            "waited_for": modes(self.waited_for),
            "error": self.error,
            "notes": list(self.notes),
        }

    @property
    def all_locks(self) -> dict[str, LockMode]:
        """Table-level locks granted or requested: ``locks`` merged with ``waited_for``."""
        merged = dict(self.locks)
        for name, mode in self.waited_for.items():
            merged[name] = max(mode, merged.get(name, mode))
        return merged


@dataclass(frozen=True)
class RelationInfo:
    """One user relation as ``pg_class`` describes it."""

    name: str
    kind: str
    filenode: int

    @property
    def is_index(self) -> bool:
        return self.kind in INDEX_KINDS


class ScanCount(NamedTuple):
    """A table's sequential-scan counters: scans started, tuples they read."""

    scans: int
    tuples: int


@dataclass(frozen=True)
class Snapshot:
    """The state a statement is measured against.

    ``relations`` maps pg_class oids to their description, ``held`` maps oids
    to the lock modes this backend holds on them, ``seq_scans`` maps table
    oids to their sequential-scan counters.
    """

    relations: Mapping[int, RelationInfo]
    held: Mapping[int, frozenset[LockMode]]
    seq_scans: Mapping[int, ScanCount]


def relation_name(schema: str, relname: str) -> str:
    """``relname`` for schema ``public``, ``schema.relname`` otherwise."""
    return relname if schema == "public" else f"{schema}.{relname}"


def _is_user_schema(schema: str) -> bool:
    return not (
        schema in ("pg_catalog", "information_schema", "pg_toast")
        or schema.startswith(("pg_temp_", "pg_toast_temp_"))
    )



# --------------------------------------------------------------------------
# Reading the server


def read_relations(conn: psycopg.Connection[Any]) -> dict[int, RelationInfo]:
    """Every user relation (tables, views, sequences, indexes...) by oid."""
    rows = conn.execute(_RELATIONS_SQL).fetchall()
    return {
        int(oid): RelationInfo(relation_name(schema, relname), str(kind), int(filenode))
        for oid, schema, relname, kind, filenode in rows
    }


def read_own_locks(conn: psycopg.Connection[Any]) -> dict[int, frozenset[LockMode]]:
    """The relation locks this connection's backend holds, by oid."""
    held: dict[int, set[LockMode]] = {}
    for oid, mode in conn.execute(_OWN_LOCKS_SQL).fetchall():
        held.setdefault(int(oid), set()).add(LockMode.from_pg_locks_name(mode))
    return {oid: frozenset(modes) for oid, modes in held.items()}


def read_seq_scans(conn: psycopg.Connection[Any], *, in_transaction: bool) -> dict[int, ScanCount]:
    """Sequential-scan counters by table oid.

    Inside a transaction the counters of the transaction itself
    (``pg_stat_xact_user_tables``), else the cumulative ones, read afresh.
    """
    if in_transaction:
        rows = conn.execute(_XACT_SEQ_SCANS_SQL).fetchall()
    else:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(_SEQ_SCANS_SQL).fetchall()
    return {
        int(relid): ScanCount(int(scans or 0), int(tuples or 0)) for relid, scans, tuples in rows
    }


def take_snapshot(conn: psycopg.Connection[Any]) -> Snapshot:
    """Relations, own locks and transaction scan counters of ``conn``'s transaction."""
    return Snapshot(
        relations=read_relations(conn),
        held=read_own_locks(conn),
        seq_scans=read_seq_scans(conn, in_transaction=True),
    )


# --------------------------------------------------------------------------
# Comparing snapshots


def _name_of(
    oid: int, before: Mapping[int, RelationInfo], after: Mapping[int, RelationInfo]
) -> RelationInfo | None:
    # The name a relation had when the statement started: a renamed table is
    # reported under the name the SQL used; a new one under its new name.
    return before.get(oid) or after.get(oid)


def diff_locks(
    before_held: Mapping[int, frozenset[LockMode]],
    after_held: Mapping[int, frozenset[LockMode]],
    before: Mapping[int, RelationInfo],
    after: Mapping[int, RelationInfo],
) -> tuple[dict[str, LockMode], dict[str, LockMode]]:
    """(table locks, index locks) newly acquired between two lock readings.

    A relation is reported when the strongest mode held afterwards is stronger
    than the strongest held before: the modes are ordered so that each one
    conflicts with everything the weaker ones conflict with, so re-taking a
    weaker mode changes nothing for other sessions.
    """
    tables: dict[str, LockMode] = {}
    indexes: dict[str, LockMode] = {}
    for oid, modes in after_held.items():
        held_before = before_held.get(oid, frozenset())
        mode = max(modes)
        info = _name_of(oid, before, after)
        if info is None or (held_before and mode <= max(held_before)):
            continue
        target = indexes if info.is_index else tables
        target[info.name] = max(mode, target.get(info.name, mode))
    return tables, indexes


def diff_filenodes(
    before: Mapping[int, RelationInfo], after: Mapping[int, RelationInfo]
) -> tuple[frozenset[str], frozenset[str]]:
    """(rewritten tables, rebuilt indexes) between two catalog readings.

    Tables are matched by oid: dropping and creating a table is not a rewrite.
    Indexes are matched by name, because ``ALTER COLUMN TYPE`` and ``REINDEX
    CONCURRENTLY`` replace an index by a new one of the same name.
    """
    rewritten = frozenset(
        info.name
        for oid, info in before.items()
        if info.kind in REWRITABLE_KINDS and oid in after and after[oid].filenode != info.filenode
    )
    old_indexes = {info.name: info.filenode for info in before.values() if info.is_index}
    rebuilt = frozenset(
        info.name
        for info in after.values()
        if info.is_index and info.name in old_indexes and old_indexes[info.name] != info.filenode
    )
    return rewritten, rebuilt


def new_storage(before: Mapping[int, RelationInfo], after: Mapping[int, RelationInfo]
                ) -> list[int]:
    """Oids of the tables and materialized views that got a new relfilenode."""
    return sorted(
        oid for oid, info in before.items()
        if info.kind in REWRITABLE_KINDS and oid in after and after[oid].filenode != info.filenode
    )


def read_empty(conn: psycopg.Connection[Any], oids: Sequence[int],
               names: Mapping[int, RelationInfo]) -> frozenset[str]:
    """Names of the relations among ``oids`` whose storage is empty now.

    ``pg_relation_size`` locks the relation ACCESS SHARE: call it only for
    relations the statement itself locked more strongly.
    """
    if not oids:
        return frozenset()
    rows = conn.execute(
        "SELECT oid FROM unnest(%s::oid[]) AS oid WHERE pg_relation_size(oid) = 0",
        (list(oids),),
    ).fetchall()
    return frozenset(names[int(oid)].name for (oid,) in rows if int(oid) in names)


def diff_scans(
    before: Mapping[int, ScanCount],
    after: Mapping[int, ScanCount],
    relations: Mapping[int, RelationInfo],
) -> frozenset[str]:
    """Names of tables (among ``relations``, those that existed before) read by a seq scan."""
    scanned: set[str] = set()
    for oid, count in after.items():
        old = before.get(oid, ScanCount(0, 0))
        if count.scans > old.scans and count.tuples > old.tuples and oid in relations:
            scanned.add(relations[oid].name)
    return frozenset(scanned)


# --------------------------------------------------------------------------
# Inside a transaction


class Observer:
    """Measures statements one after another inside one open transaction.

    ``conn`` must already be inside a transaction (psycopg's default
    non-autocommit mode starts one with the first statement).  Locks
    accumulate over the transaction, so each :meth:`run` reports what the
    statement added to what was held before it::

        with conn.transaction():
            observer = Observer(conn)
            for statement in migration:
                print(observer.run(statement))

    After a statement fails the transaction is aborted: the caller must roll
    back before observing anything else.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._baseline: Snapshot | None = None

    def reset(self) -> Snapshot:
        """Take a new baseline now (done automatically before the first run)."""
        self._baseline = take_snapshot(self.conn)
        return self._baseline

    def run(self, sql: str) -> Observation:
        """Execute one statement and report what it changed; errors are returned."""
        before = self._baseline or self.reset()
        try:
            self.conn.execute(sql.encode(), prepare=False)
        except psycopg.Error as error:
            self._baseline = None
            return Observation(error=first_line(error))
        after = take_snapshot(self.conn)
        self._baseline = after
        observation = compare(before, after)
        emptied = read_empty(self.conn, new_storage(before.relations, after.relations),
                             before.relations)
        return dataclasses.replace(observation, emptied=emptied) if emptied else observation


def compare(before: Snapshot, after: Snapshot) -> Observation:
    """The observation between two snapshots of the same transaction."""
    locks, index_locks = diff_locks(before.held, after.held, before.relations, after.relations)
    rewritten, rebuilt = diff_filenodes(before.relations, after.relations)
    scanned = diff_scans(before.seq_scans, after.seq_scans, before.relations)
    return Observation(
        locks=locks,
        index_locks=index_locks,
        rewritten=rewritten,
        rebuilt_indexes=rebuilt,
        scanned=scanned,
    )


def observe_in_transaction(
    conn: psycopg.Connection[Any], sql: str, setup: Sequence[str] = ()
) -> Observation:
    """Run ``sql`` in a transaction of its own on ``conn``, observe it, roll back.

    ``setup`` statements run first in the same transaction (``SET LOCAL
    TimeZone = 'UTC'``...); their effects are not part of the observation.
    ``conn`` must be idle and not in autocommit mode.  A failing statement
    yields ``Observation(error=...)``; a failing setup raises, since then the
    question itself is wrong.
    """
    if conn.autocommit:
        raise ValueError("observe_in_transaction needs a connection with autocommit off")
    conn.rollback()
    try:
        for statement in setup:
            conn.execute(statement.encode(), prepare=False)
        return Observer(conn).run(sql)
    finally:
        conn.rollback()


# --------------------------------------------------------------------------
# Outside a transaction


@dataclass
class Waiting:
    """What a polled backend held and requested when it was seen waiting."""

    granted: dict[str, LockMode] = field(default_factory=dict)
    granted_indexes: dict[str, LockMode] = field(default_factory=dict)
    requested: dict[str, LockMode] = field(default_factory=dict)
    seen_waiting: bool = False


def poll_until_waiting(
    observer: psycopg.Connection[Any],
    pid: int,
    done: threading.Event,
    catalog: Mapping[int, RelationInfo],
    timeout: float,
) -> Waiting:
    """Poll ``pg_locks`` for ``pid`` until it waits on a lock, finishes, or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done.is_set():
        rows = observer.execute(_OTHER_LOCKS_SQL, (pid,)).fetchall()
        if any(not granted for _, _, _, granted, *_ in rows):
            return _read_waiting(rows, catalog)
        time.sleep(0.003)
    return Waiting()


def _read_waiting(rows: Sequence[Any], catalog: Mapping[int, RelationInfo]) -> Waiting:
    state = Waiting(seen_waiting=True)
    for locktype, oid, mode, granted, schema, relname, kind in rows:
        if locktype != "relation" or oid is None:
            continue
        # Prefer the name the relation had before the statement started (as
        # the in-transaction observer does); new relations get their own.
        info = catalog.get(int(oid))
        if info is None and relname is not None and schema is not None:
            if not _is_user_schema(schema):
                continue
            info = RelationInfo(relation_name(schema, relname), kind, 0)
        if info is None:
            continue
        lock = LockMode.from_pg_locks_name(mode)
        if not granted:
            target = state.requested
        elif info.is_index:
            target = state.granted_indexes
        else:
            target = state.granted
        target[info.name] = max(lock, target.get(info.name, lock))
    return state


def _flush_own_stats(conn: psycopg.Connection[Any]) -> None:
    # The backend flushes its pending statistics before it reports
    # ReadyForQuery, so once this returns the counters are visible to others.
    conn.execute("SELECT pg_stat_force_next_flush()")


class BlockerProbe:
    """The blocker and the monitor that watch one statement outside a transaction.

    The blocker connection holds, in an open transaction, locks the statement
    must wait for (``hold``); the monitor reads the relations and scan counters
    before, and polls ``pg_locks`` while the statement waits (``watch``), which
    lets it go on. The one probe behind :func:`observe_outside_transaction` and
    Django's ``--trace`` (``sqlreview.django.measure``).
    """

    def __init__(self, url: str, *, count_scans: bool = True) -> None:
        self.monitor = psycopg.connect(url, autocommit=True)
        try:
            self.blocker = psycopg.connect(url, autocommit=False)
        except psycopg.Error:
            self.monitor.close()
            raise
        try:
            self.before = read_relations(self.monitor)
            self.scans_before = (
                read_seq_scans(self.monitor, in_transaction=False) if count_scans else None
            )
        except psycopg.Error:
            self.close()
            raise

    def __enter__(self) -> BlockerProbe:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def hold(self, sql: str) -> None:
        """Run ``sql`` in the blocker's open transaction (``LOCK TABLE t IN ... MODE``)."""
        self.blocker.execute(sql.encode(), prepare=False)

    def watch(self, pid: int, done: threading.Event, timeout: float) -> Waiting:
        """Poll until backend ``pid`` waits (or ``done``, or ``timeout``), then release it."""
        try:
            return poll_until_waiting(self.monitor, pid, done, self.before, timeout)
        finally:
            self.release()

    def release(self) -> None:
        try:
            self.blocker.rollback()
        except Exception:
            self.blocker.close()  # the server releases its locks with the session

    def read_after(
        self, *, count_scans: bool = True
    ) -> tuple[dict[int, RelationInfo], frozenset[str]]:
        """The relations now, and those read in full since the start (none without counters)."""
        after = read_relations(self.monitor)
        if self.scans_before is None or not count_scans:
            return after, frozenset()
        scans_after = read_seq_scans(self.monitor, in_transaction=False)
        return after, diff_scans(self.scans_before, scans_after, self.before)

    def close(self) -> None:
        self.blocker.close()
        self.monitor.close()


def observe_outside_transaction(
    url: str,
    sql: str,
    blocker_sql: str | None = None,
    *,
    timeout: float = 5.0,
) -> Observation:
    """Observe a statement that cannot (or should not) run in a transaction block.

    A "blocker" connection first runs ``blocker_sql`` in an open transaction
    (e.g. ``LOCK TABLE t IN ROW EXCLUSIVE MODE``; it must not scan tables,
    or its own scans may be counted).  The statement then runs in autocommit
    mode on its own connection, in a thread.  A third connection polls
    ``pg_locks`` until the statement waits for something (the blocker's lock
    or its virtual transaction): the locks granted to the statement at that
    moment become ``locks``/``index_locks``, its ungranted requests
    ``waited_for``.  Then the blocker commits and the statement finishes.

    Locks the statement takes only after it stopped waiting are not seen; a
    statement that never waits is noted in ``notes``.  Every wait is bounded
    by ``timeout`` seconds (the statement itself by ``statement_timeout``).
    """
    with BlockerProbe(url) as probe:
        with psycopg.connect(url, autocommit=True) as runner:
            if blocker_sql:
                probe.hold(blocker_sql)
            pid = runner.info.backend_pid
            runner.execute(f"SET statement_timeout = '{int(timeout * 4 * 1000)}ms'".encode())
            outcome = _run_in_thread(runner, sql)
            waiting = probe.watch(pid, outcome.done, timeout)
            if not outcome.done.wait(timeout * 4):
                probe.monitor.execute("SELECT pg_cancel_backend(%s)", (pid,))
                outcome.done.wait(timeout)
            if outcome.error is None:
                _flush_own_stats(runner)
        after, scanned = probe.read_after()
        emptied = (
            read_empty(probe.monitor, new_storage(probe.before, after), probe.before)
            if outcome.error is None
            else frozenset()
        )
    if outcome.error is not None:
        return Observation(error=outcome.error)
    rewritten, rebuilt = diff_filenodes(probe.before, after)
    notes = (
        ()
        if waiting.seen_waiting
        else ("the statement never waited for the blocker, so its locks were not seen",)
    )
    return Observation(
        locks=waiting.granted,
        index_locks=waiting.granted_indexes,
        rewritten=rewritten,
        rebuilt_indexes=rebuilt,
        scanned=scanned,
        waited_for=waiting.requested,
        notes=notes,
        emptied=emptied,
    )


@dataclass
class _Outcome:
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


def _run_in_thread(conn: psycopg.Connection[Any], sql: str) -> _Outcome:
    outcome = _Outcome()

    def target() -> None:
        try:
            conn.execute(sql.encode(), prepare=False)
        except psycopg.Error as error:
            outcome.error = first_line(error)
        finally:
            outcome.done.set()

    threading.Thread(target=target, name="sqlreview-observe", daemon=True).start()
    return outcome
