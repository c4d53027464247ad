"""The lock timeline of a migration: a Mermaid gantt that draws the same in
Mermaid 10 and 11.

One bar per lock that blocks writes on an existing table, from the statement
that takes it to the COMMIT that releases it, and one per risky statement that
runs meanwhile, so a reviewer sees what is blocked while what runs.

The x axis is in estimated time when ``--stats`` gave every slow statement a
duration, and in statement order otherwise. Either way it is drawn with
``dateFormat x`` (milliseconds since the epoch, which both Mermaid versions
parse; ``X`` puts every bar at the left edge in Mermaid 11), one axis unit
(a statement, a second, a minute, an hour) drawn as one second, labelled with
``axisFormat %s`` (seconds since the epoch: the number of units, whatever the
reader's time zone) and ticked on whole units with ``tickInterval`` in
milliseconds (Mermaid 10 otherwise ticks every half unit and repeats labels).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlreview.locking import LockMode
from sqlreview.report import escape
from sqlreview.report.cells import duration
from sqlreview.report.digest import LockSpan, SectionDigest, level_of
from sqlreview.results import Level, StatementResult

MAX_BARS = 12
MAX_TICKS = 10
MS_PER_UNIT = 1_000  # one axis unit is drawn as one second: %s prints the unit count
# The shortest bar, as a share of the axis, so an instant statement still shows.
MIN_BAR_SHARE = 0.02
# (largest span in seconds drawn in this unit, the unit's name, seconds per unit)
TIME_UNITS = ((180.0, "seconds", 1.0), (180.0 * 60, "minutes", 60.0),
              (float("inf"), "hours", 3_600.0))


@dataclass(frozen=True)
class Axis:
    """Where each statement starts and ends on the x axis, in axis units."""

    name: str  # "statement number", "estimated seconds", ...
    starts: tuple[float, ...]
    ends: tuple[float, ...]

    @property
    def span(self) -> float:
        return max(self.ends, default=0.0)

    def at(self, units: float) -> int:
        """The milliseconds Mermaid reads (``dateFormat x``) for a point on the axis."""
        return round(units * MS_PER_UNIT)


def statement_axis(statements: list[StatementResult]) -> Axis:
    """Statement ``i`` runs from ``i`` to ``i + 1``."""
    count = len(statements)
    return Axis("statement number", tuple(float(i) for i in range(count)),
                tuple(float(i + 1) for i in range(count)))


def time_axis(statements: list[StatementResult]) -> Axis | None:
    """Statements one after another for their estimated durations; None when a
    slow statement has no estimate (the picture would lie) or all is instant."""
    durations = []
    for statement in statements:
        seconds = statement.estimated_seconds
        if seconds is None and (statement.cost.is_slow or statement.risk is None):
            return None
        durations.append(seconds or 0.0)
    total = sum(durations)
    if total < 1:
        return None
    _largest, name, per_unit = next(unit for unit in TIME_UNITS if total <= unit[0])
    starts, ends, clock = [], [], 0.0
    for seconds in durations:
        starts.append(clock / per_unit)
        clock += seconds
        ends.append(clock / per_unit)
    return Axis(f"estimated {name}", tuple(starts), tuple(ends))


def tick_step(span: float) -> int:
    """A round number of units between ticks: at most ``MAX_TICKS`` ticks."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if span / (factor * magnitude) <= MAX_TICKS:
                return factor * magnitude
        magnitude *= 10


def render_timeline(item: SectionDigest, *, sized: bool) -> str:
    """The gantt as a fenced ``mermaid`` block, or "" when no lock is held through
    a slow statement of a risky migration.
    ``sized``: the review has table sizes (--stats), so try the time axis."""
    held = item.spans
    if not held or not item.shown or item.level < Level.HIGH or not _held_through(item):
        return ""
    statements = item.statements
    axis = (time_axis(statements) if sized else None) or statement_axis(statements)
    strongest = sorted(held, key=lambda s: (-s.mode, s.start, s.relation))[:MAX_BARS]
    bars = sorted(strongest, key=lambda s: (s.start, -s.mode, s.relation))
    shortest = axis.span * MIN_BAR_SHARE
    lines = ["gantt", f"    title Locks held while statements run (x axis: {axis.name})",
             "    dateFormat x", "    axisFormat %s",
             f"    tickInterval {tick_step(axis.span) * MS_PER_UNIT}millisecond",
             "    todayMarker off", "    section locks"]
    for span in bars:
        start, end = _span_extent(axis, span, len(statements))
        tag = "crit, " if span.mode >= LockMode.ACCESS_EXCLUSIVE else "active, "
        label = escape.mermaid(f"{span.mode.sql_name} {span.relation}")
        lines.append(_bar(label, tag, axis, start, max(end, start + shortest)))
    running = _running(item, bars)
    if running:
        lines.append("    section statements")
    for statement in running:
        tag = "crit, " if level_of(statement) >= Level.HIGH else ""
        start, end = axis.starts[statement.index], axis.ends[statement.index]
        lines.append(_bar(_statement_label(statement, axis), tag, axis, start,
                          max(end, start + shortest)))
    return escape.fenced("\n".join(lines), "mermaid")


def _held_through(item: SectionDigest) -> bool:
    """Whether a lock is held while another, slow statement runs: what the picture
    shows (a lock taken and released by one statement needs none)."""
    return any(hold.held_through for hold in item.section.analysis.holds)


def _span_extent(axis: Axis, span: LockSpan, count: int) -> tuple[float, float]:
    """From the start of the statement that takes the lock to the start of the
    COMMIT that releases it (the end of the input when none does)."""
    start = axis.starts[span.start]
    if span.autocommit:
        return start, axis.ends[span.start]
    if span.end is not None and span.end < count:
        return start, axis.starts[span.end]
    return start, axis.span


def _running(item: SectionDigest, bars: list[LockSpan]) -> list[StatementResult]:
    """The riskiest listed statements that run while a drawn lock is held."""
    count = len(item.statements)
    first = min(span.start for span in bars)
    last = max(span.end if span.end is not None else count for span in bars)
    running = [s for s in item.shown if first <= s.index <= last and s.index < count]
    running = sorted(running, key=lambda s: (-level_of(s), s.index))[:MAX_BARS]
    return sorted(running, key=lambda s: s.index)


def _statement_label(statement: StatementResult, axis: Axis) -> str:
    seconds = statement.estimated_seconds
    took = ""
    if seconds is not None and axis.name != "statement number":
        took = " " + duration(seconds).replace("~", "about ").replace("<", "under ")
    return escape.mermaid(f"{statement.index} {statement.kind} {statement.risk_label}{took}")


def _bar(label: str, tag: str, axis: Axis, start: float, end: float) -> str:
    begin = axis.at(start)
    return f"    {label} :{tag}{begin}, {max(axis.at(end), begin + 1)}"
