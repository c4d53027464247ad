"""The calibration's solver, on samples made from known rates (no server)."""

from __future__ import annotations

import pytest

from sqlreview.stats.solve import (
    BASE_COLUMNS,
    FASTEST_MB_PER_S,
    FASTEST_ROWS_PER_S,
    Sample,
    per_column,
    solve,
    toast_rate,
)

MB_PER_S, ROWS_PER_S = 200.0, 2_000_000.0


def sample(table: str, heap_mb: float, rows: float, *, columns: int = BASE_COLUMNS,
           extra: float = 0.0) -> Sample:
    seconds = heap_mb / MB_PER_S + rows / ROWS_PER_S + extra
    return Sample(table, heap_mb, rows, seconds, columns)


NARROW = sample("narrow", 40, 400_000)
WIDE = sample("wide", 40, 40_000)


def test_two_tables_of_one_size_give_both_rates() -> None:
    assert solve(NARROW, WIDE) == pytest.approx((MB_PER_S, ROWS_PER_S))


def test_a_part_accounted_elsewhere_is_left_out() -> None:
    scan = 0.5
    slower = [sample(s.table, s.heap_mb, s.rows, extra=scan) for s in (NARROW, WIDE)]
    assert solve(*slower, minus=lambda s: scan) == pytest.approx((MB_PER_S, ROWS_PER_S))


def test_noise_that_makes_a_term_negative_caps_it_as_next_to_free() -> None:
    # As long on ten times fewer rows: megabytes explain it all, rows cost next to nothing.
    as_long = solve(Sample("narrow", 40, 400_000, 1.0), Sample("wide", 40, 40_000, 1.0))
    assert as_long == pytest.approx((40.0, FASTEST_ROWS_PER_S))
    # Ten times faster on ten times fewer rows: rows explain it all.
    by_rows = solve(Sample("narrow", 40, 400_000, 1.0), Sample("wide", 40, 40_000, 0.1))
    assert by_rows == pytest.approx((FASTEST_MB_PER_S, 400_000.0))


def test_each_further_column_value_costs_what_the_rest_does_not_explain() -> None:
    values_per_s = 10_000_000.0
    many = sample("many", 40, 400_000, columns=BASE_COLUMNS + 6,
                  extra=400_000 * 6 / values_per_s)
    assert per_column(many, MB_PER_S, ROWS_PER_S) == pytest.approx(values_per_s)


def test_toast_is_what_the_rewrite_took_beyond_its_heap_and_rows() -> None:
    toast_mb_per_s = 50.0
    heap = sample("toasted", 2, 10_000)
    toasted = Sample("toasted", 30, 10_000, heap.seconds + 30 / toast_mb_per_s, 2,
                     heap_beside=2)
    assert toast_rate(toasted, MB_PER_S, ROWS_PER_S) == pytest.approx(toast_mb_per_s)
    # Nothing beyond the heap: TOAST costs what the heap does.
    assert toast_rate(Sample("toasted", 30, 10_000, heap.seconds, 2, heap_beside=2),
                      MB_PER_S, ROWS_PER_S) == MB_PER_S
