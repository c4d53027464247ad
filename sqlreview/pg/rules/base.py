"""What a rule is, what a check sees, and the registry the families fill.

A rule keeps together its stable code, its wording (summary, why, instead),
the check that raises it (on a statement, or on a whole migration) and its
bad/good examples (SQL, or migrations as Django renders them), like squawk's
and ruff's rules. ``tests/analyzer/test_rules.py`` runs every example through
the real analyzer: each bad example must raise the rule, each good one must not.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlreview.locking import LockMode
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Entry, Role
from sqlreview.pg.rules.packages import INSTEAD_FOR_PACKAGE
from sqlreview.results import Finding, Level, StatementResult

if TYPE_CHECKING:  # the catalogue is imported by the reporters, which do without pglast
    from pglast import ast

    from sqlreview.pg.classify import Action, Session
    from sqlreview.pg.schema import Schema


@dataclass(frozen=True)
class ResolvedAction:
    action: Action
    entry: Entry
    # Relations of the action that existed before the input: those carry risk.
    existing: frozenset[str]

    def touches_existing(self, role: Role = Role.TARGET) -> bool:
        return any(name in self.existing for name in self.action.related(role))

    def locks(self) -> list[tuple[Role, LockMode]]:
        """(role, mode) pairs: the knowledge row's, or the mode LOCK TABLE names."""
        if self.action.lock_mode is not None:
            return [(Role.TARGET, self.action.lock_mode)]
        return list(self.entry.locks.items())

    @property
    def target(self) -> str:
        targets = self.action.related(Role.TARGET) or self.action.related(Role.INDEX)
        return ", ".join(targets) if targets else "?"


@dataclass(frozen=True)
class StatementFacts:
    actions: list[ResolvedAction]
    session: Session
    pg_version: int
    assume_lock_timeout: bool
    # The parsed statement and its text, for checks about how it is spelled
    # (types, names, IF EXISTS).
    node: ast.Node | None = None
    sql: str = ""
    # The schema as the statement meets it (before it runs).
    schema: Schema | None = None
    # Runs inside a transaction block (a failure rolls everything back).
    in_transaction: bool = False
    # Written by a person for Django to run as is (RunSQL), so its spelling can be
    # changed; SQL the schema editor emits, or of unknown origin, is not.
    hand_written: bool = False
    # The project's own code, not an installed package's migration: only its owner
    # can change a model's design (rules with ``about_design``).
    own_code: bool = True
    # Django's deploy verdicts judge what this statement breaks in a rolling deploy
    # (rules with codes in ``ROLLING_DEPLOY_CODES`` are silent).
    rolling_deploy_judged: bool = False


Check = Callable[[StatementFacts], Iterable[Finding]]


@dataclass(frozen=True)
class PythonRun:
    """A ``RunPython`` whose work sqlreview cannot see: its row of the analysis."""

    index: int  # its statement's index in ``MigrationFacts.statements``
    name: str  # the function it runs, or how the operation describes itself
    reverse: str = ""  # what undoing it does, as a clause (" (reverse: f)"), or ""


@dataclass(frozen=True)
class MigrationFacts:
    """One migration's analysed statements, for the checks that judge a migration as a
    whole (Django's RunPython beside DDL). Plain values the review stage has: no Django."""

    atomic: bool  # it runs in one transaction
    statements: Sequence[StatementResult]
    opaque_python: tuple[PythonRun, ...] = ()
    # Statements a RunPython executed on the scratch database (not the migration's own DDL).
    executed_by_python: frozenset[int] = frozenset()

    def statement(self, index: int) -> StatementResult:
        return next(s for s in self.statements if s.index == index)


# A migration-level check: (statement index, finding) for each finding it raises.
MigrationCheck = Callable[[MigrationFacts], Iterable[tuple[int, Finding]]]


@dataclass(frozen=True)
class Example:
    """A bad input that raises the rule and a good one, usually what ``instead`` says."""

    bad: str
    good: str
    pg_version: int = 18
    # Most examples leave SR201 (no lock_timeout) out of the picture, so that
    # the bad example raises exactly its own code.
    assume_lock_timeout: bool = True
    why_good: str = ""
    # Other codes the bad example raises, rightly (a serial key is also an integer key).
    also: frozenset[str] = frozenset()
    # Fed as the SQL of a RunSQL operation (``Analyzer.feed(hand_written=True)``).
    hand_written: bool = False

    @property
    def bad_sql(self) -> str:
        return textwrap.dedent(self.bad).strip()

    @property
    def good_sql(self) -> str:
        return textwrap.dedent(self.good).strip()


