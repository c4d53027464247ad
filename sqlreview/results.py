"""The plain data every stage hands to the next.

The analyzer fills these in, the reporters only read them. Nothing here knows
pglast or Django, so a report can be built (and tested) from hand-made values
and every object serializes to JSON through ``to_json()``.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from sqlreview.locking import LockMode

JSON_SCHEMA_VERSION = 1


class Cost(enum.Enum):
    """What a statement does to the table's data, cheapest first."""

    NONE = "none"
    METADATA = "metadata only"
    # TRUNCATE, REFRESH ... WITH NO DATA: a new empty file replaces the data;
    # as fast on a huge table as on an empty one (not a rewrite).
    NEW_STORAGE = "new empty storage"
    DATA_CHANGE = "data change"
    SCAN = "full scan"
    INDEX_BUILD = "index build"
    REWRITE = "full rewrite"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        # Unknown sorts with the worst: we cannot vouch for it.
        return len(_COST_ORDER) if self is Cost.UNKNOWN else _COST_ORDER.index(self)

    @property
    def reads_whole_table(self) -> bool:
        return self in (Cost.SCAN, Cost.INDEX_BUILD, Cost.REWRITE)

    @property
    def is_slow(self) -> bool:
        """Takes time proportional to the table's size."""
        return self.reads_whole_table or self is Cost.DATA_CHANGE


_COST_ORDER = [
    Cost.NONE,
    Cost.METADATA,
    Cost.NEW_STORAGE,
    Cost.DATA_CHANGE,
    Cost.SCAN,
    Cost.INDEX_BUILD,
    Cost.REWRITE,
]


class WorkKind(enum.Enum):
    """What a statement does to an existing table's rows, in proportion to its size."""

    REWRITE = "rewrite"
    SCAN = "scan"
    INDEX_BUILD = "index build"
    # Lets writes through: the table is read a second time for what changed meanwhile.
    INDEX_BUILD_CONCURRENTLY = "index build concurrently"
    UPDATE_ALL_ROWS = "update of every row"
    DELETE_ALL_ROWS = "delete of every row"
    ROW_CHANGE = "row change of unknown share"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class WorkItem:
    """One piece of a statement's work, as the analyzer learnt it: what ``--stats``
    turns into seconds with the table's size. Tables created in the same input get
    no rewrite, scan or index build (production has none of their rows)."""

    kind: WorkKind
    table: str | None = None  # as the SQL names it; None for UNKNOWN
    # REINDEX: the existing indexes built again, as far as the analyzer names them
    # (none: a single index).
    indexes: tuple[str, ...] = ()
    # CREATE INDEX: the column its key starts with (None: an expression, or another build).
    key_column: str | None = None
    # ROW_CHANGE of an UPDATE or DELETE: a WHERE decides which rows.
    limited_by_where: bool = False
    reason: str = ""  # UNKNOWN: why the work cannot be known


class Level(enum.IntEnum):
    """Severity of a finding and risk of a statement; also ``--fail-on``."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(level.label for level in cls)
            raise ValueError(f"unknown level {text!r}: choose one of {choices}") from None


@dataclass(frozen=True)
class LockEntry:
    """The strongest lock one statement takes on one relation."""

    relation: str
    mode: LockMode
    # Index of the statement whose COMMIT releases it; None when it is released
    # at the end of the statement itself (autocommit).
    held_until: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "mode": self.mode.pg_locks_name,
            "held_until": self.held_until,
        }


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Level
    message: str
    # The reason given where it was ignored (``# sqlreview: ignore`` or the
    # config's ``ignore``): still listed, but no longer counted for risk.
    suppressed: str | None = None
    # What to do, when the rule's usual advice does not fit this occurrence: a
    # migration of an installed package is not the user's to edit.
    instead: str | None = None

    @property
    def text(self) -> str:
        """The message, with this occurrence's own advice when it has one."""
        if not self.instead:
            return self.message
        return f"{self.message.rstrip('.')}. Instead: {self.instead}"

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.label, "message": self.message,
                "suppressed": self.suppressed, "instead": self.instead}


