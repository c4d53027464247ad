"""How a statement is shown in a table cell: shared by text and Markdown."""

from __future__ import annotations

from sqlreview.results import Cost, Section, StatementResult


def what(statement: StatementResult, width: int = 70) -> str:
    if statement.error:
        return _shorten(statement.sql, width)
    text = "; ".join(statement.actions) if statement.actions else statement.kind
    if statement.kind in ("ALTER TABLE", "ALTER INDEX") and statement.locks:
        text = f"{statement.kind} {statement.locks[0].relation}: {text}"
    return _elide_middle(text, width)


def _elide_middle(text: str, width: int) -> str:
    """Keep both ends: the verb and table lead, the part that matters (a column's
    new type, a constraint's name) often ends the action."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    tail = (width - 1) * 2 // 5
    return flat[: width - 1 - tail].rstrip() + "…" + flat[len(flat) - tail:].lstrip()


def locks(statement: StatementResult, *, held: bool = True) -> list[str]:
    """Strongest first; ``held``: say which COMMIT releases each (the migration
    header says it once when the transaction frame is folded)."""
    lines = []
    for lock in sorted(statement.locks, key=lambda entry: -entry.mode):
        line = f"{lock.mode.sql_name} {lock.relation}"
        if held and lock.held_until is not None:
            line += f" (to #{lock.held_until})"
        lines.append(line)
    return lines


def measured(statement: StatementResult) -> list[str]:
    """--trace: what PostgreSQL did on the scratch database."""
    if statement.measured is None:
        return []
    result = statement.measured
    if result.error:
        return [f"failed: {result.error}"]
    lines = [f"{mode.sql_name} {name}" for name, mode in
             sorted(result.locks.items(), key=lambda item: -item[1])]
    lines += [f"rewrote {name}" for name in result.rewrites]
    lines.append("differs (SR004)" if result.disagreements else "as estimated")
    return lines


def blocks(statement: StatementResult) -> str:
    return ", ".join(statement.blocks) or "—"


def risk(statement: StatementResult) -> str:
    return statement.risk_label


def findings(statement: StatementResult) -> list[str]:
    return [f"{f.code} {f.message}" for f in statement.findings]


def package_advice(statements: list[StatementResult]) -> list[tuple[str, str]]:
    """(code, advice) for each code whose findings carry their own advice (a
    migration of an installed package), in order of first appearance."""
    advice: dict[str, str] = {}
    for statement in statements:
        for finding in statement.findings:
            if finding.instead:
                advice.setdefault(finding.code, finding.instead)
    return list(advice.items())


def package_line(section: Section) -> str | None:
    """The header line of an installed package's migration."""
    if section.package is None:
        return None
    return (f"from the installed package {section.package}: not yours to edit (design rules "
            "are off; what to do instead is phrased for the upgrade)")


def cost(statement: StatementResult) -> str:
    return statement.cost.value


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def estimate(statement: StatementResult) -> str | None:
    """--stats: ``~4 min under ACCESS EXCLUSIVE on shop_order, 38 GB (estimate)``."""
    estimated = statement.estimate
    if estimated is None:
        return None
    if estimated.seconds is None:
        slow = statement.cost.is_slow or statement.cost is Cost.UNKNOWN
        return f"duration not estimated: {estimated.unknown}" if slow else None
    worked = {item["table"] for item in estimated.work}
    tables = [t for t in estimated.tables if t["table"] in worked] or estimated.tables
    largest = max(tables, key=lambda table: table["total_bytes"], default=None)
    text = f"{duration(estimated.seconds)}"
    if estimated.under:
        text += f" under {estimated.under}"
    if largest is not None:
        text += f" on {largest['table']}, {size(largest['total_bytes'])}"
        if len(tables) > 1:
            text += f" (and {len(tables) - 1} more)"
    return text + " (estimate)"


def duration(seconds: float) -> str:
    if seconds < 1:
        return "<1 s"
    if seconds < 90:
        return f"~{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"~{seconds / 60:.0f} min"
    return f"~{seconds / 3600:.1f} h"


def size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "bytes" or value >= 10 else \
                f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB" if value < 10 else f"{value:.0f} TB"
