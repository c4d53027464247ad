"""What a reviewer needs first, computed once for text and Markdown alike:
the worst statement, per migration (or file) its strongest locks, how long
they are held, its finding codes, and the one-line verdict.

Everything here is plain data and plain strings; the reporters decide how to
mark it up (``Names`` says how an identifier and a piece of prose are shown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlreview.locking import LockMode
from sqlreview.report.cells import duration
from sqlreview.results import Finding, Level, Review, Section, StatementResult

FRAME_ACTIONS = frozenset({"BEGIN", "START", "COMMIT"})


@dataclass(frozen=True)
class Names:
    """How a reporter marks up an identifier and a piece of prose."""

    name: Callable[[str], str] = str
    text: Callable[[str], str] = str


PLAIN = Names()


def level_of(statement: StatementResult) -> Level:
    """The risk used for --show and ordering: not understood counts as high."""
    return statement.risk if statement.risk is not None else Level.HIGH


def rank(statement: StatementResult) -> tuple[int, int, int]:
    """Orders statements worst first: risk, then the worst finding, then known
    over unknown (a known high says more than an unparsed row)."""
    worst_finding = max((f.severity for f in statement.findings), default=0)
    return (level_of(statement), int(worst_finding), int(statement.risk is not None))


def is_frame(statement: StatementResult) -> bool:
    """BEGIN/COMMIT rows: folded into the migration header unless they carry a finding."""
    return (statement.kind == "TRANSACTION" and not statement.findings
            and len(statement.actions) == 1 and statement.actions[0] in FRAME_ACTIONS)


def shown(statement: StatementResult, threshold: Level | None) -> bool:
    """At or above ``threshold`` (None: everything but transaction frames)."""
    if is_frame(statement):
        return False
    return threshold is None or level_of(statement) >= threshold


def worst(statements: Iterable[StatementResult]) -> StatementResult | None:
    """The worst statement; the first one among equals (as ``max`` keeps it)."""
    return max(statements, key=rank, default=None)


@dataclass(frozen=True)
class LockSpan:
    """A lock that blocks writes on an existing relation, from the statement that
    takes it to its release: the ``COMMIT`` (``end``), the end of the input
    (``end`` None, never committed) or the end of its own statement (autocommit)."""

    relation: str
    steps: tuple[tuple[int, LockMode], ...]  # (statement, mode) each time the mode grew
    end: int | None
    autocommit: bool

    @property
    def start(self) -> int:
        return self.steps[0][0]

    @property
    def mode(self) -> LockMode:
        return self.steps[-1][1]

    def length(self, statements: int) -> int:
        """How many statements run while it is held."""
        if self.autocommit:
            return 1
        end = self.end if self.end is not None else statements
        return max(1, end - self.start)


def lock_spans(statements: list[StatementResult], *, autocommit: bool = False
               ) -> list[LockSpan]:
    """Spans held to a COMMIT (or never released); ``autocommit``: also those of
    statements outside a transaction, one each (a big script has thousands)."""
    groups: dict[tuple[str, int | None, int | None], list[tuple[int, LockMode]]] = {}
    for statement in statements:
        if not statement.locks or not (statement.in_transaction or autocommit):
            continue
        new = statement.new_relations
        for lock in statement.locks:
            if not lock.mode.conflicts_with(LockMode.ROW_EXCLUSIVE) or lock.relation in new:
                continue
            own = None if statement.in_transaction else statement.index
            steps = groups.setdefault((lock.relation, lock.held_until, own), [])
            if not steps or lock.mode > steps[-1][1]:
                steps.append((statement.index, lock.mode))
    spans = [LockSpan(relation, tuple(steps), end if own is None else own, own is not None)
             for (relation, end, own), steps in groups.items()]
    return sorted(spans, key=lambda s: (s.steps[0][0], -int(s.steps[-1][1]), s.relation))


def blocks_writes_alone(statements: list[StatementResult]) -> bool:
    """Whether a statement outside any transaction blocks writes on an existing table."""
    return any(not s.in_transaction and any(
        lock.mode.conflicts_with(LockMode.ROW_EXCLUSIVE) and lock.relation not in
        s.new_relations for lock in s.locks) for s in statements if s.locks)


@dataclass
class SectionDigest:
    section: Section
    worst: StatementResult | None
    spans: list[LockSpan]  # held to a COMMIT: the autocommit ones are not listed
    autocommit_locks: bool  # some statement outside a transaction blocks writes
    # Existing relations by the strongest mode any statement takes on them.
    strongest: list[tuple[LockMode, list[str]]]
    locks_only_new: bool
    codes: list[str]
    shown: list[StatementResult] = field(default_factory=list)
    hidden: int = 0  # statements below the --show level (frames not counted)

    @property
    def statements(self) -> list[StatementResult]:
        return self.section.statements

    @property
    def phase(self) -> str | None:
        value = getattr(self.section, "phase", None)
        if not value:
            return None
        return f"{value} (moved)" if getattr(self.section, "phase_moved", None) else str(value)

    @property
    def risk_label(self) -> str:
        if self.section.error:
            return "failed"
        if self._own_findings_worse:
            assert self.section.own_risk is not None
            return self.section.own_risk.label
        if self.worst is None:
            return "—"
        return self.worst.risk_label

    @property
    def level(self) -> Level:
        if self.section.error:
            return Level.HIGH
        worst = level_of(self.worst) if self.worst is not None else Level.LOW
        return max(worst, self.section.own_risk or Level.LOW)

    @property
    def _own_findings_worse(self) -> bool:
        """The migration's own findings weigh more than its worst statement."""
        own = self.section.own_risk
        return own is not None and (self.worst is None or own > level_of(self.worst))

    @property
    def longest(self) -> LockSpan | None:
        count = len(self.statements)
        return max(self.spans, key=lambda span: (span.length(count), span.mode), default=None)

    def with_threshold(self, threshold: Level | None) -> SectionDigest:
        rows = [s for s in self.statements if shown(s, threshold)]
        hidden = sum(1 for s in self.statements if not is_frame(s)) - len(rows)
        return SectionDigest(self.section, self.worst, self.spans, self.autocommit_locks,
                             self.strongest, self.locks_only_new, self.codes, rows, hidden)


