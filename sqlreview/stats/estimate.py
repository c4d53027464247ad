"""Seconds for a kind of work on a table of known size.

The model follows what dominates each kind of work in PostgreSQL:

- a rewrite writes the heap and TOAST again and rebuilds every index;
- a validating scan reads the heap once;
- a B-tree build reads the heap and sorts the keys; CONCURRENTLY reads it twice;
- an UPDATE writes a new version of each row it changes and an entry in each index;
- a DELETE marks each row it removes.

The throughput figures come from a ``Calibration``: the shipped defaults, or
a file written by ``sqlreview calibrate``.
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
    """Throughput of one machine. Values are per second."""

    rewrite_mb_per_s: float
    scan_mb_per_s: float
    index_build_mb_per_s: float  # of heap read and sorted, per index built
    update_rows_per_s: float  # new row versions, without index maintenance
    index_entries_per_s: float  # index entries written by an UPDATE/INSERT
    delete_rows_per_s: float
    machine: str = "unknown"
    measured_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimate:
    seconds: float
    work: Work
    inputs: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 3), "work": self.work.value,
                "inputs": dict(self.inputs)}


def estimate(work: Work, table: TableStats, calibration: Calibration, *,
             fraction: float = 1.0, indexes_built: int = 1) -> Estimate:
    """Seconds ``work`` takes on ``table``; ``fraction`` of its rows for UPDATE/DELETE."""
    heap_mb = (table.heap_bytes + table.toast_bytes) / MB
    rows = table.row_count * fraction
    index_count = len(table.indexes)
    inputs: dict[str, Any] = {"table": table.name, "rows": table.row_count,
                              "heap_bytes": table.heap_bytes,
                              "toast_bytes": table.toast_bytes,
                              "index_bytes": table.index_bytes}
    if work is Work.REWRITE:
        seconds = heap_mb / calibration.rewrite_mb_per_s + (
            index_count * table.heap_bytes / MB / calibration.index_build_mb_per_s)
        inputs["indexes_rebuilt"] = index_count
    elif work is Work.SCAN:
        seconds = table.heap_bytes / MB / calibration.scan_mb_per_s
    elif work in (Work.INDEX_BUILD, Work.INDEX_BUILD_CONCURRENTLY):
        passes = 2 if work is Work.INDEX_BUILD_CONCURRENTLY else 1
        seconds = indexes_built * table.heap_bytes / MB / calibration.index_build_mb_per_s
        seconds += (passes - 1) * table.heap_bytes / MB / calibration.scan_mb_per_s
        inputs["indexes_built"] = indexes_built
    elif work is Work.UPDATE:
        seconds = rows / calibration.update_rows_per_s + (
            rows * index_count / calibration.index_entries_per_s)
        inputs.update(fraction=fraction, indexes_maintained=index_count)
    else:
        seconds = rows / calibration.delete_rows_per_s
        inputs["fraction"] = fraction
    return Estimate(seconds=seconds, work=work, inputs=inputs)
