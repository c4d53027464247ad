"""A plain-text table with multi-line cells, drawn in one pass.

The summary tables are tabulate's; the statement listing, one row per
statement, is drawn here: tabulate wraps and measures every cell several
times, and on 40,000 statements that cost as much as the analysis itself.
These tables are simpler (cells are shortened beforehand, nothing is
wrapped), so a row costs a few string joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    cells: list[list[str]]  # each cell: its lines
    notes: list[str] = field(default_factory=list)  # full-width lines under the row


def table(headers: list[str], rows: list[Row], *, right: frozenset[int] = frozenset(),
          notes_at: int = 0, indent: str = "") -> list[str]:
    """``right``: columns aligned right (numbers); notes start under column ``notes_at``."""
    widths = [len(header) for header in headers]
    for row in rows:
        for column, cell in enumerate(row.cells):
            for line in cell:
                if len(line) > widths[column]:
                    widths[column] = len(line)
    gap = "  "
    notes_indent = indent + " " * (sum(widths[:notes_at]) + len(gap) * notes_at)

    def draw(cells: list[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(cells)]
        return (indent + gap.join(parts)).rstrip()

    lines = [draw(headers), draw(["-" * width for width in widths])]
    for row in rows:
        height = max(len(cell) for cell in row.cells)
        for number in range(height):
            lines.append(draw([cell[number] if number < len(cell) else ""
                               for cell in row.cells]))
        lines.extend(notes_indent + note for note in row.notes)
    return lines
