"""Django 4.2 renders ``default=timezone.now`` as the time of rendering: two renders
of the sample's library.0004 differ there, and --trace notes that it ran other SQL
than it rendered. These helpers let the tests tell that apart from a real problem."""

from __future__ import annotations

import re

TIME_LITERAL = re.compile(r"'\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?'")


def mask_now(text: str) -> str:
    return TIME_LITERAL.sub("'<now>'", text)


def is_time_dependent_warning(warning: str) -> bool:
    """--trace's note that a migration ran SQL other than rendered."""
    return warning.startswith("--trace:") and "ran as different SQL" in warning
