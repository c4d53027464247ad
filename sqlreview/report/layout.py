"""Plain-text tables with multi-line cells, fitted to a width, drawn in one pass.

tabulate wraps and measures every cell several times, and on 40,000
statements that cost as much as the analysis itself; here a row costs a few
string joins, and only a cell wider than its column is wrapped.

Fitting: columns keep their natural width while the table fits; otherwise the
columns that may wrap share what the others leave, the narrow ones keeping
their width, and their cells wrap at word boundaries (a word longer than the
column is broken, never cut).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

GAP = "  "
NARROWEST = 8  # a wrapping column is not squeezed below this while there is room
WORD = 20  # nor below its longest word, up to this many characters

Painter = Callable[[int, str], str]  # (column, cell text) → the text as drawn


@dataclass
class Row:
    cells: list[list[str]]  # each cell: its lines
    notes: list[str] = field(default_factory=list)  # lines under the row, wrapped to fit


def wrap(text: str, width: int, *, indent: str = "", hanging: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` characters: the first starts with
    ``indent``, the others with ``indent + hanging``. Words are kept whole
    unless one alone is wider than a line. (Greedy, like textwrap, at a
    fraction of its cost: a long listing wraps tens of thousands of cells.)"""
    if len(indent) + len(text) <= width:
        return [indent + text]
    lines: list[str] = []
    prefix = indent
    line = ""
    for word in text.split():
        room = width - len(prefix)
        if line and len(line) + 1 + len(word) <= room:
            line += " " + word
            continue
        if line:
            lines.append(prefix + line)
            prefix = indent + hanging
            room = width - len(prefix)
        while len(word) > room > 0:
            lines.append(prefix + word[:room])
            word = word[room:]
            prefix = indent + hanging
            room = width - len(prefix)
        line = word
    if line or not lines:
        lines.append(prefix + line)
    return lines


def table(headers: list[str], rows: list[Row], *, right: frozenset[int] = frozenset(),
          notes_at: int = 0, indent: str = "", width: int | None = None,
          wrapping: frozenset[int] | None = None, paint: Painter | None = None,
          widest_first: bool = False, weights: dict[int, float] | None = None) -> list[str]:
    """``right``: columns aligned right (numbers); notes start under column
    ``notes_at``; ``width``: the widest a line may be; ``wrapping``: the columns
    that may wrap to fit it (default: all); ``paint``: colours a cell;
    ``widest_first``: narrow the widest columns only (few cells wrap), rather
    than every wrapping column in proportion (the widest keeps the most);
    ``weights``: with ``widest_first``, a column kept that many times wider."""
    natural = _natural_widths(headers, rows)
    widths = natural if width is None else fit(
        natural, _floors(natural, rows), width - len(indent),
        wrapping if wrapping is not None else frozenset(range(len(headers))),
        widest_first=widest_first, weights=weights or {})
    heading = Row([[header] for header in headers])
    if widths != natural:
        rows = [_wrapped(row, widths) for row in rows]
        heading = _wrapped(heading, widths)
    notes_indent = indent + " " * (sum(widths[:notes_at]) + len(GAP) * notes_at)
    notes_width = max(NARROWEST * 2, (width or 10**9) - len(notes_indent))

    def draw(cells: list[str], painter: Painter | None) -> str:
        parts = []
        last = len(cells) - 1
        for column, cell in enumerate(cells):
            pad = " " * (widths[column] - len(cell))
            shown = painter(column, cell) if painter is not None and cell else cell
            if column in right:
                parts.append(pad + shown)
            else:
                parts.append(shown if column == last else shown + pad)
        return (indent + GAP.join(parts)).rstrip()

    lines = [draw([cell[number] if number < len(cell) else "" for cell in heading.cells], None)
             for number in range(max(len(cell) for cell in heading.cells))]
    lines.append(draw(["-" * w for w in widths], None))
    for row in rows:
        height = max(len(cell) for cell in row.cells)
        for number in range(height):
            lines.append(draw([cell[number] if number < len(cell) else ""
                               for cell in row.cells], paint))
        for note in row.notes:
            if width is None or len(note) <= notes_width:
                lines.append(notes_indent + note)
            else:
                lines.extend(wrap(note, notes_width + len(notes_indent), indent=notes_indent,
                                  hanging="  "))
    return lines