def digest(section: Section, threshold: Level | None) -> SectionDigest:
    statements = section.statements
    strongest: dict[str, LockMode] = {}
    any_lock = False
    for statement in statements:
        new = set(statement.new_relations)
        for lock in statement.locks:
            any_lock = True
            if lock.relation not in new and lock.mode > strongest.get(lock.relation, 0):
                strongest[lock.relation] = lock.mode
    by_mode: dict[LockMode, list[str]] = {}
    for relation, mode in sorted(strongest.items()):
        by_mode.setdefault(mode, []).append(relation)
    codes = sorted({f.code for s in statements for f in s.findings}
                   | {f.code for f in section.findings})
    base = SectionDigest(section, worst(statements), lock_spans(statements),
                         blocks_writes_alone(statements),
                         sorted(by_mode.items(), key=lambda item: -item[0]),
                         any_lock and not strongest, codes)
    return base.with_threshold(threshold)


def digests(review: Review, threshold: Level | None) -> list[SectionDigest]:
    return [digest(section, threshold) for section in review.sections]


# --- words ----------------------------------------------------------------------------


def short_label(section: Section) -> str:
    """``library.0011`` for a migration named ``0011_alter_book_copies_sold``."""
    if section.app and section.name:
        number = section.name.split("_", 1)[0]
        return f"{section.app}.{number if number.isdigit() else section.name}"
    return section.title


def where(section: Section, statement: StatementResult) -> str:
    if section.app and section.name:
        return f"{short_label(section)} #{statement.index}"
    return f"{section.title} line {statement.line}"


def shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def cause_of(statement: StatementResult) -> Finding | None:
    """The finding that sets the statement's risk, if one does (the first of the
    worst); a risk graded from lock and cost alone has none."""
    worst_finding = max(statement.findings, key=lambda f: f.severity, default=None)
    if worst_finding is None or worst_finding.severity < level_of(statement):
        return None
    return worst_finding