@dataclass
class Measurement:
    """What PostgreSQL did when the statement ran on the scratch database (--trace).

    ``locks`` are the locks it newly took (a lock the transaction already held
    is not repeated); tables there are small, so scans say little and are
    not compared."""

    locks: dict[str, LockMode] = field(default_factory=dict)
    rewrites: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    error: str | None = None
    disagreements: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "locks": [{"relation": name, "mode": mode.pg_locks_name}
                      for name, mode in sorted(self.locks.items())],
            "rewrites": list(self.rewrites),
            "scans": list(self.scans),
            "error": self.error,
            "disagreements": list(self.disagreements),
        }


@dataclass
class DurationEstimate:
    """With ``--stats``: the tables a statement works on, their sizes, and how
    long it takes (``seconds`` None: not applicable, or a size or share of rows
    is unknown; ``unknown`` says which)."""

    seconds: float | None
    tables: list[dict[str, Any]] = field(default_factory=list)  # sizes from the snapshot
    work: list[dict[str, Any]] = field(default_factory=list)  # per table: work, seconds, inputs
    under: str | None = None  # the lock mode it holds meanwhile, e.g. "ACCESS EXCLUSIVE"
    unknown: str | None = None
    graded: bool = False  # its risk follows from the estimate

    def to_json(self) -> dict[str, Any]:
        return {"seconds": None if self.seconds is None else round(self.seconds, 3),
                "tables": list(self.tables), "work": list(self.work), "under": self.under,
                "unknown": self.unknown, "graded_by_size": self.graded}


@dataclass
class StatementResult:
    """One SQL statement and what running it on Postgres would do."""

    index: int
    sql: str
    file: str = "-"
    line: int = 1
    kind: str = ""
    actions: list[str] = field(default_factory=list)
    locks: list[LockEntry] = field(default_factory=list)
    rewrites: list[str] = field(default_factory=list)
    # Relations whose data is replaced by new empty storage (TRUNCATE): not rewrites.
    emptied: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    new_relations: list[str] = field(default_factory=list)
    cost: Cost = Cost.NONE
    risk: Level | None = Level.LOW  # None: unknown (the statement was not understood)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    in_transaction: bool = False
    error: str | None = None
    # Set by the Django pipeline: which migration operation emitted it, and with
    # --trace what PostgreSQL did when it ran on the scratch database.
    operation: str | None = None
    measured: Measurement | None = None
    # The analyzer's: what it does in proportion to each existing table's size (--stats
    # estimates it); not in the report.
    work: tuple[WorkItem, ...] = ()
    estimate: DurationEstimate | None = None  # --stats only
    # The risk from its locks and cost alone (the analyzer's; with --stats, from how
    # long it blocks), before its findings raise it; None where none was graded. The
    # review's last step grades ``risk`` from it and the findings that count.
    base_risk: Level | None = field(default=None, compare=False, repr=False)

    @property
    def estimated_seconds(self) -> float | None:
        return self.estimate.seconds if self.estimate else None

    @property
    def strongest_lock(self) -> LockEntry | None:
        return max(self.locks, key=lambda entry: entry.mode, default=None)

    @property
    def blocks(self) -> tuple[str, ...]:
        strongest = self.strongest_lock
        return strongest.mode.blocks if strongest else ()

    @property
    def risk_label(self) -> str:
        return self.risk.label if self.risk else "unknown"

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "file": self.file,
            "line": self.line,
            "sql": self.sql,
            "kind": self.kind,
            "actions": list(self.actions),
            "operation": self.operation,
            "locks": [lock.to_json() for lock in self.locks],
            "blocks": list(self.blocks),
            "rewrites": list(self.rewrites),
            "emptied": list(self.emptied),
            "scans": list(self.scans),
            "new_relations": list(self.new_relations),
            "cost": self.cost.value,
            "risk": self.risk_label,
            "in_transaction": self.in_transaction,
            "findings": [finding.to_json() for finding in self.findings],
            "notes": list(self.notes),
            "error": self.error,
            "measured": self.measured.to_json() if self.measured else None,
            "estimated_seconds": (None if self.estimated_seconds is None
                                  else round(self.estimated_seconds, 3)),
            "estimate": self.estimate.to_json() if self.estimate else None,
        }


