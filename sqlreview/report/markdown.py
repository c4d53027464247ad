"""The Markdown report, which is also the pull-request comment.

Read at a glance: the verdict, one short row per migration or file, then per
migration (linked to its file at the pull request's head commit when the
publisher knows it) what holds which lock, its lock timeline (Mermaid, when
risky) and each finding code at or above --show **once**, with the statements
it covers, its one-line advice and a link to its rule page; the statement list
and the SQL are folded in a ``<details>``.

It fits a budget (``COMMENT_BUDGET``, 20,000 characters by default, well
inside GitHub's 65,536): when the full report is longer it is degraded step
by step (the SQL first, then the least risky statement rows, the statement
lists, the timelines, the findings below high, then everything but the
summary) and says what it left out. Every table keeps to a few short columns,
``TABLE_WIDTH`` characters of text a row, so none scrolls sideways in a
comment. Every piece of user text goes through ``escape``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sqlreview.pg import rules
from sqlreview.report import cells, digest, escape
from sqlreview.report.digest import Names, SectionDigest
from sqlreview.report.links import RULES_BASE_URL, FileUrl, no_file_url, rule_url
from sqlreview.report.timeline import render_timeline
from sqlreview.results import Finding, Level, Review, StatementResult

COMMENT_LIMIT = 65_536  # GitHub refuses a comment body longer than this
# What a reviewer takes in at a glance: a 31-migration upgrade fits with every
# finding at medium or above (the SQL, folded anyway, is the first to go).
COMMENT_BUDGET = 20_000
DEFAULT_LIMIT = COMMENT_BUDGET
DEFAULT_SHOW: Level | None = Level.MEDIUM
MAX_WARNINGS = 20
# Characters of text in a table row: about what a comment shows without a scroll bar.
TABLE_WIDTH = 100
MESSAGE_WIDTH = 300
ADVICE_WIDTH = 300
MAX_REFERENCES = 6  # statements named per finding ("#1, #4 and 12 more")


def _name(text: str) -> str:
    """An identifier as a code span; one with HTML characters as escaped prose, so
    no ``<`` from the repository ever reaches the comment outside a code block."""
    return escape.markdown(text) if _HTML_CHARS.intersection(text) else escape.code(text)


def _cell_name(text: str) -> str:
    if _HTML_CHARS.intersection(text):
        return escape.markdown(text)
    return escape.code(text, in_table=True)


_HTML_CHARS = frozenset("<>&")
MD = Names(name=_name, text=escape.markdown)
CELL = Names(name=_cell_name, text=escape.markdown)



@dataclass(frozen=True)
class Layout:
    """One rendering attempt: what is kept."""

    sql: bool = True
    statements: bool = True  # each section's folded statement table
    max_rows: int | None = None  # statement rows kept, worst first (None: all)
    timeline: bool = True
    findings_floor: Level | None = None  # findings below it left out (None: as --show)
    sections: bool = True  # False: the summary alone
    summary_floor: Level | None = None  # summary rows below it are left out
    summary_rows: int | None = None  # the riskiest that many (None: every row)


@dataclass(frozen=True)
class ReportLinks:
    """Where the report links: each rule's page, and each file (None: no link)."""

    rules_base_url: str = RULES_BASE_URL
    file_url: FileUrl = no_file_url


def measure(text: str) -> int:
    """Length as GitHub counts it: UTF-16 code units, never less than code points."""
    return len(text.encode("utf-16-le")) // 2


class _TooLong(Exception):
    """The document being built has passed the limit: try the next layout."""


class _Builder:
    """Blocks joined by blank lines, abandoned as soon as they pass the limit, so
    a failed attempt costs at most ``limit`` characters of work."""

    def __init__(self, limit: int) -> None:
        self.blocks: list[str] = []
        self.size = 0
        self.limit = limit

    def add(self, block: str) -> None:
        if not block:
            return
        self._grow(measure(block) + 2)
        self.blocks.append(block)

    def add_lines(self, lines: Iterable[str]) -> None:
        """A block added line by line (a long table stops at the limit)."""
        kept: list[str] = []
        for line in lines:
            self._grow(measure(line) + 1)
            kept.append(line)
        if kept:
            self.blocks.append("\n".join(kept))
            self.size += 1

    def _grow(self, size: int) -> None:
        self.size += size
        if self.size > self.limit:
            raise _TooLong

    def text(self) -> str:
        return "\n\n".join(self.blocks) + "\n"


