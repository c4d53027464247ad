"""Suppressions: findings a reviewer has accepted, with the reason they gave.

Two sources: ``# sqlreview: ignore SR107 -- reason`` comments in a migration
file (parsed by ``sqlreview.django.source``), and the ``ignore`` codes of
``[tool.sqlreview]``. A suppressed finding stays on its statement, marked with
the reason; the review's last step (``sqlreview.review.finish.finalize``) grades
the statement from the findings that are left, so it no longer counts for the
risk columns or ``--fail-on``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from sqlreview.results import Finding, StatementResult

# "# sqlreview: ignore SR107, SR108 -- why this is fine"
_COMMENT = re.compile(
    r"#\s*sqlreview\s*:\s*ignore\b(?P<codes>[^#]*?)(?:\s--\s*(?P<reason>.*?))?\s*$",
    re.IGNORECASE)
_CODE = re.compile(r"^SR\d{3}$")


@dataclasses.dataclass(frozen=True)
class Ignore:
    """One ``# sqlreview: ignore`` comment."""

    codes: tuple[str, ...]
    reason: str  # "" when none was given: then it does not apply
    line: int
    # The top-level operation whose lines it is on; None: the whole migration
    # (the ``class Migration`` line), or no operation at all (``stray``).
    operation_index: int | None = None
    stray: bool = False  # neither on an operation nor on the class line

    @property
    def text(self) -> str:
        return f"sqlreview: ignore {', '.join(self.codes) or '(no code)'}"


def parse_comment(comment: str, line: int) -> Ignore | None:
    """The ignore a ``#`` comment holds, or None when it is another comment."""
    match = _COMMENT.search(comment)
    if match is None:
        return None
    codes = tuple(code.strip().upper() for code in match.group("codes").split(",")
                  if code.strip())
    return Ignore(codes=codes, reason=(match.group("reason") or "").strip(), line=line)


def is_code(text: str) -> bool:
    return bool(_CODE.match(text))


def suppress(statement: StatementResult, reasons: Mapping[str, str]) -> set[str]:
    """Mark the findings whose code is in ``reasons``; the codes that matched."""
    statement.findings, matched = suppressed(statement.findings, reasons)
    return matched


def suppressed(findings: Iterable[Finding], reasons: Mapping[str, str]
               ) -> tuple[list[Finding], set[str]]:
    """``findings`` with those whose code is in ``reasons`` marked; the codes that matched."""
    matched: set[str] = set()
    marked = []
    for finding in findings:
        reason = reasons.get(finding.code)
        if reason and finding.suppressed is None:
            finding = dataclasses.replace(finding, suppressed=reason)
            matched.add(finding.code)
        marked.append(finding)
    return marked, matched


def suppress_everywhere(statements: Iterable[StatementResult], reasons: Mapping[str, str]
                        ) -> None:
    """The config's ``ignore``: those codes on every statement."""
    if not reasons:
        return
    for statement in statements:
        suppress(statement, reasons)
