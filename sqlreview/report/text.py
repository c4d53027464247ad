"""The terminal report: verdict, one summary row per migration or file, then
the statements at or above --show, each with its findings underneath.

The summary is a tabulate table; the statement listing, which can run to tens
of thousands of rows, is drawn by ``layout`` in one pass."""

from __future__ import annotations

from tabulate import tabulate

from sqlreview.report import cells, digest, escape, layout
from sqlreview.report.digest import SectionDigest
from sqlreview.results import Level, Review, StatementResult

DEFAULT_SHOW: Level | None = Level.MEDIUM


def render_text(review: Review, *, show: Level | None = DEFAULT_SHOW) -> str:
    items = digest.digests(review, show)
    blocks = [digest.verdict(review, items) + "\n" + digest.summary_line(review)]
    sizes = digest.sizes_line(review)
    notes = [sizes] if sizes else []
    notes += [f"warning: {warning}" for warning in review.warnings]
    notes += [f"error: {error}" for error in review.errors]
    if notes:
        blocks.append("\n".join(notes))
    if items:
        blocks.append("\n".join(summary_table(review, items)))
    for item in items:
        block = _section(review, item, show)
        if block:
            blocks.append(block)
    return escape.terminal("\n\n".join(blocks) + "\n")


def summary_table(review: Review, items: list[SectionDigest]) -> list[str]:
    unit = "Migration" if review.kind == "migrations" else "File"
    with_phase = any(item.phase for item in items)
    headers = [unit, "Risk", "Locks (strongest first)", "Longest hold", "Findings"]
    if with_phase:
        headers.insert(2, "Phase")
    rows = []
    for item in items:
        row = [item.section.title, item.risk_label, digest.locks_cell(item),
               digest.hold_cell(item), " ".join(item.codes) or "—"]
        if with_phase:
            row.insert(2, item.phase or "—")
        rows.append(row)
    return tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True
                    ).splitlines()


def _section(review: Review, item: SectionDigest, show: Level | None) -> str:
    section = item.section
    if not item.shown and not section.error and not section.warnings:
        return ""
    lines = [f"{section.title} — {item.risk_label}"]
    if (package := cells.package_line(section)) is not None:
        lines.append(package)
    if section.error:
        lines.append(f"FAILED: {section.error}")
    lines += [f"warning: {warning}" for warning in section.warnings]
    lines += digest.frame_lines(item)
    if not section.statements and not section.error:
        lines.append("no statements")
    if item.shown:
        lines.append("")
        lines += statement_table(review, item.shown)
        lines += [f"  {code}: {advice}" for code, advice in cells.package_advice(item.shown)]
    if item.hidden and show is not None:
        lines.append(f"  ({item.hidden} statement{'s' if item.hidden != 1 else ''} below "
                     f"{show.label} not shown: --show all lists them)")
    return "\n".join(lines)


def statement_table(review: Review, statements: list[StatementResult]) -> list[str]:
    trace = bool(review.settings.get("trace"))
    with_line = review.kind != "migrations"
    headers = ["#", *(["Line"] if with_line else []), "Risk", "Statement", "Locks",
               *(["Measured"] if trace else []), "Blocks", "Cost"]
    rows = []
    for statement in statements:
        what = [cells.what(statement, 72)]
        if statement.operation:
            what.insert(0, digest.shorten(statement.operation, 72))
        row = [[str(statement.index)], *([[str(statement.line)]] if with_line else []),
               [statement.risk_label], what,
               [digest.shorten(lock, 48) for lock in cells.locks(statement, held=False)]
               or ["—"],
               *([cells.measured(statement) or ["—"]] if trace else []),
               [cells.blocks(statement)], [cells.cost(statement)]]
        estimate = cells.estimate(statement)
        notes = [digest.shorten(line, 160) for line in
                 ([estimate] if estimate else []) + cells.findings(statement)]
        rows.append(layout.Row(row, notes))
    right = frozenset({0, 1} if with_line else {0})
    return layout.table(headers, rows, right=right, notes_at=3 if with_line else 2,
                        indent="  ")


__all__ = ["DEFAULT_SHOW", "render_text", "statement_table", "summary_table"]
