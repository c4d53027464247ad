"""--trace: put what PostgreSQL did beside what sqlreview estimated.

The scratch database's tables are small, so only the facts that do not depend
on size are compared: which lock each table gets, and whether it is
rewritten. A lock is confirmed when the statement took it, or when the
migration's transaction already held it at least as strongly.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlreview.locking import LockMode
from sqlreview.pg.observe import Observation
from sqlreview.pg.rules.input import SR004
from sqlreview.results import Measurement, StatementResult


class TransactionLocks:
    """Locks measured so far in the migration's transaction (none in autocommit)."""

    def __init__(self, atomic: bool) -> None:
        self.atomic = atomic
        self.held: dict[str, LockMode] = {}

    def remember(self, observation: Observation) -> None:
        if not self.atomic:
            return
        for name, mode in (*observation.all_locks.items(), *observation.index_locks.items()):
            self.held[name] = max(mode, self.held.get(name, mode))


def attach(results: list[StatementResult], observation: Observation,
           transaction: TransactionLocks) -> None:
    """Attach one observation to the rows one rendered statement became, and flag
    where the estimate differs (SR004)."""
    if not results:
        return
    measured = Measurement(
        locks=dict(observation.all_locks),
        rewrites=sorted(observation.rewritten),
        scans=sorted(observation.scanned),
        error=observation.error,
    )
    if observation.error is None:
        measured.disagreements = _disagreements(results, observation, transaction.held)
    transaction.remember(observation)
    *earlier, last = results
    last.measured = measured
    for result in earlier:  # one execute ran them all: one measurement, on the last row
        result.notes.append(f"measured together with statement {last.index}")
    if measured.disagreements:
        last.findings.append(SR004.finding("; ".join(measured.disagreements)))


def _disagreements(results: list[StatementResult], observation: Observation,
                   already_held: dict[str, LockMode]) -> list[str]:
    new = {name for result in results for name in result.new_relations}
    estimated = _strongest(
        (lock.relation, lock.mode) for result in results for lock in result.locks
        if lock.relation not in new
    )
    measured = {name: mode for name, mode in observation.all_locks.items() if name not in new}
    # Index locks count where the estimate names the index (DROP INDEX, REINDEX): every
    # INSERT or UPDATE also takes ROW EXCLUSIVE on each index of its table, which the
    # estimate leaves implied by the table's lock.
    measured.update((name, mode) for name, mode in observation.index_locks.items()
                    if name in estimated and name not in new)
    problems = []
    for name, mode in sorted(estimated.items()):
        if name in measured:
            if measured[name] != mode:
                problems.append(f"estimated {mode.sql_name} on {name}, "
                                f"measured {measured[name].sql_name}")
        elif already_held.get(name, LockMode.ACCESS_SHARE) < mode or name not in already_held:
            problems.append(f"estimated {mode.sql_name} on {name}, measured no new lock")
    for name, mode in sorted(measured.items()):
        if name not in estimated:
            problems.append(f"measured {mode.sql_name} on {name}, not estimated")
    # The scratch tables are empty: a rewrite and new empty storage look alike there.
    estimated_rewrites = {n for result in results for n in (*result.rewrites, *result.emptied)
                          if n not in new}
    measured_rewrites = {n for n in observation.rewritten if n not in new}
    for name in sorted(estimated_rewrites - measured_rewrites):
        problems.append(f"estimated a rewrite of {name}, measured none")
    for name in sorted(measured_rewrites - estimated_rewrites):
        problems.append(f"measured a rewrite of {name}, not estimated")
    return problems


def _strongest(entries: Iterable[tuple[str, LockMode]]) -> dict[str, LockMode]:
    strongest: dict[str, LockMode] = {}
    for name, mode in entries:
        strongest[name] = max(mode, strongest.get(name, mode))
    return strongest