def headline(statement: StatementResult, names: Names = PLAIN) -> str:
    """What makes the statement risky, in a few words."""
    n, t = names.name, names.text
    strongest = statement.strongest_lock
    if statement.kind == "ERROR":
        return t("could not be rendered: " + shorten(statement.error or "", 100))
    if statement.error:
        return t("a statement could not be parsed: ") + n(shorten(statement.sql, 60))
    if statement.rewrites and strongest is not None:
        more = len(statement.rewrites) - 1
        return (n(statement.rewrites[0]) + t(f" rewritten under {strongest.mode.sql_name}")
                + (t(f" (and {more} more)") if more else ""))
    cause = cause_of(statement)
    if cause is not None:
        return t(shorten(cause.message, 120))
    if strongest is not None and statement.cost.is_slow:
        return (t(f"{strongest.mode.sql_name} on ") + n(strongest.relation)
                + t(f" during a{'n' if statement.cost.value[0] in 'aeiou' else ''} "
                    f"{statement.cost.value}"))
    if strongest is not None:
        return (t(f"{strongest.mode.sql_name} on ") + n(strongest.relation)
                + t(f" ({statement.cost.value})"))
    return t(shorten(statement.sql, 80))


def verdict(review: Review, items: list[SectionDigest], names: Names = PLAIN) -> str:
    """The one line a reviewer reads first."""
    t = names.text
    candidates = [(d, d.worst) for d in items if d.worst is not None]
    if not candidates:
        line = t("ok: no statements to review")
    else:
        section_digest, statement = candidates[0]
        for d, s in candidates[1:]:
            if rank(s) > rank(statement):
                section_digest, statement = d, s
        level = level_of(statement)
        if level <= Level.LOW and statement.risk is not None:
            count = sum(len(d.statements) for d in items)
            line = t(f"ok: nothing above low risk in {count} statement"
                     f"{'s' if count != 1 else ''}")
        else:
            cause = cause_of(statement)
            if statement.rewrites:
                cause = next((f for f in statement.findings if f.severity == level), cause)
            code = f", {cause.code}" if cause is not None else ""
            line = (t(f"{statement.risk_label}: ") + headline(statement, names)
                    + t(f" ({where(section_digest.section, statement)}{code})"))
            others = sum(1 for d in items for s in d.statements
                         if s is not statement and not is_frame(s)
                         and level_of(s) >= Level.MEDIUM)
            if others:
                line += t(f"; {others} more statement{'s' if others != 1 else ''} at medium "
                          "or above")
    line = _with_migration_findings(line, items, names)
    if review.errors:
        count = len(review.errors)
        line += t(f"; {count} input{'s' if count != 1 else ''} could not be read")
    return line


def _with_migration_findings(line: str, items: list[SectionDigest], names: Names) -> str:
    """The verdict, led by a migration's own finding when it is worse than every statement."""
    statements = [level_of(d.worst) for d in items if d.worst is not None]
    worst_statement = max(statements, default=None)
    own = [(finding, d.section) for d in items for finding in d.section.findings
           if not finding.suppressed]
    if not own:
        return line
    finding, section = max(own, key=lambda item: item[0].severity)
    if worst_statement is not None and finding.severity <= worst_statement:
        return line
    t = names.text
    lead = t(f"{finding.severity.label}: {section.title}: {shorten(finding.message, 120)} "
             f"({finding.code})")
    if worst_statement is None or worst_statement <= Level.LOW:
        return lead
    return lead + t(f"; and {line}")