@dataclass(frozen=True)
class MigrationStatement:
    """One statement of a migration as Django renders it."""

    operation: str  # how Django describes the operation that emits it (``describe()``)
    sql: str = ""  # the SQL it emits; "" for a RunPython, which has none

    @property
    def kind(self) -> str:
        return "sql" if self.sql else "python"


@dataclass(frozen=True)
class MigrationExample:
    """A migration as Django renders it and hands it to the analyzer."""

    atomic: bool
    statements: tuple[MigrationStatement, ...]
    error: str | None = None  # rendering it failed with this


@dataclass(frozen=True)
class DjangoExample:
    """A migration that raises the rule and one that does not (``tests/analyzer/test_rules.py``
    reviews both through the review stage)."""

    bad: MigrationExample
    good: MigrationExample
    why_good: str = ""


# What the bad example of a slow statement under a blocking lock also raises, rightly:
# nothing bounds how long it runs (SR205).
UNBOUNDED = frozenset({"SR205"})


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Level
    summary: str
    why: str
    instead: str
    # The statement-level check that raises it; None when something else does
    # (the transaction tracker, a migration-level check, the Django pipeline,
    # sqlreview.deploy).
    check: Check | None = None
    # The check that raises it from a whole migration (the review stage runs it).
    migration_check: MigrationCheck | None = None
    examples: tuple[Example, ...] = ()
    # Migrations as Django renders them, for a rule raised from migrations, not SQL alone.
    django_examples: tuple[DjangoExample, ...] = ()
    # Where the examples are when they are not SQL (a migration, a --trace measurement).
    examples_elsewhere: str = ""
    # A migration that raises the rule and one that does not (the safe variant), as files
    # of the repository: shown on the rule's page (sqlreview.docs); the tests raise the
    # rule from exactly these (tests/test_docs.py checks they are the tested pair).
    migration_examples: tuple[str, str] | None = None
    # Where it is raised when it has no check: the functions (``module.function``, or
    # ``module.Class.method``) that build its finding from this object (``SR401.finding``).
    # They live above pg/ (Django, sqlreview.deploy), which pg/ must not import, so they
    # are named; tests/analyzer/test_rules.py proves each exists and names the rule.
    raised_by: tuple[str, ...] = ()
    # Said in the rule reference: when it does not fire, or how to turn it off.
    scope: str = ""
    # Raised because the work takes time in proportion to the table's size: with
    # --stats, its severity follows the estimated duration.
    size_graded: bool = False
    # Advice on the schema's design (types, names): only whoever owns the models can
    # follow it, so it is not raised on the migrations of installed packages.
    about_design: bool = False

    @property
    def instead_for_package(self) -> str | None:
        """The advice for an installed package's migration, which the user cannot
        edit (see ``packages``); None where ``instead`` holds there too."""
        return INSTEAD_FOR_PACKAGE.get(self.code)

    def finding(self, message: str) -> Finding:
        return Finding(code=self.code, severity=self.severity, message=message)


@dataclass
class Registry:
    rules: list[Rule] = field(default_factory=list)

    def add(self, *rules: Rule) -> None:
        known = {rule.code for rule in self.rules}
        for rule in rules:
            if rule.code in known:
                raise ValueError(f"rule code {rule.code} defined twice")
            known.add(rule.code)
            self.rules.append(rule)


def each(facts: StatementFacts, kind: StatementKind, *variants: str) -> Iterable[ResolvedAction]:
    """Actions of ``kind`` (and one of ``variants``) on a relation that pre-dates the input."""
    for resolved in facts.actions:
        wanted = resolved.action.kind == kind and (
            not variants or resolved.action.variant in variants
        )
        if wanted and (resolved.touches_existing() or resolved.touches_existing(Role.INDEX)):
            yield resolved


def target_lock(r: ResolvedAction) -> str:
    """The strongest lock the action takes on its table, as the manual spells it."""
    modes = [mode for role, mode in r.locks() if role is Role.TARGET]
    return max(modes).sql_name if modes else "its lock"