def render_markdown(review: Review, *, show: Level | None = DEFAULT_SHOW,
                    limit: int = DEFAULT_LIMIT, file_url: FileUrl = no_file_url,
                    rules_base_url: str = RULES_BASE_URL) -> str:
    """``file_url(path, line)``: the page of a file at the pull request's head
    commit (from the publisher), or None; ``rules_base_url``: where the rule
    pages are (``<base>/SR103/``)."""
    links = ReportLinks(rules_base_url=rules_base_url, file_url=file_url)
    return escape.visible(_Document(review, show, links).fit(limit))


@dataclass(frozen=True)
class FindingGroup:
    """Every finding of one code in one migration or file, said once."""

    code: str
    severity: Level
    message: str  # the first occurrence's, at the group's severity
    instead: str | None  # the finding's own advice (an installed package's migration)
    statements: tuple[StatementResult, ...]


def finding_groups(statements: list[StatementResult], floor: Level | None
                   ) -> list[FindingGroup]:
    """The findings at or above ``floor`` (None: all) that no ignore suppressed,
    one group per code, worst first, then in statement order."""
    found: dict[str, list[tuple[StatementResult, Finding]]] = {}
    for statement in statements:
        for finding in statement.findings:
            if finding.suppressed is None and (floor is None or finding.severity >= floor):
                found.setdefault(finding.code, []).append((statement, finding))
    groups = []
    for code, pairs in found.items():
        severity = max(finding.severity for _statement, finding in pairs)
        first = next(finding for _statement, finding in pairs if finding.severity == severity)
        covered = tuple({id(statement): statement for statement, _finding in pairs}.values())
        groups.append(FindingGroup(code, severity, first.message, first.instead, covered))
    return sorted(groups, key=lambda g: (-g.severity, g.statements[0].index, g.code))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*])")


def one_line_advice(code: str, own: str | None, *, django: bool) -> str:
    """What to do instead, in a line: the advice's first sentence; for a
    migration, with the sentence that says how in Django when another one does
    (that sentence alone when both are too long)."""
    sentences = _SENTENCE_END.split(escape.flat(own or rules.rule(code).instead))
    advice = sentences[0]
    in_django = next((s for s in sentences[1:] if s.startswith(("In Django", "Django"))), None)
    if django and in_django and "Django" not in advice:
        both = f"{advice} {in_django}"
        advice = both if len(both) <= ADVICE_WIDTH else in_django
    return digest.shorten(advice, ADVICE_WIDTH)