def summary_line(review: Review) -> str:
    counts = {"statements": 0, "critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0}
    for statement in review.statements:
        counts["statements"] += 1
        counts[statement.risk_label] += 1
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


def locks_cell(item: SectionDigest, names: Names = PLAIN, limit: int = 3) -> str:
    """``ACCESS EXCLUSIVE library_book; SHARE library_author`` (strongest first)."""
    n, t = names.name, names.text
    if not item.strongest:
        return t("only new tables") if item.locks_only_new else t("—")
    parts: list[str] = []
    listed = 0
    total = sum(len(relations) for _mode, relations in item.strongest)
    for mode, relations in item.strongest:
        if listed >= limit:
            break
        chosen = relations[: limit - listed]
        listed += len(chosen)
        parts.append(t(f"{mode.sql_name} ") + t(", ").join(n(r) for r in chosen))
    cell = t("; ").join(parts)
    if total > listed:
        cell += t(f"; +{total - listed} more")
    return cell


def hold_cell(item: SectionDigest, names: Names = PLAIN) -> str:
    """The longest hold: ``3 statements: library_book #2 → COMMIT #5``."""
    n, t = names.name, names.text
    span = item.longest
    if span is None:
        return t("per statement") if item.autocommit_locks else t("—")
    length = span.length(len(item.statements))
    end = f"COMMIT #{span.end}" if span.end is not None else "never committed"
    return (t(f"{length} statement{'s' if length != 1 else ''}: ") + n(span.relation)
            + t(f" #{span.start} → {end}"))


def frame_lines(item: SectionDigest, names: Names = PLAIN, limit: int = 4) -> list[str]:
    """The transaction frames folded into the header: what is held from which
    statement to which COMMIT, and through which slow statements."""
    n, t = names.name, names.text
    section = item.section
    held = item.spans
    by_end: dict[int | None, list[LockSpan]] = {}
    for span in held:
        by_end.setdefault(span.end, []).append(span)
    through = {(h.relation, h.released_at): h.held_through for h in section.analysis.holds}
    lines = []
    if section.atomic is False:
        lines.append(t("not atomic: each statement commits on its own"))
    for end, spans in by_end.items():
        if section.atomic:
            prefix = "atomic"
        else:
            prefix = "transaction" if end is not None else "transaction (never committed)"
        release = f"COMMIT #{end}" if end is not None else "the end"
        parts = []
        for span in spans[:limit]:
            part = (t(f"{span.mode.sql_name} on ") + n(span.relation)
                    + t(f" held #{span.start} → {release}"))
            if len(span.steps) > 1:
                part += t(" (" + ", ".join(f"{mode.sql_name} from #{index}"
                                           for index, mode in span.steps) + ")")
            held_for = hold_estimate(section, span.relation, span.end)
            if held_for:
                part += t(f" {held_for}")
            slow = through.get((span.relation, span.end), [])
            if slow:
                part += t(" through " + ", ".join(
                    f"#{i} {section.statements[i].kind}" for i in slow[:5]
                    if i < len(section.statements)) + (" …" if len(slow) > 5 else ""))
            parts.append(part)
        if len(spans) > limit:
            parts.append(t(f"{len(spans) - limit} more"))
        lines.append(t(f"{prefix}: ") + t("; ").join(parts))
    if section.atomic and not held:
        lines.append(t("atomic: no lock blocks writes on an existing table until COMMIT"))
    return lines


def hold_estimate(section: Section, relation: str, released_at: int | None) -> str:
    """--stats: ``for ~3 min (estimate)``, or "" when not estimated."""
    for hold in section.analysis.holds:
        if hold.relation == relation and hold.released_at == released_at \
                and hold.estimated_seconds is not None:
            at_least = "" if hold.estimate_complete else "at least "
            return f"for {at_least}{duration(hold.estimated_seconds)} (estimate)"
    return ""


def sizes_line(review: Review) -> str | None:
    """One line on where the sizes come from, or that they are unknown (only
    when some statement's duration depends on them)."""
    stats = review.settings.stats
    if stats is not None:
        taken = f", taken {stats.taken_at}" if stats.taken_at else ""
        database = f" of {stats.database}" if stats.database else ""
        return (f"sizes: --stats {stats.file} (snapshot{database}{taken}); durations are "
                "estimates and risk is graded by them")
    if any(statement.cost.is_slow for statement in review.statements):
        return ("sizes unknown: risk is graded without table sizes (give --stats FILE from "
                "`sqlreview stats dump`)")
    return None
