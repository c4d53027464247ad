"""The checks that raise findings for one statement.

Each check looks at the facts the analyzer established (actions with their
knowledge rows, which relations pre-date the input, the session settings) and
returns findings from the catalogue in ``rules.py``. Checks that need the whole
transaction (SR202, SR203, SR204) live in the analyzer's transaction tracker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pglast import ast

from sqlreview.pg import knowledge
from sqlreview.pg.classify import Action, Session
from sqlreview.pg.knowledge import Entry, Role
from sqlreview.pg.locks import LockMode
from sqlreview.pg.nodes import walk
from sqlreview.pg.rules import rule
from sqlreview.results import Cost, Finding


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


Check = Callable[[StatementFacts], Iterable[Finding]]


def _each(facts: StatementFacts, kind: str, *variants: str) -> Iterable[ResolvedAction]:
    for resolved in facts.actions:
        wanted = resolved.action.kind == kind and (
            not variants or resolved.action.variant in variants
        )
        if wanted and (resolved.touches_existing() or resolved.touches_existing(Role.INDEX)):
            yield resolved


def check_add_column_rewrite(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "ALTER TABLE ADD COLUMN"):
        if r.entry.cost is Cost.REWRITE:
            yield rule("SR101").finding(
                f"{r.action.description} ({r.action.variant}) rewrites {r.target}"
            )


def check_add_not_null_column(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "ALTER TABLE ADD COLUMN", "not null without default"):
        yield rule("SR102").finding(
            f"{r.action.description} is NOT NULL without a default: fails if {r.target} "
            "has rows"
        )


def check_type_change(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "ALTER TABLE ALTER COLUMN TYPE"):
        if r.entry.cost is Cost.REWRITE:
            reason = "; ".join(r.action.notes)
            yield rule("SR103").finding(f"{r.action.description} rewrites {r.target}: {reason}")


def check_set_not_null(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "ALTER TABLE ALTER COLUMN SET NOT NULL"):
        if r.entry.cost is Cost.SCAN:
            yield rule("SR104").finding(f"{r.action.description} scans {r.target}")


def check_validated_constraints(facts: StatementFacts) -> Iterable[Finding]:
    codes = {
        "ALTER TABLE ADD CONSTRAINT CHECK": "SR105",
        "ALTER TABLE ADD CONSTRAINT NOT NULL": "SR104",
        "ALTER TABLE ADD CONSTRAINT FOREIGN KEY": "SR106",
        "ALTER TABLE ADD CONSTRAINT UNIQUE": "SR108",
        "ALTER TABLE ADD CONSTRAINT PRIMARY KEY": "SR108",
        "ALTER TABLE ADD CONSTRAINT EXCLUDE": "SR108",
    }
    for kind, code in codes.items():
        for r in _each(facts, kind):
            if r.entry.cost.reads_whole_table:
                yield rule(code).finding(
                    f"{r.action.description} on {r.target}: {r.entry.cost.value}"
                )


def check_blocking_index_statements(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "CREATE INDEX", ""):
        message = f"{r.action.description} blocks writes on {r.target}"
        if r.action.covered_by:
            message += (f"; {r.action.covered_by} already indexes these columns (a "
                        "ForeignKey's automatic index? set db_index=False on the field)")
        yield rule("SR107").finding(message)
    for r in _each(facts, "DROP INDEX", ""):
        yield rule("SR109").finding(f"{r.action.description} locks {r.target} ACCESS EXCLUSIVE")
    for r in _each(facts, "REINDEX", ""):
        yield rule("SR112").finding(f"{r.action.description} blocks writes on {r.target}")


_REWRITING_KINDS = frozenset(
    {
        "ALTER TABLE SET LOGGED",
        "ALTER TABLE SET UNLOGGED",
        "ALTER TABLE SET TABLESPACE",
        "ALTER TABLE SET ACCESS METHOD",
        "ALTER TABLE ALTER COLUMN SET EXPRESSION",
        "VACUUM FULL",
        "CLUSTER",
    }
)


def check_table_rewrites(facts: StatementFacts) -> Iterable[Finding]:
    for kind in sorted(_REWRITING_KINDS):
        for r in _each(facts, kind):
            if r.entry.cost is Cost.REWRITE:
                yield rule("SR110").finding(f"{r.action.description} rewrites {r.target}")


def check_partitions_and_views(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "REFRESH MATERIALIZED VIEW", ""):
        yield rule("SR111").finding(f"{r.action.description} blocks reads of {r.target}")
    for r in _each(facts, "ALTER TABLE DETACH PARTITION", ""):
        if facts.pg_version >= 14:
            yield rule("SR113").finding(f"{r.action.description} locks {r.target} "
                                        "ACCESS EXCLUSIVE")
    for r in _each(facts, "ALTER TABLE ATTACH PARTITION", ""):
        if r.touches_existing(Role.PARTITION):
            yield rule("SR114").finding(f"{r.action.description} scans the partition")


def check_data_loss_and_churn(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "TRUNCATE"):
        yield rule("SR115").finding(f"TRUNCATE empties {r.target}")
    for kind in ("UPDATE", "DELETE"):
        for r in _each(facts, kind, "all rows"):
            yield rule("SR116").finding(f"{kind} of every row of {r.target}")


def check_rolling_deploy_breakers(facts: StatementFacts) -> Iterable[Finding]:
    for r in _each(facts, "ALTER TABLE DROP COLUMN"):
        yield rule("SR117").finding(f"{r.action.description} from {r.target}")
    for kind in ("ALTER TABLE RENAME COLUMN", "ALTER TABLE RENAME"):
        for r in _each(facts, kind):
            yield rule("SR118").finding(f"{r.action.description} on {r.target}")
    for r in _each(facts, "DROP TABLE"):
        yield rule("SR119").finding(f"DROP TABLE {r.target}")


def check_opaque(facts: StatementFacts) -> Iterable[Finding]:
    for resolved in facts.actions:
        if resolved.entry.cost is Cost.UNKNOWN:
            yield rule("SR120").finding(f"{resolved.action.description}: {resolved.entry.note}")


def check_version(facts: StatementFacts) -> Iterable[Finding]:
    for resolved in facts.actions:
        action = resolved.action
        since = knowledge.introduced_in(action.kind, action.variant, facts.pg_version)
        if since is None and action.variant:
            since = knowledge.introduced_in(action.kind, "", facts.pg_version)
        if since is not None:
            form = f"{action.kind} {action.variant}".strip()
            yield rule("SR003").finding(
                f"{form} needs PostgreSQL {since}; PostgreSQL {facts.pg_version} rejects it")


# Syntax inside a statement that older servers reject, with the version that added it,
# and what Django does on an older server instead of emitting it.
_NULLS_NOT_DISTINCT = (
    "UNIQUE NULLS NOT DISTINCT", 15,
    "; Django itself, run against an older PostgreSQL, emits no constraint at all for a "
    "UniqueConstraint(nulls_distinct=False) (its backend lacks the feature): production "
    "would silently miss it")
_JSON_CONSTRUCTOR = (
    "JSON_OBJECT()/JSON_ARRAY()", 16,
    "; Django's JSONObject renders as json_build_object() on older PostgreSQL")


def version_gated_syntax(node: ast.Node, pg_version: int) -> list[Finding]:
    """SR003 for syntax nested anywhere in the statement (not a statement kind of its own)."""
    found: dict[str, tuple[str, int, str]] = {}
    for child in walk(node):
        if isinstance(child, (ast.IndexStmt, ast.Constraint)) and child.nulls_not_distinct:
            found[_NULLS_NOT_DISTINCT[0]] = _NULLS_NOT_DISTINCT
        elif isinstance(child, (ast.JsonObjectConstructor, ast.JsonArrayConstructor)):
            found[_JSON_CONSTRUCTOR[0]] = _JSON_CONSTRUCTOR
    return [rule("SR003").finding(f"{form} needs PostgreSQL {since}; PostgreSQL {pg_version} "
                                  f"rejects it{django}")
            for form, since, django in found.values() if pg_version < since]


def check_lock_timeout(facts: StatementFacts) -> Iterable[Finding]:
    if facts.assume_lock_timeout or facts.session.lock_timeout:
        return
    blocking = sorted(
        {
            name
            for resolved in facts.actions
            for role, mode in resolved.locks()
            if mode.conflicts_with(LockMode.ROW_EXCLUSIVE)
            for name in resolved.action.related(role)
            if name in resolved.existing
        }
    )
    if blocking:
        yield rule("SR201").finding(
            f"no lock_timeout is set before locking {', '.join(blocking)}"
        )


CHECKS: tuple[Check, ...] = (
    check_version,
    check_add_column_rewrite,
    check_add_not_null_column,
    check_type_change,
    check_set_not_null,
    check_validated_constraints,
    check_blocking_index_statements,
    check_table_rewrites,
    check_partitions_and_views,
    check_data_loss_and_churn,
    check_rolling_deploy_breakers,
    check_opaque,
    check_lock_timeout,
)


def run_checks(facts: StatementFacts) -> list[Finding]:
    findings: list[Finding] = []
    for check in CHECKS:
        for finding in check(facts):
            if finding not in findings:
                findings.append(finding)
    return findings