@dataclass
class TransactionHold:
    """A lock that blocks traffic, held from one statement until COMMIT."""

    relation: str
    mode: LockMode
    acquired_at: int
    released_at: int | None  # None: the input ends inside the transaction
    held_through: list[int] = field(default_factory=list)
    # Each statement that took a stronger mode than held before: (index, mode).
    taken: list[tuple[int, LockMode]] = field(default_factory=list)
    # --stats: the sum of the estimates of the statements run under it; a lower
    # bound when one of them could not be estimated (``estimate_complete``).
    estimated_seconds: float | None = None
    estimate_complete: bool = True

    @property
    def steps(self) -> list[tuple[int, LockMode]]:
        return self.taken or [(self.acquired_at, self.mode)]

    @property
    def taken_text(self) -> str:
        """Which statement took which mode: "SHARE ROW EXCLUSIVE at #2, ACCESS EXCLUSIVE at #3"."""
        return ", ".join(f"{mode.sql_name} at #{index}" for index, mode in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "mode": self.mode.pg_locks_name,
            "acquired_at": self.acquired_at,
            "released_at": self.released_at,
            "held_through": list(self.held_through),
            "taken": [{"statement": index, "mode": mode.pg_locks_name}
                      for index, mode in self.steps],
            "estimated_seconds": (None if self.estimated_seconds is None
                                  else round(self.estimated_seconds, 3)),
            "estimate_complete": self.estimate_complete,
        }


@dataclass
class SqlAnalysis:
    """The analysis of one SQL input (a file, stdin, or one migration)."""

    file: str
    pg_version: int
    statements: list[StatementResult] = field(default_factory=list)
    holds: list[TransactionHold] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "pg_version": self.pg_version,
            "statements": [statement.to_json() for statement in self.statements],
            "holds": [hold.to_json() for hold in self.holds],
        }


@dataclass
class Section:
    """One unit of a review: a SQL file, or one Django migration."""

    title: str
    analysis: SqlAnalysis
    # Django migrations only: identity and what happened while rendering.
    app: str | None = None
    name: str | None = None
    atomic: bool | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    sql_text: str | None = None  # the migration's SQL exactly as `sqlmigrate` prints it
    # Rolling deploys (Django): "before-deploy", "after-deploy" or "split", and the verdicts.
    phase: str | None = None
    deploy: dict[str, Any] | None = None
    # Why the deploy plan runs it in another phase than its own (it depends on a later one).
    phase_moved: str | None = None
    # The installed package whose migration this is (None: the project's own).
    package: str | None = None
    # About the migration as a whole, or an operation without a statement that does
    # work (deploy verdicts): no statement's risk, but the review's.
    findings: list[Finding] = field(default_factory=list)

    @property
    def own_risk(self) -> Level | None:
        """The worst of its own findings that count (None: it has none)."""
        return max((finding.severity for finding in self.findings if not finding.suppressed),
                   default=None)

    @property
    def statements(self) -> list[StatementResult]:
        return self.analysis.statements

    @property
    def in_package(self) -> str | None:
        """``in package X, migration app.name`` for a package's migration: the only
        way to name it, as it has no file in the repository."""
        if self.package is None:
            return None
        return f"in package {self.package}, migration {self.app}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "name": self.name,
            "atomic": self.atomic,
            "error": self.error,
            "sql": self.sql_text,
            "warnings": list(self.warnings),
            "statements": [statement.to_json() for statement in self.statements],
            "holds": [hold.to_json() for hold in self.analysis.holds],
            "phase": self.phase,
            "phase_moved": self.phase_moved,
            "deploy": self.deploy,
            "package": self.package,
            "findings": [finding.to_json() for finding in self.findings],
        }


