"""From the timed samples of ``sqlreview calibrate`` to a ``Calibration``.

Each kind of work is timed on two tables of the same heap size but different
widths (``calibrate.py``); its seconds are ``MB / a + rows / b``, so the two
samples give the two rates ``a`` and ``b``. A third table with more columns gives
what each further column value costs, a table of mostly TOAST what a rewrite
pays per MB of it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlreview.stats.estimate import Calibration, scan_seconds

# The columns of the narrow and wide tables; a table with more measures the rest.
BASE_COLUMNS = 6
# Rates that noise drove to zero or below are capped: a term that costs next to nothing.
FASTEST_MB_PER_S = 100_000.0
FASTEST_ROWS_PER_S = 1e9


@dataclass(frozen=True)
class Sample:
    """One timed statement on one table."""

    table: str
    heap_mb: float
    rows: float
    seconds: float
    columns: int = BASE_COLUMNS
    heap_beside: float = 0.0  # MB of heap, when ``heap_mb`` is the table's TOAST

    def to_json(self) -> dict[str, Any]:
        data = {"table": self.table, "heap_mb": round(self.heap_mb, 2), "rows": self.rows,
                "columns": self.columns, "seconds": round(self.seconds, 4)}
        if self.heap_beside:
            data["heap_beside_mb"] = round(self.heap_beside, 2)
        return data


def solve(narrow: Sample, wide: Sample, *, minus: Callable[[Sample], float] = lambda s: 0.0
          ) -> tuple[float, float]:
    """(MB/s, rows/s) such that ``MB / a + rows / b`` gives both samples' seconds.

    ``minus`` is a part of each sample's time accounted for elsewhere (an UPDATE's
    scan). Noise can make one term negative: then the other term explains both
    samples alone (least squares) and the negative one costs next to nothing."""
    t1 = max(narrow.seconds - minus(narrow), narrow.seconds * 0.1)
    t2 = max(wide.seconds - minus(wide), wide.seconds * 0.1)
    m1, r1, m2, r2 = narrow.heap_mb, narrow.rows, wide.heap_mb, wide.rows
    det = m1 * r2 - m2 * r1
    per_mb = (t1 * r2 - t2 * r1) / det if det else 0.0
    per_row = (m1 * t2 - m2 * t1) / det if det else 0.0
    if per_mb <= 0:
        per_mb, per_row = 1 / FASTEST_MB_PER_S, (t1 * r1 + t2 * r2) / (r1 * r1 + r2 * r2)
    elif per_row <= 0:
        per_mb, per_row = (t1 * m1 + t2 * m2) / (m1 * m1 + m2 * m2), 1 / FASTEST_ROWS_PER_S
    return min(1 / per_mb, FASTEST_MB_PER_S), min(1 / per_row, FASTEST_ROWS_PER_S)


def per_column(sample: Sample, mb_per_s: float, rows_per_s: float, *,
               minus: Callable[[Sample], float] = lambda s: 0.0) -> float:
    """Column values per second beyond the six of the narrow and wide tables: what
    ``sample`` (of the table with more columns) took beyond their figures' account."""
    accounted = sample.heap_mb / mb_per_s + sample.rows / rows_per_s + minus(sample)
    values = sample.rows * (sample.columns - BASE_COLUMNS)
    beyond = sample.seconds - accounted
    return FASTEST_ROWS_PER_S if beyond <= 0 else min(values / beyond, FASTEST_ROWS_PER_S)


def toast_rate(sample: Sample, rewrite_mb: float, rewrite_rows: float) -> float:
    """MB/s of TOAST a rewrite copies: what the toasted table's rewrite took beyond
    its heap and rows at the heap's figures."""
    beyond = sample.seconds - sample.heap_beside / rewrite_mb - sample.rows / rewrite_rows
    if sample.heap_mb <= 0 or beyond <= 0:
        return rewrite_mb
    return min(sample.heap_mb / beyond, FASTEST_MB_PER_S)


def figures(narrow: dict[str, Sample], wide: dict[str, Sample], many: dict[str, Sample], *,
            entries: Sample, text_key: Sample, toast: Sample, overhead: float,
            info: dict[str, Any], notes: list[str]) -> Calibration:
    """The calibration: each kind of work's samples on the narrow, wide and many-column
    tables (by work), the narrow table's UPDATE with two indexes (``entries``) and build
    on its text column, the TOAST rewrite, the statement overhead, the machine."""
    scan_mb, scan_rows = solve(narrow["scan"], wide["scan"])
    rewrite_mb, rewrite_rows = solve(narrow["rewrite"], wide["rewrite"])
    index_mb, index_rows = solve(narrow["index_build"], wide["index_build"])
    partial = Calibration(rewrite_mb_per_s=rewrite_mb, scan_mb_per_s=scan_mb,
                          index_build_mb_per_s=index_mb, update_rows_per_s=1.0,
                          index_entries_per_s=1.0, delete_rows_per_s=1.0,
                          scan_rows_per_s=scan_rows)

    def scan_part(sample: Sample) -> float:
        return scan_seconds(sample.heap_mb, sample.rows, partial)

    update_mb, update_rows = solve(narrow["update"], wide["update"], minus=scan_part)
    delete_mb, delete_rows = solve(narrow["delete"], wide["delete"], minus=scan_part)
    rewrite_values = per_column(many["rewrite"], rewrite_mb, rewrite_rows)
    update_values = per_column(many["update"], update_mb, update_rows, minus=scan_part)
    without_indexes = narrow["update"].seconds
    extra_seconds = max(entries.seconds - without_indexes, entries.seconds * 0.05)
    entries_per_s = min(2 * entries.rows / extra_seconds, FASTEST_ROWS_PER_S)
    raw = {name: [sample[name].to_json() for sample in (narrow, wide, many) if name in sample]
           for name in narrow}
    text_heap = text_key.heap_mb / index_mb if index_mb < FASTEST_MB_PER_S else 0.0
    text_rows = min(text_key.rows / max(text_key.seconds - text_heap, text_key.seconds * 0.1),
                    FASTEST_ROWS_PER_S)
    raw["update_with_2_indexes"] = [entries.to_json()]
    raw["index_build_text_key"] = [text_key.to_json()]
    raw["rewrite_toast"] = [toast.to_json()]
    return Calibration(
        rewrite_mb_per_s=_round(rewrite_mb), rewrite_rows_per_s=_round(rewrite_rows),
        scan_mb_per_s=_round(scan_mb), scan_rows_per_s=_round(scan_rows),
        index_build_mb_per_s=_round(index_mb), index_build_rows_per_s=_round(index_rows),
        index_build_text_rows_per_s=_round(text_rows),
        update_rows_per_s=_round(update_rows), update_mb_per_s=_round(update_mb),
        rewrite_values_per_s=_round(rewrite_values), update_values_per_s=_round(update_values),
        rewrite_toast_mb_per_s=_round(toast_rate(toast, rewrite_mb, rewrite_rows)),
        row_columns=BASE_COLUMNS,
        index_entries_per_s=_round(entries_per_s),
        delete_rows_per_s=_round(delete_rows), delete_mb_per_s=_round(delete_mb),
        statement_overhead_s=round(max(overhead, 1e-6), 6),
        machine=info.pop("summary"),
        measured_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        extra={**info, "samples": raw, "notes": notes},
    )


def _round(value: float) -> float:
    """Three significant digits: the measurement is not more precise than that."""
    return float(f"{value:.3g}")
