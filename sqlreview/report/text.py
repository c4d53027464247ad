"""The terminal report: verdict, one summary row per migration or file, then
the statements at or above --show, and under them their findings, each said
once in the shape of a linter (``path:line: SR103 critical  message``, the
statements it covers, ``help:`` and the rule's page).

Everything fits the width of ``TerminalOptions``: tables wrap their cells,
prose wraps at words; nothing a reader needs is cut. The statement listing,
which can run to tens of thousands of rows, is drawn by ``layout`` in one pass.
User text is escaped piece by piece before it is painted, so a hostile name
cannot drive the terminal and our colours survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlreview.pg import rules
from sqlreview.report import cells, digest, escape, layout
from sqlreview.report.digest import SectionDigest
from sqlreview.report.links import rule_url
from sqlreview.report.terminal import TerminalOptions
from sqlreview.results import Finding, Level, Review, StatementResult

DEFAULT_SHOW: Level | None = Level.MEDIUM
ERROR_SQL_WIDTH = 200  # an unparsed statement's SQL is shown up to this (it may be 1 MB)
STATEMENT_WEIGHT = 1.5  # the Statement column keeps more room than Locks, Blocks, Cost
LISTED_NAMES = 3  # a long list of tables in a message: the first few, then a count
LONG_LIST = 6
_NAME = r'[\w.$"]+(?: \([A-Z ]+\))?'  # a table, maybe with its lock: t (SHARE)
_NAME_LIST = re.compile(rf'(?<![\w"(])((?:{_NAME}, ){{{LONG_LIST - 1},}}{_NAME})')
RANGE_DASH = "\u2013"  # an en dash: #5-#9 reads as a range, not a minus
_HANGING = "    "


def render_text(review: Review, *, show: Level | None = DEFAULT_SHOW,
                options: TerminalOptions | None = None) -> str:
    return _Report(review, show, options if options is not None else TerminalOptions()).render()


@dataclass
class _Report:
    review: Review
    show: Level | None
    terminal: TerminalOptions
    blocks: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return self.terminal.width

    def render(self) -> str:
        items = digest.digests(self.review, self.show)
        self.blocks.append("\n".join(self._verdict(items) + self.prose(
            digest.summary_line(self.review))))
        notes: list[str] = []
        sizes = digest.sizes_line(self.review)
        for line in ([sizes] if sizes else []):
            notes += self.prose(line)
        for warning in self.review.warnings:
            notes += self.prose(f"warning: {warning}")
        for error in self.review.errors:
            notes += self.prose(f"error: {error}")
        if notes:
            self.blocks.append("\n".join(notes))
        if items:
            self.blocks.append("\n".join(summary_table(self.review, items, self.terminal)))
        for item in items:
            block = self._section(item)
            if block:
                self.blocks.append(block)
        return "\n\n".join(self.blocks) + "\n"

    def prose(self, text: str, *, indent: str = "", hanging: str = _HANGING,
              style: str | None = None) -> list[str]:
        """A paragraph of user text: escaped, wrapped to the width, painted."""
        lines = layout.wrap(escape.terminal(escape.flat(text)), self.width, indent=indent,
                            hanging=hanging)
        if style is None or not self.terminal.color:
            return lines
        return [line[:len(line) - len(line.lstrip())]
                + self.terminal.paint(line.lstrip(), style) for line in lines]

    def _verdict(self, items: list[SectionDigest]) -> list[str]:
        """The verdict in bold, in the colour of the worst risk when above low."""
        worst = max((item.level for item in items), default=Level.LOW)
        style = f"bold+{worst.label}" if worst > Level.LOW else "bold"
        return self.prose(digest.verdict(self.review, items), style=style)

    def _section(self, item: SectionDigest) -> str:
        section = item.section
        if (not item.shown and not section.error and not section.warnings
                and not section.findings):
            return ""
        title = self.terminal.paint(escape.terminal(f"{section.title} — "), "bold") + \
            self.terminal.paint(item.risk_label, f"bold+{item.risk_label}")
        lines = [title]
        if (package := cells.package_line(section)) is not None:
            lines += self.prose(package)
        if section.error:
            lines += self.prose(f"FAILED: {section.error}", style="failed")
        for warning in section.warnings:
            lines += self.prose(f"warning: {warning}")
        for finding in section.findings:
            lines += self._migration_finding(finding)
        for frame in digest.frame_lines(item):
            lines += self.prose(frame)
        if not section.statements and not section.error:
            lines.append("no statements")
        if item.shown:
            lines.append("")
            lines += statement_table(self.review, item.shown, self.terminal)
            helped: set[tuple[str, str | None]] = set()
            for said in repeated_findings(item.shown):
                lines.append("")
                advised = (said.finding.code, said.finding.instead)
                lines += self._finding(said, with_help=advised not in helped)
                helped.add(advised)
        if item.hidden and self.show is not None:
            if item.shown:
                lines.append("")
            lines += self.prose(
                f"({item.hidden} statement{'s' if item.hidden != 1 else ''} below "
                f"{self.show.label} not shown: --show all lists them)", indent="  ")
        return "\n".join(lines)

    def _migration_finding(self, finding: Finding) -> list[str]:
        """``SR415 high  message``: about the migration, no statement of it."""
        message = summarise_names(finding.message)
        if finding.suppressed:
            message += f" (ignored: {finding.suppressed})"
        lines = self.prose(f"{finding.code} {finding.severity.label}  {message}")
        lines += self.prose(f"help: {advice(finding)}", indent="    ", hanging="      ")
        return lines

    def _finding(self, said: SaidOnce, *, with_help: bool = True) -> list[str]:
        """``path:line: SR103 critical  message``, the statements, then (the first
        time the section meets the code) help and the rule's page."""
        first = said.statements[0]
        finding = said.finding
        where = escape.terminal(f"{first.file}:{first.line}: ")
        label = f"{finding.code} {finding.severity.label}"
        message = summarise_names(finding.message)
        if finding.suppressed:
            message += f" (ignored: {finding.suppressed})"
        # Two spaces set the message apart (ruff's shape); escaped user text has
        # no NUL, so it holds them together through the wrapping.
        body = [line.replace("\0", " ") for line in layout.wrap(
            where + label + "\0\0" + escape.terminal(escape.flat(message)), self.width,
            indent="  ", hanging=_HANGING)]
        head = "  " + where + label
        if self.terminal.color and body[0].startswith(head):
            body[0] = ("  " + where + self.terminal.paint(label, finding.severity.label)
                       + body[0][len(head):])
        lines = body
        lines += self.prose(f"{statement_list(said.statements)}: {_statement_words(first)}",
                            indent="    ", hanging="  ")
        if with_help:
            lines += self.prose(f"help: {advice(finding)}", indent="    ", hanging="      ")
            lines += self.prose(rule_url(finding.code), indent="    ", style="dim")
        return lines


