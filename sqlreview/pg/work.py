"""A statement's work items: what it does in proportion to each existing table's size.

The statement's cost (the costliest of its actions, from the knowledge table)
decides the kind of work, and its actions give the facts the classifier learnt
from the syntax tree: the key an index starts with, the indexes a REINDEX
builds again, whether a WHERE limits the rows an UPDATE or DELETE changes.
Tables created in the same input are not rewritten, scanned or indexed in
production, and a row change whose rows come from tables created empty changes
none: neither is work. ``--stats`` turns the items into seconds with the
tables' sizes.
"""

from __future__ import annotations

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.rules.base import ResolvedAction
from sqlreview.results import Cost, StatementResult, WorkItem, WorkKind

# What sqlreview cannot see into (DO, CALL, RunPython, an unparsed statement).
OPAQUE = WorkItem(WorkKind.UNKNOWN, reason="sqlreview cannot see what it does")

# The statements that say CONCURRENTLY (other builds, of constraints and partitions, cannot).
_BUILDS = frozenset({StatementKind.CREATE_INDEX, StatementKind.REINDEX})
_CHANGES_ALL_ROWS = {StatementKind.UPDATE: WorkKind.UPDATE_ALL_ROWS,
                     StatementKind.DELETE: WorkKind.DELETE_ALL_ROWS}


def work_items(result: StatementResult, resolved: list[ResolvedAction]) -> tuple[WorkItem, ...]:
    """``result`` as the analyzer described it (cost, scans, rewrites, new
    relations), ``resolved`` its actions."""
    cost = result.cost
    new = set(result.new_relations)
    rewrites = [name for name in result.rewrites if name not in new]
    scans = [name for name in result.scans if name not in new and name not in rewrites]
    if cost is Cost.UNKNOWN:
        return (OPAQUE,)
    if cost is Cost.REWRITE:
        return (*(WorkItem(WorkKind.REWRITE, name) for name in rewrites),
                *(WorkItem(WorkKind.SCAN, name) for name in scans))
    if cost is Cost.SCAN:
        return tuple(WorkItem(WorkKind.SCAN, name) for name in scans)
    if cost is Cost.INDEX_BUILD:
        return _index_builds(resolved, scans)
    if cost is Cost.DATA_CHANGE:
        return _row_changes(resolved)
    return ()


def _index_builds(resolved: list[ResolvedAction], tables: list[str]) -> tuple[WorkItem, ...]:
    """A build on each table; CONCURRENTLY lets writes through and reads the table twice."""
    builds = [r for r in resolved if r.action.kind in _BUILDS]
    # The knowledge row's variant, not the action's: where the version lacks
    # CONCURRENTLY, the plain row applies.
    kind = (WorkKind.INDEX_BUILD_CONCURRENTLY
            if any(r.entry.variant == "CONCURRENTLY" for r in builds)
            else WorkKind.INDEX_BUILD)
    actions = [r.action for r in builds]
    rebuilt = tuple(name for action in actions if action.kind is StatementKind.REINDEX
                    for name in action.related(Role.INDEX))
    key_column = next((action.key_column for action in actions
                       if action.kind is StatementKind.CREATE_INDEX), None)
    return tuple(WorkItem(kind, table, indexes=rebuilt, key_column=key_column)
                 for table in tables)


def _row_changes(resolved: list[ResolvedAction]) -> tuple[WorkItem, ...]:
    """An UPDATE or DELETE without a WHERE changes every row of its table; any other
    row change (a WHERE, an INSERT, CREATE TABLE AS...) writes a number of rows that
    is not known; one whose rows come from tables created empty writes none."""
    items = []
    for r in resolved:
        action = r.action
        if r.entry.cost is not Cost.DATA_CHANGE or action.changes_no_row:
            continue
        target = next(iter(action.related(Role.TARGET)), None)
        every_row = _CHANGES_ALL_ROWS.get(action.kind)
        if every_row is not None and action.variant == "all rows":
            items.append(WorkItem(every_row, target))
        else:
            items.append(WorkItem(WorkKind.ROW_CHANGE, target,
                                  limited_by_where=every_row is not None))
    return tuple(items)
