"""``--stats``: production sizes on an analysed review, and risk graded by them.

After the analysis, each of a statement's work items (``WorkItem``: the
analyzer's account of what it does to each existing table) is mapped to a kind
of ``Work``, and the estimate model turns it into seconds with the table's size
and shape from the snapshot. The risk is then graded from what the
lock blocks and for how long, instead of from the kind of work alone:

- the lock considered is the strongest the statement holds on an existing
  table, or that its transaction still holds from an earlier statement (the
  time a slow statement runs is time that lock blocks traffic);
- an UPDATE or DELETE blocks writers of every row it changes until COMMIT: it
  counts as blocking writes;
- blocking reads or writes for ``critical_seconds`` or more is critical, for
  ``high_seconds`` high, for ``medium_seconds`` medium, less than that low;
  blocking reads (ACCESS EXCLUSIVE) is at least medium whatever the size (a
  queue forms behind the lock while it waits); a lock that blocks neither is
  low;
- the findings that exist because the work may be slow (``SIZE_FINDINGS``)
  take that level too; the other findings (correctness, deploys, a missing
  lock_timeout) keep theirs, and the risk is the highest of all.

A statement whose duration is unknown (no size for a table, an UPDATE with a
WHERE, a RunPython) keeps the size-blind grade.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlreview.locking import LockMode
from sqlreview.pg.rules import RULES
from sqlreview.pg.schema import key_of
from sqlreview.results import (
    Cost,
    DurationEstimate,
    Level,
    Review,
    SizesSource,
    SqlAnalysis,
    StatementResult,
    WorkItem,
    WorkKind,
)
from sqlreview.stats.estimate import Calibration, Work, estimate
from sqlreview.stats.model import TableStats
from sqlreview.stats.snapshot import Snapshot

# Raised because the statement takes time in proportion to the table's size.
SIZE_FINDINGS = frozenset(rule.code for rule in RULES if rule.size_graded)


@dataclass(frozen=True)
class Thresholds:
    """Seconds a lock that blocks reads or writes may be held, per risk level."""

    critical_seconds: float = 60.0
    high_seconds: float = 10.0
    medium_seconds: float = 1.0

    def level(self, seconds: float) -> Level:
        if seconds >= self.critical_seconds:
            return Level.CRITICAL
        if seconds >= self.high_seconds:
            return Level.HIGH
        if seconds >= self.medium_seconds:
            return Level.MEDIUM
        return Level.LOW

    def check(self) -> None:
        if not 0 <= self.medium_seconds <= self.high_seconds <= self.critical_seconds:
            raise ValueError("risk thresholds must grow: risk-medium-seconds <= "
                             "risk-high-seconds <= risk-critical-seconds")

    def to_json(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class _Piece:
    table: str
    work: Work
    fraction: float = 1.0
    indexes_built: int = 1
    text_keys: int | None = None  # of the indexes built; None: read from the table's shape


def apply_stats(review: Review, snapshot: Snapshot, calibration: Calibration,
                thresholds: Thresholds, *, source: str) -> None:
    """Estimates on every statement and hold, and the risk graded by them."""
    for section in review.sections:
        apply_to_analysis(section.analysis, snapshot, calibration, thresholds)
    review.settings.stats = SizesSource(
        file=source, taken_at=snapshot.taken_at, database=snapshot.database.get("name"),
        tables=len(snapshot.tables), calibration=calibration.machine,
        thresholds=thresholds.to_json())


def apply_to_analysis(analysis: SqlAnalysis, snapshot: Snapshot, calibration: Calibration,
                      thresholds: Thresholds) -> None:
    statements = analysis.statements
    for statement in statements:
        statement.estimate = estimate_statement(statement, snapshot, calibration)
    for hold in analysis.holds:
        end = hold.released_at if hold.released_at is not None else len(statements)
        under = [s for s in statements if hold.acquired_at <= s.index < end]
        hold.estimated_seconds = sum(s.estimated_seconds or 0.0 for s in under)
        hold.estimate_complete = all(s.estimated_seconds is not None for s in under
                                     if s.cost.is_slow or s.cost is Cost.UNKNOWN)
    for statement in statements:
        holds = [hold for hold in analysis.holds
                 if hold.acquired_at < statement.index
                 and (hold.released_at is None or statement.index < hold.released_at)]
        _name_the_lock(statement, {key_of(hold.relation): hold.mode for hold in holds})
        grade(statement, [hold.mode for hold in holds], thresholds)


def _name_the_lock(statement: StatementResult, held: dict[str, LockMode]) -> None:
    """``under``: the strongest lock on the tables it works on, its own or its
    transaction's (an UPDATE under an earlier ACCESS EXCLUSIVE runs under that)."""
    estimated = statement.estimate
    if estimated is None or not estimated.work:
        return
    worked = {key_of(item["table"]) for item in estimated.work}
    modes = [lock.mode for lock in statement.locks if key_of(lock.relation) in worked]
    modes += [mode for name, mode in held.items() if name in worked]
    if modes:
        estimated.under = max(modes).sql_name


