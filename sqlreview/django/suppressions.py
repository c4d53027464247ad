"""Apply a migration file's ``# sqlreview: ignore`` comments to its statements.

On an operation's lines: the findings of the statements that operation emitted
(deferred SQL included). On the ``class Migration`` line: every statement of
the migration, and the migration's own findings. An ignore without a reason
does not apply (SR006); one that matches no finding is reported (SR005), so
stale ignores do not pile up.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlreview.django.source import MigrationSource
from sqlreview.pg.rules import RULES_BY_CODE
from sqlreview.pg.rules.input import SR005, SR006
from sqlreview.results import Finding, Section, StatementResult
from sqlreview.suppress import Ignore, suppress, suppressed


def apply_ignores(section: Section, source: MigrationSource,
                  operations: Mapping[int, int | None]) -> None:
    """``operations``: the top-level operation index of each statement (by index)."""
    # Operation ignores first: their reason is the more specific one.
    ordered = sorted(source.ignores, key=lambda ignore: (ignore.operation_index is None,
                                                         ignore.line))
    for ignore in ordered:
        _apply(section, ignore, operations)


def _apply(section: Section, ignore: Ignore, operations: Mapping[int, int | None]) -> None:
    statements = section.statements
    if ignore.stray:
        _report(section, statements[0] if statements else None, SR005.finding(
            f"line {ignore.line}: `# {ignore.text}` is neither on an operation's lines nor on "
            "the `class Migration` line, so it ignores nothing"))
        return
    scope = [s for s in statements if ignore.operation_index is None
             or operations.get(s.index) == ignore.operation_index]
    target = scope[0] if scope else (statements[0] if statements else None)
    where = ("this migration" if ignore.operation_index is None
             else f"operation {ignore.operation_index + 1}")
    if not ignore.codes:
        _report(section, target, SR005.finding(
            f"line {ignore.line}: `# sqlreview: ignore` names no code (write e.g. "
            "`# sqlreview: ignore SR107 -- why`)"))
        return
    if not ignore.reason:
        _report(section, target, SR006.finding(
            f"line {ignore.line}: `# {ignore.text}` gives no reason, so it does not apply "
            f"(write `# {ignore.text} -- why it is safe`)"))
        return
    reasons = dict.fromkeys(ignore.codes, ignore.reason)
    matched: set[str] = set()
    for statement in scope:
        matched |= suppress(statement, reasons)
    if ignore.operation_index is None:  # the migration's own findings too
        section.findings, own = suppressed(section.findings, reasons)
        matched |= own
    unmatched = [code for code in ignore.codes if code not in matched]
    if unmatched:
        unknown = [code for code in unmatched if code not in RULES_BY_CODE]
        detail = f" ({', '.join(unknown)}: no such sqlreview code)" if unknown else ""
        _report(section, target, SR005.finding(
            f"line {ignore.line}: ignore {', '.join(unmatched)} matches no finding of "
            f"{where}{detail}: remove it"))


def _report(section: Section, target: StatementResult | None, finding: Finding) -> None:
    if target is None:
        section.warnings.append(f"{finding.code}: {finding.message}")
        return
    target.findings.append(finding)
