"""The Markdown report for a pull-request comment.

Verdict, one summary row per migration or file, then per migration its
folded transaction, its lock timeline (Mermaid, when risky), the statements
at or above --show and its collapsed SQL; then each finding code's why and
what-instead, collapsed. It always fits one GitHub comment: when the full
report is too long it is degraded step by step (SQL bodies first, then the
least risky rows, then everything but the summary) and says what it left out.
Every piece of user text goes through ``escape``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from sqlreview.pg import rules
from sqlreview.pg.locks import LockMode
from sqlreview.report import cells, digest, escape
from sqlreview.report.digest import Names, SectionDigest
from sqlreview.results import Level, Review, StatementResult

COMMENT_LIMIT = 65_536  # GitHub refuses a comment body longer than this
# Room left for what a publisher adds around the report (its marker, a header).
DEFAULT_LIMIT = COMMENT_LIMIT - 1_024
DEFAULT_SHOW: Level | None = Level.MEDIUM
MAX_WARNINGS = 20
MAX_BARS = 12



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
    explain: bool = True  # why and what instead, per finding code
    details: bool = True
    summary_floor: Level | None = None  # summary rows below it are left out
    summary_rows: int | None = None  # the riskiest that many (None: every row)
    max_rows: int | None = None  # statement rows kept, worst first (None: all)


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
        kept = []
        for line in lines:
            self._grow(measure(line) + 1)
            kept.append(line)
        self.blocks.append("\n".join(kept))
        self.size += 1

    def _grow(self, size: int) -> None:
        self.size += size
        if self.size > self.limit:
            raise _TooLong

    def text(self) -> str:
        return "\n\n".join(self.blocks) + "\n"


def render_markdown(review: Review, *, show: Level | None = DEFAULT_SHOW,
                    limit: int = DEFAULT_LIMIT) -> str:
    return escape.visible(_Document(review, show).fit(limit))


class _Document:
    """The pieces of the report, each escaped once, and the layouts to try."""

    def __init__(self, review: Review, show: Level | None) -> None:
        self.review = review
        self.show = show
        self.items = digest.digests(review, show)
        title = "migration risk" if review.kind == "migrations" else "SQL risk"
        self.head = [f"### sqlreview: {title}",
                     f"**{digest.verdict(review, self.items, MD)}**",
                     escape.markdown(digest.summary_line(review)), *_sizes(review),
                     *_notes(review)]
        self.unit = "migration" if review.kind == "migrations" else "file"
        # Every listed statement, worst first: what a row cap keeps.
        ranked = [(digest.rank(s), -number, -s.index, s) for number, item in
                  enumerate(self.items) for s in item.shown]
        ranked.sort(key=lambda entry: entry[:3], reverse=True)
        self.ranked = [entry[3] for entry in ranked]
        self._rows: dict[int, str] = {}

    # --- fitting ---

    def fit(self, limit: int) -> str:
        """The fullest report within ``limit``: all of it; without SQL; with the
        summary cut at a higher level if it alone would fill a quarter of the comment,
        and as many statement rows as fit, worst first (their SQL too if there
        is room); the summary alone; its riskiest rows alone; a cut head."""
        full = self.attempt(Layout(), limit)
        if full is not None:
            return full
        no_sql = self.attempt(Layout(sql=False), limit)
        if no_sql is not None:
            return no_sql
        floor = self._summary_floor(limit // 4)
        base = Layout(sql=False, summary_floor=floor)
        rows = self._most_rows(base, limit)
        if rows:
            layout = replace(base, max_rows=rows)
            return (self.attempt(replace(layout, sql=True), limit)
                    or self.attempt(layout, limit) or self.cut(limit))
        for layout in (replace(base, details=False),
                       replace(base, details=False, explain=False)):
            text = self.attempt(layout, limit)
            if text is not None:
                return text
        summary = replace(base, details=False, explain=False)
        listed = sum(1 for item in self.items if floor is None or item.level >= floor)
        def fits(rows: int) -> bool:
            return self.attempt(replace(summary, summary_rows=rows), limit) is not None
        rows = _largest(listed, fits)
        return ((rows and self.attempt(replace(summary, summary_rows=rows), limit))
                or self.cut(limit))

    def _summary_floor(self, budget: int) -> Level | None:
        for floor in (None, Level.MEDIUM, Level.HIGH, Level.CRITICAL):
            layout = Layout(sql=False, explain=False, details=False, summary_floor=floor)
            if self.attempt(layout, budget) is not None:
                return floor
        return Level.CRITICAL

    def _most_rows(self, layout: Layout, limit: int) -> int:
        def fits(rows: int) -> bool:
            return self.attempt(replace(layout, max_rows=rows), limit) is not None
        return _largest(len(self.ranked), fits)

    def left_out(self, layout: Layout) -> list[str]:
        """What ``layout`` leaves out, in words, for the note at the top."""
        notes = []
        if not layout.sql:
            notes.append(f"the SQL of each {self.unit}" if self.review.kind == "migrations"
                         else "the SQL of each statement")
        if not layout.details:
            notes.append("every statement's details (only the summary is left)")
        elif layout.max_rows is not None and layout.max_rows < len(self.ranked):
            dropped = self.ranked[layout.max_rows:]
            lowest, highest = digest.level_of(dropped[-1]), digest.level_of(dropped[0])
            levels = (lowest.label if lowest == highest
                      else f"{lowest.label} to {highest.label}")
            notes.append(f"{len(dropped)} of {_count(len(self.ranked), 'statement row')}, "
                         f"the least risky ({levels})")
        below = [item for item in self.items
                 if layout.summary_floor is not None and item.level < layout.summary_floor]
        if below and layout.summary_floor is not None:
            notes.append(f"{_count(len(below), self.unit)} below "
                         f"{layout.summary_floor.label} in the summary")
        if layout.summary_rows is not None:
            notes.append("the least risky of the summary's rows")
        if not layout.explain:
            notes.append("the explanations of the finding codes")
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
            builder.add("> **Left out to fit one comment** (65,536 characters): "
                        + escape.markdown("; ".join(left_out))
                        + ". The text report (`--format text`) has everything.")
        if self.items:
            builder.add_lines(_summary_table(self.review, self.items, layout.summary_floor,
                                             layout.summary_rows))
        if layout.details:
            kept = {id(s) for s in self.ranked[:layout.max_rows]}
            for item in self.items:
                self._section(builder, item, layout, kept)
        if layout.explain:
            in_packages = {c for i in self.items if i.section.package is not None
                           for c in i.codes}
            builder.add(_explanations(sorted({c for i in self.items for c in i.codes}),
                                      in_packages))

    def _section(self, builder: _Builder, item: SectionDigest, layout: Layout,
                 kept: set[int]) -> None:
        section = item.section
        rows = [s for s in item.shown if id(s) in kept]
        if not rows and not section.error and not section.warnings:
            return
        builder.add(f"#### {MD.name(section.title)} — {item.risk_label}")
        facts = []
        if (package := cells.package_line(section)) is not None:
            facts.append(escape.markdown(package))
        if section.error:
            facts.append(f"**FAILED**: {escape.markdown(digest.shorten(section.error, 500))}")
        facts += [f"warning: {escape.markdown(digest.shorten(w, 500))}"
                  for w in section.warnings]
        facts += digest.frame_lines(item, MD)
        builder.add("<br>\n".join(facts))
        if rows:
            builder.add(_timeline(item))
            builder.add_lines(itertools.chain(_table_head(self.review),
                                              (self._row(s) for s in rows)))
        hidden = len(item.statements) - sum(1 for s in item.statements if digest.is_frame(s))
        hidden -= len(rows)
        if hidden:
            reason = f"below {self.show.label}" if self.show is not None else ""
            if len(rows) < len(item.shown):
                reason = f"{reason} or left out to fit" if reason else "left out to fit"
            builder.add(f"_{_count(hidden, 'statement')} not shown ({reason})._")
        if layout.sql:
            builder.add(_sql(item))

    def _row(self, statement: StatementResult) -> str:
        row = self._rows.get(id(statement))
        if row is None:
            row = self._rows[id(statement)] = _statement_row(self.review, statement)
        return row


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


def _summary_table(review: Review, items: list[SectionDigest], floor: Level | None,
                   rows: int | None) -> list[str]:
    """One row per migration or file at or above ``floor``; ``rows``: only that
    many, the riskiest (kept in migrate order)."""
    unit = "Migration" if review.kind == "migrations" else "File"
    with_phase = any(item.phase for item in items)
    headers = [unit, "Risk", *(["Phase"] if with_phase else []), "Locks (strongest first)",
               "Longest hold", "Findings"]
    listed = [item for item in items if floor is None or item.level >= floor]
    chosen = listed
    if rows is not None:
        order = sorted(range(len(listed)), key=lambda i: (-listed[i].level, i))[:rows]
        chosen = [listed[i] for i in sorted(order)]
    lines = [_row(headers), _row(["---"] * len(headers))]
    for item in chosen:
        risk = item.risk_label
        lines.append(_row([
            CELL.name(item.section.title),
            f"**{risk}**" if item.level >= Level.HIGH else risk,
            *([escape.markdown(item.phase or "—")] if with_phase else []),
            digest.locks_cell(item, CELL),
            digest.hold_cell(item, CELL),
            " ".join(item.codes) or "—",
        ]))
    left = len(items) - len(chosen)
    if left:
        below = f" (below {floor.label})" if floor is not None and rows is None else ""
        lines.append(_row([f"… {left} more{below}", *[""] * (len(headers) - 1)]))
    return lines


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _table_head(review: Review) -> list[str]:
    headers = ["#", *(["Line"] if review.kind != "migrations" else []), "Risk", "Statement",
               "Locks", *(["Measured"] if review.settings.get("trace") else []), "Blocks",
               "Cost", "Findings"]
    return [_row(headers), _row(["---"] * len(headers))]


def _statement_row(review: Review, s: StatementResult) -> str:
    what = escape.markdown(cells.what(s))
    if s.operation:
        what = f"{escape.markdown(digest.shorten(s.operation, 80))}<br>{what}"
    risk = s.risk_label
    return _row([
        str(s.index), *([str(s.line)] if review.kind != "migrations" else []),
        f"**{risk}**" if digest.level_of(s) >= Level.HIGH else risk,
        what,
        _lines(cells.locks(s, held=False)),
        *([_lines(cells.measured(s))] if review.settings.get("trace") else []),
        escape.markdown(cells.blocks(s)),
        escape.markdown(cells.cost(s)),
        _lines(([estimate] if (estimate := cells.estimate(s)) else [])
               + [f"{f.code} {digest.shorten(f.message, 300)}" for f in s.findings]),
    ])


def _lines(values: list[str]) -> str:
    return "<br>".join(escape.markdown(value) for value in values) or "—"


def _sql(item: SectionDigest) -> str:
    section = item.section
    if section.sql_text is not None:
        body, label = section.sql_text, "SQL"
    else:
        body = "".join(f"-- #{s.index}, line {s.line}\n{s.sql};\n" for s in item.shown)
        label = "SQL of these statements"
    if not body.strip():
        return ""
    return (f"<details><summary>{label}</summary>\n\n{escape.fenced(body, 'sql')}\n\n"
            "</details>")


def _explanations(codes: list[str], in_packages: set[str]) -> str:
    """Why each finding code is risky and what to do instead, each collapsed; for
    a code raised in an installed package's migration, what to do there too."""
    if not codes:
        return ""
    entries = ["#### What the findings mean"]
    for code in codes:
        rule = rules.rule(code)
        summary = escape.html(f"{code} {rule.name} ({rule.severity.label}): {rule.summary}")
        advice = f"*Instead:* {rule.instead}"
        if code in in_packages and rule.instead_for_package:
            advice += f"\n\n*In an installed package's migration:* {rule.instead_for_package}"
        entries.append(f"<details><summary>{summary}</summary>\n\n{rule.why}\n\n"
                       f"{advice}\n\n</details>")
    return "\n\n".join(entries)