@dataclass(frozen=True)
class SizesSource:
    """Where ``--stats`` took production's table sizes from, and how it grades by them."""

    file: str
    taken_at: str | None
    database: str | None
    tables: int
    calibration: str  # the machine the throughputs were measured on
    thresholds: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class RunSettings:
    """How a review was produced: what the JSON report lists after its errors, in this
    order. ``mode`` to ``pre_state`` and ``trace`` belong to a review of migrations."""

    mode: str | None = None  # replay or live
    database: str | None = None  # the Django database alias reviewed
    scratch_server_version: int | None = None
    pre_state: dict[str, Any] | None = None  # how the scratch database was brought there
    connection_timeouts: dict[str, Any] | None = None  # the database's own OPTIONS
    schema: str | None = None  # sqlreview sql: where the schema came from, when not --schema
    stats: SizesSource | None = None
    trace: bool = False
    since: str | None = None  # --since REF
    config: str | None = None  # the [tool.sqlreview] file read (None: none)
    drift: list[dict[str, Any]] | None = None  # production against the files, when built from it
    deploy_plan: dict[str, Any] | None = None

    def to_json(self, *, migrations: bool) -> dict[str, Any]:
        document: dict[str, Any] = {}
        if migrations:
            document.update(mode=self.mode, database=self.database,
                            scratch_server_version=self.scratch_server_version,
                            pre_state=self.pre_state)
        if self.connection_timeouts is not None:
            document["connection_timeouts"] = self.connection_timeouts
        if self.schema is not None:
            document["schema"] = self.schema
        document["stats"] = self.stats.to_json() if self.stats is not None else None
        if migrations:
            document["trace"] = self.trace
        if self.since is not None:
            document["since"] = self.since
        document["config"] = self.config
        if self.drift is not None:
            document["drift"] = self.drift
        if self.deploy_plan is not None:
            document["deploy_plan"] = self.deploy_plan
        return document


@dataclass
class Review:
    """Everything a reporter needs: the sections and how they were produced."""

    pg_version: int
    sections: list[Section] = field(default_factory=list)
    kind: str = "sql"  # "sql" (files) or "migrations" (Django)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # inputs that could not be read
    settings: RunSettings = field(default_factory=RunSettings)

    @property
    def statements(self) -> list[StatementResult]:
        return [statement for section in self.sections for statement in section.statements]

    def worst_risk(self) -> Level | None:
        """The highest risk, a migration's own findings included; an unparsed statement
        counts as HIGH."""
        levels = [s.risk if s.risk is not None else Level.HIGH for s in self.statements]
        levels += [section.own_risk for section in self.sections if section.own_risk is not None]
        return max(levels, default=None)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "schema_version": JSON_SCHEMA_VERSION,
            "pg_version": self.pg_version,
        }
        if self.kind == "migrations":
            document["migrations"] = [section.to_json() for section in self.sections]
        else:
            document["files"] = [
                {"file": section.title, "holds": [h.to_json() for h in section.analysis.holds]}
                for section in self.sections
            ]
            document["statements"] = [s.to_json() for s in self.statements]
        document["summary"] = summarize(self.statements)
        document["summary"]["suppressed"] += sum(
            1 for section in self.sections for finding in section.findings if finding.suppressed)
        document["warnings"] = list(self.warnings)
        document["errors"] = list(self.errors)
        document.update(self.settings.to_json(migrations=self.kind == "migrations"))
        return document


def summarize(statements: list[StatementResult]) -> dict[str, int]:
    counts = {"statements": len(statements)}
    for level in reversed(Level):
        counts[level.label] = sum(1 for s in statements if s.risk is level)
    counts["unknown"] = sum(1 for s in statements if s.risk is None)
    counts["suppressed"] = sum(1 for s in statements for f in s.findings if f.suppressed)
    return counts
