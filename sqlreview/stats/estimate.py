"""Seconds for a kind of work on a table of known size.

The model follows what dominates each kind of work in PostgreSQL. Each pass
over a table costs a part per megabyte (pages read, copied, written to WAL)
and a part per row (tuples formed, checked, sorted); the calibration measures
both on a narrow and a wide table, so neither a table of many small rows nor
one of few wide rows is mis-estimated by a single MB/s or rows/s figure.

- a rewrite writes the heap and TOAST again and then builds every index anew
  (each build reads the new heap and sorts its keys); forming each row again
  costs more the more columns it has (text-like ones most);
- a validating scan (ADD CHECK, SET NOT NULL, VALIDATE) reads the heap once;
  TOAST is not read unless the expression needs it, which is not modelled;
- a B-tree build reads the heap and sorts the keys (text keys compare
  through a collation, several times slower); CONCURRENTLY then reads
  the heap a second time to add what changed meanwhile (waiting for other
  transactions is not modelled);
- an UPDATE scans the table to find its rows, writes a new version of each
  row it changes and, unless the update is HOT, an entry in every index; HOT
  needs free space on the page (``fillfactor`` < 100) and no indexed column
  changed;
- a DELETE scans the table and marks each row it removes.

Every statement also costs a small fixed overhead (parse, locks, catalog
updates, the commit). The throughput figures come from a ``Calibration``:
the shipped defaults, or a file written by ``sqlreview calibrate``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from sqlreview.stats.model import TableStats

MB = 1024 * 1024


class Work(enum.Enum):
    REWRITE = "rewrite"
    SCAN = "validating scan"
    INDEX_BUILD = "index build"
    INDEX_BUILD_CONCURRENTLY = "index build concurrently"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Calibration:
    """Throughput of one machine. Values are per second.

    The ``*_rows_per_s`` and ``*_mb_per_s`` figures of one kind of work add up:
    ``seconds = MB / mb_per_s + rows / rows_per_s``. The figures that default to
    ``None`` were added later; a file without them leaves that term out.
    """

    rewrite_mb_per_s: float  # heap + TOAST written anew, without the index builds
    scan_mb_per_s: float  # heap read by a validating scan
    index_build_mb_per_s: float  # heap read by one B-tree build
    update_rows_per_s: float  # new row versions, beyond the scan, without index entries
    index_entries_per_s: float  # index entries written by an UPDATE/INSERT
    delete_rows_per_s: float  # rows marked deleted, beyond the scan
    machine: str = "unknown"
    measured_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    rewrite_rows_per_s: float | None = None
    scan_rows_per_s: float | None = None
    index_build_rows_per_s: float | None = None  # int keys sorted and written, per index
    index_build_text_rows_per_s: float | None = None  # text keys (collation compares)
    update_mb_per_s: float | None = None  # of heap whose rows get a new version
    delete_mb_per_s: float | None = None
    statement_overhead_s: float | None = None  # fixed cost of any statement
    # The rows/s of a rewrite and an UPDATE hold for rows of ``row_columns`` columns;
    # each further column value costs 1 / *_values_per_s (a row of fewer costs less).
    row_columns: float | None = None
    rewrite_values_per_s: float | None = None
    update_values_per_s: float | None = None
    # A rewrite copies each TOASTed value into the new table's TOAST: fetched
    # through the old one's index, chunked and indexed again (slower per MB than
    # the heap). Without it, TOAST is written at ``rewrite_mb_per_s``.
    rewrite_toast_mb_per_s: float | None = None


OPTIONAL_FIGURES = ("rewrite_rows_per_s", "scan_rows_per_s", "index_build_rows_per_s",
                    "index_build_text_rows_per_s",
                    "update_mb_per_s", "delete_mb_per_s", "statement_overhead_s",
                    "row_columns", "rewrite_values_per_s", "update_values_per_s",
                    "rewrite_toast_mb_per_s")


@dataclass(frozen=True)
class Estimate:
    seconds: float
    work: Work
    inputs: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "work": self.work.value,
                "inputs": dict(self.inputs)}


def _per(amount: float, rate: float | None) -> float:
    """Seconds for ``amount`` at ``rate`` per second; a term without a rate costs nothing."""
    return amount / rate if rate else 0.0


def scan_seconds(heap_mb: float, rows: float, calibration: Calibration) -> float:
    return _per(heap_mb, calibration.scan_mb_per_s) + _per(rows, calibration.scan_rows_per_s)


def index_build_seconds(heap_mb: float, rows: float, calibration: Calibration, *,
                        text_key: bool = False) -> float:
    """One B-tree build: the heap read, the keys sorted and written. Text keys
    compare through a collation, several times slower than numbers."""
    per_row = calibration.index_build_rows_per_s
    if text_key and calibration.index_build_text_rows_per_s:
        per_row = calibration.index_build_text_rows_per_s
    return _per(heap_mb, calibration.index_build_mb_per_s) + _per(rows, per_row)


def row_seconds(rows: float, rows_per_s: float | None, values_per_s: float | None,
                columns: int | None, calibration: Calibration) -> float:
    """Forming ``rows`` rows again: a part per row, and a part per column value
    beyond (or short of) the calibration tables' columns."""
    base = _per(rows, rows_per_s)
    if columns is None or not calibration.row_columns or not values_per_s:
        return base
    beyond = _per(rows * (columns - calibration.row_columns), values_per_s)
    return max(base + beyond, base * 0.25)