def estimate_statement(statement: StatementResult, snapshot: Snapshot,
                       calibration: Calibration) -> DurationEstimate:
    existing = [lock for lock in statement.locks if lock.relation not in statement.new_relations]
    strongest = max(existing, key=lambda lock: lock.mode, default=None)
    sized = [snapshot.table(lock.relation) for lock in existing]
    result = DurationEstimate(
        seconds=None, under=strongest.mode.sql_name if strongest else None,
        tables=[_size_of(table) for table in _unique(t for t in sized if t is not None)])
    pieces, unknown = _pieces(statement, snapshot)
    if unknown is not None:
        result.unknown = unknown
        return result
    seconds = 0.0
    for piece in pieces:
        table = snapshot.table(piece.table)
        if table is None:
            result.unknown = f"no size for {piece.table} in the snapshot"
            return result
        columns, text_keys = _shape(snapshot, table.name)
        if piece.text_keys is not None:
            text_keys = piece.text_keys
        if table.name not in {t["table"] for t in result.tables}:
            result.tables.append(_size_of(table))
        made = estimate(piece.work, table, calibration, fraction=piece.fraction,
                        indexes_built=piece.indexes_built, columns=columns,
                        text_key_indexes=text_keys)
        seconds += made.seconds
        result.work.append({"table": table.name, **made.to_json()})
    if not pieces:
        result.unknown = "not applicable: no work in proportion to a table's size"
        return result
    result.seconds = seconds
    return result


_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "citext"})


def _shape(snapshot: Snapshot, table: str) -> tuple[int | None, int]:
    """What the snapshot's schema says of the table's shape: its column count and
    how many of its indexes have a text key (slower to sort, by collation)."""
    relation = snapshot.schema.get(key_of(table))
    if relation is None:
        return None, 0
    text_keys = 0
    for name in snapshot.schema.indexes_of(key_of(table)):
        index = snapshot.schema.get(name)
        leading = index.index_columns[0] if index is not None and index.index_columns else None
        column = relation.columns.get(leading) if leading else None
        if column is not None and column.type is not None and column.type.name in _TEXT_TYPES:
            text_keys += 1
    return len(relation.columns), text_keys


def _unique(tables: Any) -> list[TableStats]:
    seen: dict[str, TableStats] = {}
    for table in tables:
        seen.setdefault(table.name, table)
    return list(seen.values())


def _size_of(table: TableStats) -> dict[str, Any]:
    return {"table": table.name, "rows": table.row_count, "heap_bytes": table.heap_bytes,
            "toast_bytes": table.toast_bytes, "index_bytes": table.index_bytes,
            "total_bytes": table.total_bytes, "indexes": len(table.indexes)}


def _pieces(statement: StatementResult, snapshot: Snapshot) -> tuple[list[_Piece], str | None]:
    """The work on each existing table, or why it cannot be known."""
    pieces = []
    for item in statement.work:
        if item.kind is WorkKind.UNKNOWN:
            return [], item.reason
        if item.kind is WorkKind.ROW_CHANGE:
            return [], _unknown_share(statement, item)
        if item.table is not None:
            pieces.append(_piece(item, item.table, snapshot))
    return pieces, None


def _unknown_share(statement: StatementResult, item: WorkItem) -> str:
    if item.limited_by_where:
        return f"{statement.kind} with a WHERE: the share of rows it changes is unknown"
    return f"{statement.kind or 'this statement'}: how many rows it writes is unknown"


_WORK = {WorkKind.REWRITE: Work.REWRITE, WorkKind.SCAN: Work.SCAN,
         WorkKind.INDEX_BUILD: Work.INDEX_BUILD,
         WorkKind.INDEX_BUILD_CONCURRENTLY: Work.INDEX_BUILD_CONCURRENTLY,
         WorkKind.UPDATE_ALL_ROWS: Work.UPDATE, WorkKind.DELETE_ALL_ROWS: Work.DELETE}


def _piece(item: WorkItem, table: str, snapshot: Snapshot) -> _Piece:
    work = _WORK[item.kind]
    if work not in (Work.INDEX_BUILD, Work.INDEX_BUILD_CONCURRENTLY):
        return _Piece(table, work)
    return _Piece(table, work, indexes_built=_indexes_built(item, table, snapshot),
                  text_keys=_text_key_built(item, table, snapshot))


def _indexes_built(item: WorkItem, table: str, snapshot: Snapshot) -> int:
    """The indexes a REINDEX builds again that the snapshot knows; one at least."""
    stats = snapshot.table(table)
    if stats is None:
        return 1
    named = {key_of(name) for name in item.indexes}
    return max(1, sum(1 for index in stats.indexes if key_of(index.name) in named))


def _text_key_built(item: WorkItem, table: str, snapshot: Snapshot) -> int | None:
    """1 when the built index's key starts with a text column of the table (it sorts
    through the collation, several times slower than numbers), else 0; None when
    the key column is unknown (then the table's shape decides)."""
    relation = snapshot.schema.get(key_of(table))
    if item.key_column is None or relation is None:
        return None
    column = relation.columns.get(item.key_column)
    if column is None or column.type is None:
        return None
    return 1 if column.type.name in _TEXT_TYPES else 0


def grade(statement: StatementResult, held: list[LockMode], thresholds: Thresholds) -> None:
    """The risk from what is blocked and for how long (see the module's doc)."""
    estimated = statement.estimate
    if estimated is None or estimated.seconds is None or statement.risk is None:
        return
    modes = [lock.mode for lock in statement.locks
             if lock.relation not in statement.new_relations] + held
    strongest = max(modes, default=None)
    blocks_reads = strongest is not None and strongest.conflicts_with(LockMode.ACCESS_SHARE)
    blocks_writes = (strongest is not None and strongest.conflicts_with(LockMode.ROW_EXCLUSIVE)
                     ) or statement.cost is Cost.DATA_CHANGE
    level = thresholds.level(estimated.seconds) if blocks_writes or blocks_reads else Level.LOW
    if blocks_reads:
        level = max(level, Level.MEDIUM)
    statement.findings = [dataclasses.replace(finding, severity=level)
                          if finding.code in SIZE_FINDINGS else finding
                          for finding in statement.findings]
    statement.base_risk = level  # the review's last step grades the risk from it
    estimated.graded = True
