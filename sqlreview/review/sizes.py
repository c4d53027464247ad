"""``--stats``: production sizes, and the estimates and size-graded risk they give."""

from __future__ import annotations

from dataclasses import dataclass

from sqlreview.results import Review
from sqlreview.stats.apply import Thresholds, apply_stats
from sqlreview.stats.estimate import Calibration
from sqlreview.stats.snapshot import Snapshot

DEFAULT_THRESHOLDS = {"risk_critical_seconds": 60.0, "risk_high_seconds": 10.0,
                      "risk_medium_seconds": 1.0}


@dataclass
class Sizes:
    """``--stats`` and what grading by it needs."""

    snapshot: Snapshot
    calibration: Calibration
    thresholds: Thresholds
    source: str


def apply_sizes(review: Review, sizes: Sizes | None) -> None:
    """Estimates and size-graded risk with ``--stats``; without, say sizes are unknown."""
    if sizes is None:
        review.settings.stats = None
        return
    apply_stats(review, sizes.snapshot, sizes.calibration, sizes.thresholds,
                source=sizes.source)
    review.warnings.extend(f"--stats {sizes.source}: the dump could not read {item}"
                           for item in sizes.snapshot.unreadable)