def hot_share(fraction: float, fillfactor: int, indexed_column_changed: bool) -> float:
    """Share of the changed rows whose new version is HOT (no index entries).

    A HOT version must fit on its old row's page: a page filled to
    ``fillfactor`` % has room for ``(100 - fillfactor) / fillfactor`` of its rows
    again, shared by the ``fraction`` of them that change."""
    if indexed_column_changed or fillfactor >= 100 or fraction <= 0:
        return 0.0
    return min(1.0, (100 - fillfactor) / (fillfactor * fraction))


def estimate(work: Work, table: TableStats, calibration: Calibration, *,
             fraction: float = 1.0, indexes_built: int = 1, fillfactor: int = 100,
             indexed_column_changed: bool = True, text_key_indexes: int = 0,
             columns: int | None = None) -> Estimate:
    """Seconds ``work`` takes on ``table``; ``fraction`` of its rows for UPDATE/DELETE.

    ``fillfactor`` and ``indexed_column_changed`` (UPDATE only) decide how many
    new versions are HOT; the defaults assume none is, the costlier case.
    ``text_key_indexes``: how many of the indexes built (INDEX_BUILD: of
    ``indexes_built``; REWRITE: of the table's) have a text key. ``columns``:
    the table's column count (REWRITE, UPDATE); unknown, rows are assumed as
    wide in columns as the calibration's.
    """
    heap_mb = table.heap_bytes / MB
    toast_mb = table.toast_bytes / MB
    rows = table.row_count
    changed = rows * fraction
    index_count = len(table.indexes)
    inputs: dict[str, Any] = {"table": table.name, "rows": table.row_count, "columns": columns,
                              "heap_bytes": table.heap_bytes,
                              "toast_bytes": table.toast_bytes,
                              "index_bytes": table.index_bytes}
    if work is Work.REWRITE:
        text = min(text_key_indexes, index_count)
        toast_rate = calibration.rewrite_toast_mb_per_s or calibration.rewrite_mb_per_s
        seconds = (_per(heap_mb, calibration.rewrite_mb_per_s) + _per(toast_mb, toast_rate)
                   + row_seconds(rows, calibration.rewrite_rows_per_s,
                                 calibration.rewrite_values_per_s, columns, calibration)
                   + _builds(index_count, text, heap_mb, rows, calibration))
        inputs.update(indexes_rebuilt=index_count, text_key_indexes=text)
    elif work is Work.SCAN:
        seconds = scan_seconds(heap_mb, rows, calibration)
    elif work in (Work.INDEX_BUILD, Work.INDEX_BUILD_CONCURRENTLY):
        text = min(text_key_indexes, indexes_built)
        seconds = _builds(indexes_built, text, heap_mb, rows, calibration)
        if work is Work.INDEX_BUILD_CONCURRENTLY:
            seconds += indexes_built * scan_seconds(heap_mb, rows, calibration)
        inputs.update(indexes_built=indexes_built, text_key_indexes=text)
    elif work is Work.UPDATE:
        hot = hot_share(fraction, fillfactor, indexed_column_changed)
        entries = changed * (1.0 - hot) * index_count
        seconds = (scan_seconds(heap_mb, rows, calibration)
                   + row_seconds(changed, calibration.update_rows_per_s,
                                 calibration.update_values_per_s, columns, calibration)
                   + _per(heap_mb * fraction, calibration.update_mb_per_s)
                   + _per(entries, calibration.index_entries_per_s))
        inputs.update(fraction=fraction, indexes_maintained=index_count,
                      hot_share=round(hot, 3), index_entries=round(entries))
    else:
        seconds = (scan_seconds(heap_mb, rows, calibration)
                   + _per(changed, calibration.delete_rows_per_s)
                   + _per(heap_mb * fraction, calibration.delete_mb_per_s))
        inputs["fraction"] = fraction
    seconds += calibration.statement_overhead_s or 0.0
    return Estimate(seconds=seconds, work=work, inputs=inputs)


def _builds(count: int, text: int, heap_mb: float, rows: float,
            calibration: Calibration) -> float:
    """``count`` index builds, ``text`` of them on text keys."""
    return ((count - text) * index_build_seconds(heap_mb, rows, calibration)
            + text * index_build_seconds(heap_mb, rows, calibration, text_key=True))