# --- the lock timeline -------------------------------------------------------------------


def _timeline(item: SectionDigest) -> str:
    """A Mermaid gantt: one bar per lock held to COMMIT (x axis: statement number)
    and one per risky statement that runs meanwhile, so a reviewer sees what is
    blocked while what runs."""
    held = item.spans
    if not held or not item.shown or item.level < Level.HIGH:
        return ""
    count = len(item.statements)
    strongest = sorted(held, key=lambda s: (-s.mode, s.start, s.relation))[:MAX_BARS]
    bars = sorted(strongest, key=lambda s: (s.start, -s.mode, s.relation))
    lines = ["gantt", "    title Locks held while statements run (x axis: statement number)",
             "    dateFormat X", "    axisFormat %s", "    section locks"]
    for span in bars:
        end = span.end if span.end is not None else count
        tag = "crit, " if span.mode >= LockMode.ACCESS_EXCLUSIVE else "active, "
        label = escape.mermaid(f"{span.mode.sql_name} {span.relation}")
        lines.append(f"    {label} :{tag}{span.start}, {max(end, span.start + 1)}")
    first = min(span.start for span in bars)
    last = max(span.end if span.end is not None else count for span in bars)
    running = [s for s in item.shown if first <= s.index <= last]
    running = sorted(running, key=lambda s: (-digest.level_of(s), s.index))[:MAX_BARS]
    if running:
        lines.append("    section statements")
    for s in sorted(running, key=lambda s: s.index):
        tag = "crit, " if digest.level_of(s) >= Level.HIGH else ""
        label = escape.mermaid(f"{s.index} {s.kind} {s.risk_label}")
        lines.append(f"    {label} :{tag}{s.index}, {s.index + 1}")
    return escape.fenced("\n".join(lines), "mermaid")


__all__ = ["COMMENT_LIMIT", "DEFAULT_LIMIT", "measure", "render_markdown"]