def _statement_words(statement: StatementResult) -> str:
    what = cells.what(statement, ERROR_SQL_WIDTH if statement.error else 10**6)
    return f"{statement.operation}: {what}" if statement.operation else what


def advice(finding: Finding) -> str:
    """What to do: this occurrence's own advice, else the rule's."""
    if finding.instead:
        return finding.instead
    known = rules.RULES_BY_CODE.get(finding.code)
    return known.instead if known is not None else "see the rule's page"


@dataclass
class SaidOnce:
    """A finding and every shown statement of the section it was raised on."""

    finding: Finding
    statements: list[StatementResult]


def repeated_findings(statements: list[StatementResult]) -> list[SaidOnce]:
    """Each distinct finding once, with the statements it covers, in order of
    first appearance."""
    said: dict[tuple[str, str, str | None, str | None], SaidOnce] = {}
    for statement in statements:
        for finding in statement.findings:
            key = (finding.code, finding.message, finding.suppressed, finding.instead)
            if key in said:
                if said[key].statements[-1] is not statement:
                    said[key].statements.append(statement)
            else:
                said[key] = SaidOnce(finding, [statement])
    return list(said.values())


def statement_list(statements: list[StatementResult]) -> str:
    """``#3`` or ``#3, #5``, en dash, ``#9``: runs of three or more as ranges."""
    numbers = sorted({statement.index for statement in statements})
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = [f"#{run[0]}" if len(run) == 1 else
             (f"#{run[0]}, #{run[1]}" if len(run) == 2 else f"#{run[0]}{RANGE_DASH}#{run[-1]}")
             for run in runs]
    return ", ".join(parts)


def summarise_names(message: str) -> str:
    """A long comma-separated list of names in a message: ``14 tables: a, b, c and 11 more``."""
    def shorter(match: re.Match[str]) -> str:
        names = match.group(1).split(", ")
        return (f"{len(names)} tables: {', '.join(names[:LISTED_NAMES])} and "
                f"{len(names) - LISTED_NAMES} more")

    return _NAME_LIST.sub(shorter, message)


def summary_table(review: Review, items: list[SectionDigest],
                  terminal: TerminalOptions | None = None) -> list[str]:
    """One row per migration or file; when its five or six columns do not fit
    the width unwrapped, the locks and the longest hold go on a line under the
    row instead (a table of five wrapped columns reads as noise)."""
    terminal = terminal if terminal is not None else TerminalOptions()
    unit = "Migration" if review.kind == "migrations" else "File"
    with_phase = any(item.phase for item in items)
    headers = [unit, "Risk", *(["Phase"] if with_phase else []), "Locks (strongest first)",
               "Longest hold", "Findings"]
    rows = [layout.Row([[_cell(text)] for text in _summary_cells(item, with_phase)])
            for item in items]
    if layout.fits_unwrapped(headers, rows, terminal.width):
        return layout.table(headers, rows, paint=_risk_painter(terminal, 1))
    return _stacked_summary(headers, items, with_phase, terminal)


def _summary_cells(item: SectionDigest, with_phase: bool) -> list[str]:
    return [item.section.title, item.risk_label, *([item.phase or "—"] if with_phase else []),
            digest.locks_cell(item), digest.hold_cell(item), " ".join(item.codes) or "—"]


