"""The terminal table and the Markdown report, both drawn by tabulate."""

from __future__ import annotations

from tabulate import tabulate

from sqlreview.pg import rules
from sqlreview.report import cells
from sqlreview.results import Review, Section, StatementResult, summarize

HEADERS = ["#", "Line", "Statement", "Locks", "Blocks", "Cost", "Risk", "Findings"]
WIDTHS = [None, None, 40, 36, 12, 12, 8, 50]


def _columns(review: Review) -> tuple[list[str], list[int | None]]:
    """Migrations have no useful line numbers: their rows name the operation instead.
    With --trace, what was measured stands beside the estimated locks."""
    headers, widths = list(HEADERS), list(WIDTHS)
    if review.settings.get("trace"):
        headers.insert(4, "Measured")
        widths.insert(4, 30)
    if review.kind == "migrations":
        del headers[1], widths[1]
    return headers, widths


def summary_line(review: Review) -> str:
    counts = summarize(review.statements)
    unit = "migration" if review.kind == "migrations" else "file"
    sections = len(review.sections)
    parts = [f"{counts[level]} {level}" for level in ("critical", "high", "medium", "low")
             if counts[level]]
    if counts["unknown"]:
        parts.append(f"{counts['unknown']} not understood")
    statements = counts["statements"]
    return (
        f"sqlreview: {statements} statement{'s' if statements != 1 else ''} in {sections} "
        f"{unit}{'s' if sections != 1 else ''}, PostgreSQL {review.pg_version} assumed"
        + (f": {', '.join(parts)}" if parts else "")
    )


def render_text(review: Review) -> str:
    blocks = [summary_line(review)]
    blocks.extend(f"warning: {warning}" for warning in review.warnings)
    for section in review.sections:
        blocks.append(_section_heading(section))
        if section.statements:
            headers, widths = _columns(review)
            rows = [_row(statement, "\n", headers) for statement in section.statements]
            blocks.append(tabulate(rows, headers=headers, tablefmt="simple",
                                   maxcolwidths=widths))
        blocks.extend(_holds(section))
    return "\n\n".join(blocks) + "\n"


def render_markdown(review: Review) -> str:
    blocks = [f"### sqlreview: {_title(review)}", f"**{summary_line(review)}**"]
    blocks.extend(f"> warning: {warning}" for warning in review.warnings)
    for section in review.sections:
        blocks.append(f"#### {_section_heading(section)}")
        if section.statements:
            headers, _widths = _columns(review)
            rows = [[_escape(cell) for cell in _row(statement, "<br>", headers)]
                    for statement in section.statements]
            blocks.append(tabulate(rows, headers=headers, tablefmt="github"))
        blocks.extend(f"- {line}" for line in _holds(section))
    blocks.append(_rule_details(review))
    return "\n\n".join(block for block in blocks if block) + "\n"


def _title(review: Review) -> str:
    return "migration risk" if review.kind == "migrations" else "SQL risk"


def _section_heading(section: Section) -> str:
    heading = section.title
    if section.atomic is not None:
        heading += " (atomic)" if section.atomic else " (not atomic)"
    if section.error:
        heading += f" — FAILED: {section.error}"
    for warning in section.warnings:
        heading += f"\n  warning: {warning}"
    if not section.statements and not section.error:
        heading += " — no statements"
    return heading


def _row(statement: StatementResult, newline: str, headers: list[str]) -> list[str]:
    what = cells.what(statement)
    if statement.operation:
        what = f"{statement.operation}{newline}{what}"
    return [
        str(statement.index),
        *([str(statement.line)] if "Line" in headers else []),
        what,
        newline.join(cells.locks(statement)) or "—",
        *([newline.join(cells.measured(statement)) or "—"] if "Measured" in headers else []),
        cells.blocks(statement),
        cells.cost(statement),
        cells.risk(statement),
        newline.join(cells.findings(statement)) or "—",
    ]


def _holds(section: Section) -> list[str]:
    lines = []
    for hold in section.analysis.holds:
        if not hold.held_through:
            continue
        released = (f"COMMIT at #{hold.released_at}" if hold.released_at is not None
                    else "the end of the input (never committed)")
        during = ", ".join(
            f"#{index} {section.statements[index].kind}" for index in hold.held_through
            if index < len(section.statements)
        )
        steps = f" ({hold.taken_text})" if len(hold.taken) > 1 else ""
        lines.append(
            f"{hold.mode.sql_name} on {hold.relation}{steps} is held from #{hold.acquired_at} "
            f"to {released}, through {during}"
        )
    return lines


def _rule_details(review: Review) -> str:
    codes = sorted({f.code for s in review.statements for f in s.findings})
    if not codes:
        return ""
    items = []
    for code in codes:
        rule = rules.rule(code)
        items.append(f"- **{code} `{rule.name}`**: {rule.summary} {rule.why} "
                     f"*Instead:* {rule.instead}")
    return "<details><summary>What the findings mean</summary>\n\n" + "\n".join(items) + \
        "\n\n</details>"


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")
