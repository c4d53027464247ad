"""The review stage, between render and report.

``build_review`` (rendered Django migrations) or ``review_sql`` (SQL texts)
make a ``Review`` of analysed statements; ``finish`` runs the steps after the
analysis in their one order (sizes, config ignores, deploy plan, drift).
The report formats and publishing read the plain ``Review`` it hands on.
"""

from __future__ import annotations

from sqlreview.review.finish import DeployOutcome, ProjectConfig, finalize, finish
from sqlreview.review.sizes import DEFAULT_THRESHOLDS, Sizes, apply_sizes

__all__ = ["DEFAULT_THRESHOLDS", "DeployOutcome", "ProjectConfig", "Sizes", "apply_sizes",
           "finalize", "finish"]