def _stacked_summary(headers: list[str], items: list[SectionDigest], with_phase: bool,
                     terminal: TerminalOptions) -> list[str]:
    """The narrow summary: name, risk, phase and findings in columns, the locks
    and the longest hold on a line under each row."""
    narrow = [header for header in headers if header not in (
        "Locks (strongest first)", "Longest hold")]
    rows = []
    for item in items:
        cells = _summary_cells(item, with_phase)
        locks, hold = cells[-3], cells[-2]
        rows.append(layout.Row([[_cell(text)] for text in cells[:-3] + cells[-1:]],
                               [_cell(note) for note in _lock_note(locks, hold)]))
    return layout.table(narrow, rows, notes_at=1, width=terminal.width,
                        wrapping=frozenset(range(len(narrow))) - {0, 1},
                        paint=_risk_painter(terminal, 1), widest_first=True)


def _lock_note(locks: str, hold: str) -> list[str]:
    """``locks ACCESS EXCLUSIVE t; held 3 statements: t #2 → COMMIT #5``; nothing
    when the migration locks only its new tables and holds nothing."""
    if locks in ("—", "only new tables") and hold == "—":
        return []
    return [f"locks {locks}" + (f"; held {hold}" if hold != "—" else "")]


def _cell(text: str) -> str:
    return escape.terminal(escape.flat(text))


def _risk_painter(terminal: TerminalOptions, column: int) -> layout.Painter | None:
    if not terminal.color:
        return None

    def paint(at: int, text: str) -> str:
        return terminal.paint(text, text) if at == column else text

    return paint


def statement_table(review: Review, statements: list[StatementResult],
                    terminal: TerminalOptions | None = None) -> list[str]:
    """One row per statement; when its columns cannot fit the width without
    breaking words, the locks, what they block and the cost go on a line under
    the statement instead."""
    terminal = terminal if terminal is not None else TerminalOptions()
    trace = review.settings.trace
    with_line = review.kind != "migrations"
    headers = ["#", *(["Line"] if with_line else []), "Risk", "Statement", "Locks",
               *(["Measured"] if trace else []), "Blocks", "Cost"]
    rows = [_statement_row(statement, with_line, trace) for statement in statements]
    numbers = frozenset({0, 1} if with_line else {0})
    risk_column = 2 if with_line else 1
    wrapping = frozenset(range(len(headers))) - numbers - {risk_column}
    if not layout.fits_whole_words(headers, rows, terminal.width, wrapping, indent="  "):
        return _stacked_statements(headers, rows, risk_column, terminal)
    return layout.table(headers, rows, right=numbers, notes_at=risk_column + 1, indent="  ",
                        width=terminal.width, wrapping=wrapping,
                        paint=_risk_painter(terminal, risk_column), widest_first=True,
                        weights={risk_column + 1: STATEMENT_WEIGHT})


def _statement_row(statement: StatementResult, with_line: bool, trace: bool) -> layout.Row:
    what = [cells.what(statement, ERROR_SQL_WIDTH if statement.error else 10**6)]
    if statement.operation:
        what.insert(0, escape.flat(statement.operation))
    row = [[str(statement.index)], *([[str(statement.line)]] if with_line else []),
           [statement.risk_label], what,
           cells.locks(statement, held=False) or ["—"],
           *([cells.measured(statement) or ["—"]] if trace else []),
           [cells.blocks(statement)], [cells.cost(statement)]]
    estimate = cells.estimate(statement)
    return layout.Row([[escape.terminal(line) for line in cell] for cell in row],
                      [escape.terminal(estimate)] if estimate else [])


def _stacked_statements(headers: list[str], rows: list[layout.Row], risk_column: int,
                        terminal: TerminalOptions) -> list[str]:
    """The narrow listing: number, risk and statement in columns; under each,
    ``locks ACCESS EXCLUSIVE t; blocks reads, writes, DDL; metadata only``."""
    statement_column = risk_column + 1
    stacked = []
    for row in rows:
        rest = dict(zip(headers[statement_column + 1:], row.cells[statement_column + 1:],
                        strict=True))
        note = f"locks {', '.join(rest['Locks'])}"
        if "Measured" in rest:
            note += f"; measured {', '.join(rest['Measured'])}"
        note += f"; blocks {rest['Blocks'][0]}; {rest['Cost'][0]}"
        stacked.append(layout.Row(row.cells[:statement_column + 1], [note, *row.notes]))
    numbers = frozenset(range(risk_column))
    return layout.table(headers[:statement_column + 1], stacked, right=numbers,
                        notes_at=statement_column, indent="  ", width=terminal.width,
                        wrapping=frozenset({statement_column}),
                        paint=_risk_painter(terminal, risk_column))


__all__ = ["DEFAULT_SHOW", "SaidOnce", "advice", "render_text", "repeated_findings",
           "statement_list", "statement_table", "summarise_names", "summary_table"]
