"""Where a report links to: each rule's page, and a migration file at the
pull request's head commit (only the publisher knows the repository and the
commit, so it passes a ``FileUrl``; without one, the report makes no file link)."""

from __future__ import annotations

from collections.abc import Callable

# The rule pages of the documentation site; a report option may point elsewhere.
RULES_BASE_URL = "https://sqlreview.readthedocs.io/en/latest/rules/"

# (path as the review names it, line or None) -> the URL of that file and line, or
# None where the platform has no page for it (a file outside the repository).
FileUrl = Callable[[str, int | None], str | None]


def rule_url(code: str, base: str = RULES_BASE_URL) -> str:
    """``https://sqlreview.readthedocs.io/en/latest/rules/SR103/``."""
    return f"{base.rstrip('/')}/{code}/"


def no_file_url(path: str, line: int | None) -> str | None:
    """The report outside a pull request: no file links."""
    return None
