"""Runs catalog cases on a real server: one template database, cheap clones.

The template gets ``SETUP_SQL`` once.  Transaction cases share one clone
(each case is rolled back, so they cannot disturb each other); "outside"
cases commit whatever they do, so each gets a fresh clone.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from sqlreview.locking import LockMode
from sqlreview.pg.observe import Observation, observe_in_transaction, observe_outside_transaction
from sqlreview.scratch import ScratchServer
from tests.truth.catalog import ROLE_NAME, SETUP_SQL, Case

# How long an outside case may wait for its statement to reach the blocker.
OUTSIDE_TIMEOUT = 5.0


@dataclass(frozen=True)
class CaseRun:
    """What PostgreSQL did for a case, and which relation names are indexes."""

    observation: Observation
    index_names: frozenset[str]


def _index_names(conn: psycopg.Connection[Any]) -> frozenset[str]:
    rows = conn.execute(
        "SELECT CASE WHEN n.nspname = 'public' THEN c.relname "
        "ELSE n.nspname || '.' || c.relname END "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('i', 'I')"
    ).fetchall()
    return frozenset(name for (name,) in rows)


def _strongest(*maps: Mapping[str, LockMode]) -> dict[str, LockMode]:
    merged: dict[str, LockMode] = {}
    for locks in maps:
        for name, mode in locks.items():
            merged[name] = max(mode, merged.get(name, mode))
    return merged


def merge_phases(phases: Sequence[Observation]) -> Observation:
    """One statement observed waiting at different phases: the strongest lock seen
    on each relation at any of them (each phase ran the whole statement, so
    rewrites and scans are the same; errors and notes of any phase are kept)."""
    first = phases[0]
    if len(phases) == 1:
        return first
    errors = [phase.error for phase in phases if phase.error is not None]
    return Observation(
        locks=_strongest(*(phase.locks for phase in phases)),
        index_locks=_strongest(*(phase.index_locks for phase in phases)),
        rewritten=frozenset().union(*(phase.rewritten for phase in phases)),
        emptied=frozenset().union(*(phase.emptied for phase in phases)),
        rebuilt_indexes=frozenset().union(*(phase.rebuilt_indexes for phase in phases)),
        scanned=frozenset().union(*(phase.scanned for phase in phases)),
        waited_for=_strongest(*(phase.waited_for for phase in phases)),
        error=errors[0] if errors else None,
        notes=tuple(note for phase in phases for note in phase.notes),
    )


class TruthDatabase:
    """The loaded template, the shared clone and its connection."""

    def __init__(self, server: ScratchServer) -> None:
        self.server = server
        self.template = f"sqlreview_truth_{uuid.uuid4().hex[:8]}"
        self._databases: list[str] = []
        self._conn: psycopg.Connection[Any] | None = None
        self._created_role = False
        self.server_version = server.server_version()

    def start(self) -> None:
        """Create and fill the template, then the clone for transaction cases."""
        with self.server.admin_connection() as admin:
            self._create_role(admin)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        self._databases.append(self.template)
        with psycopg.connect(self.server.database_url(self.template), autocommit=True) as conn:
            conn.execute(SETUP_SQL.encode())
            # Fresh statistics: the planner then picks realistic plans, and
            # autovacuum has no reason to visit the template.
            conn.execute("VACUUM ANALYZE")
        shared = self.clone()
        self._conn = psycopg.connect(self.server.database_url(shared), autocommit=False)

    def _create_role(self, admin: psycopg.Connection[Any]) -> None:
        # Roles belong to the whole cluster: create it only if it is missing,
        # and drop it again at the end only if we created it.
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE_NAME,))
        if exists.fetchone() is None:
            admin.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(ROLE_NAME)))
            self._created_role = True

    def clone(self) -> str:
        """A new database copied from the template; returns its name."""
        name = f"{self.template}_{len(self._databases)}"
        with self.server.admin_connection() as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(self.template)
                )
            )
        self._databases.append(name)
        return name

    def drop(self, name: str) -> None:
        self.server.drop_database(name)
        self._databases.remove(name)

    @functools.cache  # noqa: B019 - one TruthDatabase per session
    def template_indexes(self) -> frozenset[str]:
        """Names of the template's indexes, spelled as observations spell them."""
        assert self._conn is not None
        names = _index_names(self._conn)
        self._conn.rollback()
        return names

    @functools.cache  # noqa: B019 - one TruthDatabase per session
    def available_extensions(self) -> frozenset[str]:
        assert self._conn is not None
        rows = self._conn.execute("SELECT name FROM pg_available_extensions").fetchall()
        self._conn.rollback()
        return frozenset(name for (name,) in rows)

    def observe(self, case: Case) -> Observation:
        """Run one case the way its ``method`` says and report what it did."""
        return self.run(case).observation

    def run(self, case: Case) -> CaseRun:
        """Observe one case; also name every index known before or after it."""
        if case.method == "outside":
            phases = [self._run_outside(case, blocker)
                      for blocker in (case.blocker, *case.later_blockers)]
            observation = merge_phases([phase for phase, _ in phases])
            after = frozenset().union(*(names for _, names in phases))
        else:
            assert self._conn is not None, "start() first"
            setup = [case.setup] if case.setup else []
            observation = observe_in_transaction(self._conn, case.sql, setup)
            # Inside a transaction every index the statement creates is locked.
            after = frozenset()
        indexes = (
            self.template_indexes()
            | after
            | observation.index_locks.keys()
            | observation.rebuilt_indexes
        )
        return CaseRun(observation, frozenset(indexes))

    def _run_outside(self, case: Case, blocker: str | None) -> tuple[Observation, frozenset[str]]:
        name = self.clone()
        url = self.server.database_url(name)
        try:
            observation = observe_outside_transaction(
                url, case.sql, blocker, timeout=OUTSIDE_TIMEOUT
            )
            # CONCURRENTLY statements commit: their new indexes are visible.
            with psycopg.connect(url) as conn:
                return observation, _index_names(conn)
        finally:
            self.drop(name)

    def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        for name in reversed(self._databases):
            self.server.drop_database(name)
        self._databases.clear()
        if self._created_role:
            with self.server.admin_connection() as admin:
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ROLE_NAME)))
            self._created_role = False