def fits_unwrapped(headers: list[str], rows: list[Row], width: int, indent: str = "") -> bool:
    """Whether the table fits ``width`` without wrapping a cell."""
    natural = _natural_widths(headers, rows)
    return len(indent) + sum(natural) + len(GAP) * (len(natural) - 1) <= width


def fits_whole_words(headers: list[str], rows: list[Row], width: int,
                     wrapping: frozenset[int], indent: str = "") -> bool:
    """Whether the table fits ``width`` with only the ``wrapping`` columns
    wrapped and no word broken."""
    natural = _natural_widths(headers, rows)
    room = width - len(indent) - len(GAP) * (len(natural) - 1)
    if sum(natural) <= room:
        return True
    floors = _floors(natural, rows)
    fixed = sum(natural[c] for c in range(len(natural)) if c not in wrapping)
    return room - fixed >= sum(floors[c] for c in range(len(natural)) if c in wrapping)


def _natural_widths(headers: list[str], rows: list[Row]) -> list[int]:
    widths = [len(header) for header in headers]
    for row in rows:
        for column, cell in enumerate(row.cells):
            for line in cell:
                if len(line) > widths[column]:
                    widths[column] = len(line)
    return widths


def _floors(natural: list[int], rows: list[Row]) -> list[int]:
    """The narrowest each column should get: its longest word, so that words
    are not broken while there is room (and the one space a wrapped line is
    indented by; at least ``NARROWEST``, at most ``WORD``)."""
    floors = [min(width, NARROWEST) for width in natural]
    for row in rows:
        for column, cell in enumerate(row.cells):
            for line in cell:
                if len(line) > floors[column]:
                    longest = max(len(word) for word in line.split()) if line.strip() else 0
                    floors[column] = max(floors[column], min(longest + 1, WORD, natural[column]))
    return floors


def fit(natural: list[int], floors: list[int], width: int,
        wrapping: frozenset[int], *, widest_first: bool = False,
        weights: dict[int, float] | None = None) -> list[int]:
    """Column widths whose sum with the gaps is at most ``width`` where that is
    possible: the wrapping columns share the room the others leave in
    proportion to their natural width, none below its floor; when the others
    leave too little, words break, and if that is not enough every column wraps."""
    room = width - len(GAP) * (len(natural) - 1)
    if sum(natural) <= room:
        return natural
    flexible = [c for c in range(len(natural)) if c in wrapping]
    fixed = sum(natural[c] for c in range(len(natural)) if c not in wrapping)
    if room - fixed < sum(floors[c] for c in flexible):
        # Break words in the wrapping columns before touching the others.
        floors = [min(floors[c], NARROWEST) if c in wrapping else floors[c]
                  for c in range(len(natural))]
    if room - fixed < sum(floors[c] for c in flexible):
        flexible, fixed = list(range(len(natural))), 0
    if widest_first:
        return _capped(natural, floors, flexible, room - fixed, weights or {})
    widths = list(natural)
    left = room - fixed
    pending = list(flexible)
    while pending:
        scale = left / sum(natural[c] for c in pending)
        pinned = [c for c in pending if natural[c] * scale < floors[c]]
        if not pinned:
            break
        for column in pinned:
            widths[column] = floors[column]
            left -= floors[column]
            pending.remove(column)
    if pending:
        total = sum(natural[c] for c in pending)
        for column in pending:
            widths[column] = max(floors[column], natural[column] * left // total)
        spare = left - sum(widths[c] for c in pending)
        for column in sorted(pending, key=lambda c: -natural[c])[:max(0, spare)]:
            widths[column] += 1
    return widths


def _capped(natural: list[int], floors: list[int], flexible: list[int], left: int,
            weights: dict[int, float]) -> list[int]:
    """The widest flexible columns cut down to one cap (times their weight),
    the largest that fits."""
    def width_at(column: int, cap: int) -> int:
        return max(floors[column], min(natural[column], int(cap * weights.get(column, 1.0))))

    widths = list(natural)
    cap = max(natural[c] for c in flexible)
    while cap > 1 and sum(width_at(c, cap) for c in flexible) > left:
        cap -= 1
    for column in flexible:
        widths[column] = width_at(column, cap)
    return widths


def _wrapped(row: Row, widths: list[int]) -> Row:
    cells = []
    for column, cell in enumerate(row.cells):
        limit = widths[column]
        if all(len(line) <= limit for line in cell):
            cells.append(cell)
        else:
            cells.append([part for line in cell for part in wrap(line, limit, hanging=" ")])
    return Row(cells, row.notes)
