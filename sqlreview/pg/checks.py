"""The statement-level checks now live beside their rules in ``sqlreview.pg.rules``;
this module keeps the names the analyzer imports."""

from __future__ import annotations

from sqlreview.pg.rules import (
    CHECKS,
    Check,
    ResolvedAction,
    StatementFacts,
    run_checks,
    version_gated_syntax,
)

__all__ = ["CHECKS", "Check", "ResolvedAction", "StatementFacts", "run_checks",
           "version_gated_syntax"]