class _Document:
    """The pieces of the report, each escaped once, and the layouts to try."""

    def __init__(self, review: Review, show: Level | None, links: ReportLinks) -> None:
        self.review = review
        self.show = show
        self.links = links
        self.items = digest.digests(review, show)
        title = "migration risk" if review.kind == "migrations" else "SQL risk"
        self.head = [f"### sqlreview: {title}",
                     f"**{digest.verdict(review, self.items, MD)}**",
                     escape.markdown(digest.summary_line(review)), *_sizes(review),
                     *_notes(review)]
        self.unit = "migration" if review.kind == "migrations" else "file"
        self.sized = review.settings.stats is not None
        self.groups = [finding_groups(item.statements, show) for item in self.items]
        # Every listed statement, worst first: what a row cap keeps.
        ranked = [(digest.rank(s), -number, -s.index, s) for number, item in
                  enumerate(self.items) for s in item.shown]
        ranked.sort(key=lambda entry: entry[:3], reverse=True)
        self.ranked = [entry[3] for entry in ranked]
        self._tables: dict[int, StatementTable] = {}
        self.limit = DEFAULT_LIMIT

    # --- fitting ---

    def fit(self, limit: int) -> str:
        """The fullest report within ``limit``, trying the layouts of ``ladder``
        in turn; then the summary alone, its riskiest rows alone, a cut head."""
        self.limit = limit
        for layout in self.ladder(limit):
            text = self.attempt(layout, limit)
            if text is not None:
                return text
        summary = Layout(sql=False, statements=False, timeline=False, sections=False,
                         summary_floor=self._summary_floor(limit // 4))
        listed = sum(1 for item in self.items
                     if summary.summary_floor is None or item.level >= summary.summary_floor)

        def fits(rows: int) -> bool:
            return self.attempt(replace(summary, summary_rows=rows), limit) is not None
        rows = _largest(listed, fits)
        return ((rows and self.attempt(replace(summary, summary_rows=rows), limit))
                or self.cut(limit))

    def ladder(self, limit: int) -> Iterable[Layout]:
        """Full; without SQL; as many statement rows as fit, worst first; no
        statement list; no timeline; findings of high or above; of critical only."""
        yield Layout()
        no_sql = Layout(sql=False)
        yield no_sql
        rows = self._most_rows(no_sql, limit)
        if rows:
            yield replace(no_sql, max_rows=rows)
        no_rows = replace(no_sql, statements=False)
        yield no_rows
        no_timeline = replace(no_rows, timeline=False)
        yield no_timeline
        floor = self._summary_floor(limit // 4)
        for findings_floor in (Level.HIGH, Level.CRITICAL):
            if self.show is None or findings_floor > self.show:
                yield replace(no_timeline, findings_floor=findings_floor, summary_floor=floor)

    def _summary_floor(self, budget: int) -> Level | None:
        for floor in (None, Level.MEDIUM, Level.HIGH, Level.CRITICAL):
            layout = Layout(sql=False, statements=False, timeline=False, sections=False,
                            summary_floor=floor)
            if self.attempt(layout, budget) is not None:
                return floor
        return Level.CRITICAL

    def _most_rows(self, layout: Layout, limit: int) -> int:
        def fits(rows: int) -> bool:
            return self.attempt(replace(layout, max_rows=rows), limit) is not None
        return _largest(len(self.ranked) - 1, fits)

    def left_out(self, layout: Layout) -> list[str]:
        """What ``layout`` leaves out, in words, for the note at the top."""
        notes = []
        if not layout.sql:
            notes.append(f"the SQL of each {self.unit}" if self.review.kind == "migrations"
                         else "the SQL of each statement")
        if not layout.sections:
            notes.append(f"every {self.unit}'s details (only the summary is left)")
        elif not layout.statements:
            notes.append(f"the statement list of each {self.unit}")
        elif layout.max_rows is not None and layout.max_rows < len(self.ranked):
            dropped = self.ranked[layout.max_rows:]
            lowest, highest = digest.level_of(dropped[-1]), digest.level_of(dropped[0])
            levels = (lowest.label if lowest == highest
                      else f"{lowest.label} to {highest.label}")
            notes.append(f"{len(dropped)} of {_count(len(self.ranked), 'statement row')}, "
                         f"the least risky ({levels})")
        if layout.sections and not layout.timeline:
            notes.append("the lock timelines")
        if layout.sections and layout.findings_floor is not None:
            notes.append(f"the findings below {layout.findings_floor.label}")
        below = [item for item in self.items
                 if layout.summary_floor is not None and item.level < layout.summary_floor]
        if below and layout.summary_floor is not None:
            notes.append(f"{_count(len(below), self.unit)} below "
                         f"{layout.summary_floor.label} in the summary")
        if layout.summary_rows is not None:
            notes.append("the least risky of the summary's rows")
        return notes

    def attempt(self, layout: Layout, limit: int) -> str | None:
        builder = _Builder(limit)
        try:
            self._build(builder, layout, self.left_out(layout))
        except _TooLong:
            return None
        return builder.text()

    def cut(self, limit: int) -> str:
        """The last resort (huge warnings): the head, cut; never fails."""
        note = "\n\n_(cut here to fit one comment)_\n"
        text = "\n\n".join(self.head)
        cut = max(0, limit - len(note) - 16)
        while cut and measure(text[:cut]) > cut:
            cut = max(0, cut - 1024)
        return text[:cut] + note

    # --- building ---

    def _build(self, builder: _Builder, layout: Layout, left_out: list[str]) -> None:
        for block in self.head:
            builder.add(block)
        if left_out:
            builder.add(f"> **Left out to keep this comment short** ({self.limit:,} "
                        "characters): " + escape.markdown("; ".join(left_out))
                        + ". The text report (`--format text`) has everything.")
        if self.items:
            builder.add_lines(self._summary_table(layout.summary_floor, layout.summary_rows))
        if not layout.sections:
            return
        kept = {id(s) for s in self.ranked[:layout.max_rows]}
        advised: set[str] = set()
        for item, groups in zip(self.items, self.groups, strict=True):
            floor = layout.findings_floor
            shown_groups = [g for g in groups if floor is None or g.severity >= floor]
            self._section(builder, item, shown_groups, layout, kept, advised)

    def _summary_table(self, floor: Level | None, rows: int | None) -> list[str]:
        """One row per migration or file at or above ``floor``; ``rows``: only that
        many, the riskiest (kept in migrate order)."""
        with_phase = any(item.phase for item in self.items)
        listed = [number for number, item in enumerate(self.items)
                  if floor is None or item.level >= floor]
        chosen = listed
        if rows is not None:
            order = sorted(listed, key=lambda n: (-self.items[n].level, n))[:rows]
            chosen = sorted(order)
        cells_of = [self._summary_cells(number, with_phase) for number in chosen]
        columns = 3 + int(with_phase)
        widths = [max((len(row[i][1]) for row in cells_of), default=0)
                  for i in range(columns - 1)]
        title_width = max(24, TABLE_WIDTH - sum(widths) - 3 * (columns - 1))
        headers = [self.unit.capitalize(), "Risk", *(["Phase"] if with_phase else []),
                   "Findings"]
        lines = [_row(headers), _row(["---"] * len(headers))]
        for number, row in zip(chosen, cells_of, strict=True):
            title = _elide_middle(self.items[number].section.title, title_width)
            lines.append(_row([CELL.name(title), *(cell for cell, _plain in row)]))
        left = len(self.items) - len(chosen)
        if left:
            below = f" (below {floor.label})" if floor is not None and rows is None else ""
            lines.append(_row([f"… {left} more{below}", *[""] * (len(headers) - 1)]))
        return lines

    def _summary_cells(self, number: int, with_phase: bool) -> list[tuple[str, str]]:
        """(Markdown, plain text) of each cell of a summary row but the title."""
        item = self.items[number]
        risk = item.risk_label
        codes = " ".join([*(group.code for group in sorted(self.groups[number],
                                                           key=lambda g: g.code)),
                          *(f.code for f in item.section.findings)]) or "—"
        phase = item.phase or "—"
        return [(f"**{risk}**" if item.level >= Level.HIGH else risk, risk),
                *([(escape.markdown(phase), phase)] if with_phase else []),
                (codes, codes)]

    def _section(self, builder: _Builder, item: SectionDigest, groups: list[FindingGroup],
                 layout: Layout, kept: set[int], advised: set[str]) -> None:
        section = item.section
        rows = [s for s in item.shown if id(s) in kept] if layout.statements else []
        if (not rows and not groups and not section.error and not section.warnings
                and not section.findings):
            return
        builder.add(f"#### {self._heading_name(item)} — {item.risk_label}")
        facts = []
        if (package := cells.package_line(section)) is not None:
            facts.append(escape.markdown(package))
        if section.error:
            facts.append(f"**FAILED**: {escape.markdown(digest.shorten(section.error, 500))}")
        facts += [f"warning: {escape.markdown(digest.shorten(w, 500))}"
                  for w in section.warnings]
        facts += [self._migration_finding(finding) for finding in section.findings]
        facts += digest.frame_lines(item, MD)
        builder.add("<br>\n".join(facts))
        if layout.timeline and (rows or groups):
            builder.add(render_timeline(item, sized=self.sized))
        builder.add("\n".join(self._finding_line(group, advised) for group in groups))
        advised.update(group.code for group in groups)
        builder.add_lines(self._details(item, rows, layout))

    def _migration_finding(self, finding: Finding) -> str:
        """``**high** [SR415](page) (this migration): message``."""
        link = f"[{finding.code}]({rule_url(finding.code, self.links.rules_base_url)})"
        label = finding.severity.label
        severity = f"**{label}**" if finding.severity >= Level.HIGH else label
        ignored = f" (ignored: {finding.suppressed})" if finding.suppressed else ""
        message = escape.markdown(digest.shorten(finding.text + ignored, MESSAGE_WIDTH))
        return f"{severity} {link} (this migration): {message}"

    def _heading_name(self, item: SectionDigest) -> str:
        name = MD.name(item.section.title)
        path = next((s.file for s in item.statements if s.file and s.file != "-"), None)
        url = self.links.file_url(path, None) if path else None
        return f"[{name}]({url})" if url else name

    def _finding_line(self, group: FindingGroup, advised: set[str]) -> str:
        """``- **high** [SR107](page) #3 (line 22): message``, then the advice the
        first time the code appears (``advised``: the codes already advised on)."""
        link = f"[{group.code}]({rule_url(group.code, self.links.rules_base_url)})"
        label = group.severity.label
        severity = f"**{label}**" if group.severity >= Level.HIGH else label
        message = escape.markdown(digest.shorten(group.message, MESSAGE_WIDTH)
                                  + self._estimate(group))
        advice = one_line_advice(group.code, group.instead,
                                 django=self.review.kind == "migrations")
        if group.instead is not None or advice.endswith("…"):
            advice = escape.markdown(advice)  # the rules' own Markdown is kept whole
        line = f"- {severity} {link} {escape.markdown(self._where(group))}: {message}"
        if group.code in advised or _says_already(group.message, advice):
            return line
        return f"{line}<br>\n  *Instead:* {advice}"

    @staticmethod
    def _estimate(group: FindingGroup) -> str:
        """--stats: ``; ~16 min under ACCESS EXCLUSIVE on shop_order, 38 GB (estimate)``
        for a size-graded finding on one statement."""
        if len(group.statements) != 1 or not rules.rule(group.code).size_graded:
            return ""
        estimate = cells.estimate(group.statements[0])
        return f"; {estimate}" if estimate else ""

    def _where(self, group: FindingGroup) -> str:
        """``#3 (line 22)``, ``#1, #4 and 12 more``; for a file, its lines."""
        def one(statement: StatementResult) -> str:
            if self.review.kind == "migrations":
                return f"#{statement.index}"
            return f"line {statement.line}"
        named = [one(s) for s in group.statements[:MAX_REFERENCES]]
        more = len(group.statements) - len(named)
        text = ", ".join(named) + (f" and {more} more" if more else "")
        first = group.statements[0]
        if self.review.kind == "migrations" and first.line and len(group.statements) == 1:
            text += f" (line {first.line})"
        return text

    def _details(self, item: SectionDigest, rows: list[StatementResult],
                 layout: Layout) -> list[str]:
        """The folded part: the statement table, what it does not list, the SQL."""
        table = rows if layout.statements else []
        sql = _sql(item) if layout.sql else ""
        hidden = sum(1 for s in item.statements if not digest.is_frame(s)) - len(table)
        if not table and not sql:
            return []
        summary = " and ".join(part for part in (
            _count(len(table), "statement") + (f" at {self.show.label} or above"
                                               if self.show is not None else "")
            if table else "", "the SQL" if sql else "") if part)
        lines = [f"<details><summary>{summary}</summary>", ""]
        if table:
            lines += self._table(item).lines(table)
            if hidden:
                lines += ["", f"_{_count(hidden, 'other statement')} not listed._"]
            lines.append("")
        if sql:
            lines += [sql, ""]
        lines.append("</details>")
        return lines

    def _table(self, item: SectionDigest) -> StatementTable:
        key = id(item)
        if key not in self._tables:
            self._tables[key] = StatementTable(self.review, item.shown)
        return self._tables[key]


class StatementTable:
    """A migration's statement rows: a few short columns, and the statement's
    description as wide as the rest of ``TABLE_WIDTH`` leaves."""

    def __init__(self, review: Review, statements: list[StatementResult]) -> None:
        self.migrations = review.kind == "migrations"
        self.estimated = review.settings.stats is not None
        self.traced = review.settings.trace
        self.leading = ["#", *([] if self.migrations else ["Line"]), "Risk"]
        self.trailing = ["Lock", *(["Takes"] if self.estimated else []),
                         *(["Traced"] if self.traced else []), "Findings"]
        self.headers = [*self.leading, "Statement", *self.trailing]
        self.short = {id(s): self._short_cells(s) for s in statements}
        short_headers = self.leading + self.trailing
        used = sum(max([len(header)] + [len(cells_[i]) for cells_ in self.short.values()])
                   for i, header in enumerate(short_headers))
        self.statement_width = max(24, TABLE_WIDTH - used - 3 * (len(self.headers) - 1))

    def _short_cells(self, s: StatementResult) -> list[str]:
        """The cells but the statement's: the leading ones, then the trailing ones."""
        strongest = s.strongest_lock
        measured = cells.measured(s)
        codes = " ".join(dict.fromkeys(f.code for f in s.findings if f.suppressed is None))
        return [str(s.index), *([] if self.migrations else [str(s.line)]), s.risk_label,
                strongest.mode.sql_name if strongest is not None else "—",
                *([_takes(s)] if self.estimated else []),
                *([measured[-1] if measured else "—"] if self.traced else []),
                codes or "—"]

    def lines(self, statements: list[StatementResult]) -> list[str]:
        rows = [_row(self.headers), _row(["---"] * len(self.headers))]
        leading = len(self.leading)
        for s in statements:
            short = [escape.markdown(cell) for cell in self.short[id(s)]]
            if digest.level_of(s) >= Level.HIGH:
                short[leading - 1] = f"**{short[leading - 1]}**"
            what = escape.markdown(cells.what(s, self.statement_width))
            rows.append(_row([*short[:leading], what, *short[leading:]]))
        return rows


def _says_already(message: str, advice: str) -> bool:
    """Whether the finding's message already gives the advice (SR201 names the
    Django setting): most of the advice's words are in it."""
    words = {word for word in re.findall(r"[a-z_]{4,}", advice.lower())}
    said = set(re.findall(r"[a-z_]{4,}", message.lower()))
    return len(words) >= 6 and len(words & said) >= 0.75 * len(words)


def _elide_middle(text: str, width: int) -> str:
    """A long name keeps both ends (the app and number, and how the name ends):
    the section's heading has it whole."""
    if len(text) <= width:
        return text
    tail = (width - 1) // 3
    return text[: width - 1 - tail] + "…" + text[len(text) - tail:]


def _takes(statement: StatementResult) -> str:
    seconds = statement.estimated_seconds
    return cells.duration(seconds) if seconds is not None else "—"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _largest(total: int, fits: Callable[[int], bool]) -> int:
    """Binary search for the largest n in 1..total that ``fits`` (sizes grow with
    n); 0 when none does."""
    low, high, found = 1, total, 0
    while low <= high:
        middle = (low + high) // 2
        if fits(middle):
            found, low = middle, middle + 1
        else:
            high = middle - 1
    return found


def _sizes(review: Review) -> list[str]:
    line = digest.sizes_line(review)
    return [f"_{escape.markdown(line)}_"] if line else []


def _notes(review: Review) -> list[str]:
    notes = [f"> **warning**: {escape.markdown(digest.shorten(w, 500))}"
             for w in review.warnings[:MAX_WARNINGS]]
    if len(review.warnings) > MAX_WARNINGS:
        notes.append(f"> and {len(review.warnings) - MAX_WARNINGS} more warnings")
    notes += [f"> **error**: {escape.markdown(digest.shorten(e, 500))}"
              for e in review.errors[:MAX_WARNINGS]]
    return ["\n>\n".join(notes)] if notes else []


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _sql(item: SectionDigest) -> str:
    section = item.section
    if section.sql_text is not None:
        body = section.sql_text
    else:
        body = "".join(f"-- #{s.index}, line {s.line}\n{s.sql};\n" for s in item.shown)
    if not body.strip():
        return ""
    return escape.fenced(body, "sql")


__all__ = ["COMMENT_BUDGET", "COMMENT_LIMIT", "DEFAULT_LIMIT", "TABLE_WIDTH", "FindingGroup",
           "ReportLinks", "finding_groups", "measure", "one_line_advice", "render_markdown"]
