"""Where production's schema differs from what the migration files build.

When the pre-state comes from production (the database, or a snapshot of it),
the same history is also built from the migration files, and the two catalogs
are compared object by object: tables, columns (type, NOT NULL), indexes and
constraints (name and what they cover). A difference matters to a reviewed
migration when it is on a table that migration touches; it matters most when
the migration names the object (renames, alters or drops an index or a
constraint production has under another name, or not at all): that statement
fails, or does something else, in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlreview.pg.rules.input import SR007
from sqlreview.pg.schema import Column, Constraint, Relation, RelationKind, Schema, key_of
from sqlreview.results import Finding, Level, Review, StatementResult

_TABLE_KINDS = frozenset({RelationKind.TABLE, RelationKind.PARTITIONED_TABLE})


@dataclass(frozen=True)
class Drift:
    """One object that production and the migration files disagree on."""

    table: str  # the relation key of the table it belongs to
    kind: str  # "table", "column", "index" or "constraint"
    name: str
    production: str | None  # how production has it; None: production lacks it
    files: str | None  # how the migration files build it; None: they do not

    def describe(self) -> str:
        where = f"{self.kind} {self.name}" + ("" if self.kind == "table" else f" on {self.table}")
        have = f"production has {self.production}" if self.production else "production lacks it"
        build = (f"the migration files build {self.files}" if self.files
                 else "the migration files do not build it")
        return f"{where}: {have}, {build}"


def differences(production: Schema, files: Schema) -> list[Drift]:
    """Every difference on the tables the migration files build (production may hold
    tables of other projects: only those the files also build are compared)."""
    found: list[Drift] = []
    for key, built in sorted(files.relations.items()):
        if built.kind not in _TABLE_KINDS:
            continue
        actual = production.relations.get(key)
        if actual is None or actual.kind not in _TABLE_KINDS:
            found.append(Drift(key, "table", built.name, None, "it"))
            continue
        found.extend(_columns(key, actual, built))
        found.extend(_constraints(key, actual, built))
        found.extend(_indexes(key, _indexes_of(production, key), _indexes_of(files, key)))
    return found


def _columns(table: str, actual: Relation, built: Relation) -> Iterable[Drift]:
    for name in sorted(set(actual.columns) | set(built.columns)):
        have, want = actual.columns.get(name), built.columns.get(name)
        if _column_text(have) != _column_text(want):
            yield Drift(table, "column", name, _column_text(have), _column_text(want))


def _column_text(column: Column | None) -> str | None:
    if column is None:
        return None
    kind = str(column.type) if column.type is not None else "unknown type"
    return kind + (" NOT NULL" if column.not_null else "")


def _constraints(table: str, actual: Relation, built: Relation) -> Iterable[Drift]:
    have = {f"{c.name} {_constraint_text(c)}": c.name for c in actual.constraints.values()}
    want = {f"{c.name} {_constraint_text(c)}": c.name for c in built.constraints.values()}
    yield from _named_objects(table, "constraint", have, want)


def _constraint_text(constraint: Constraint) -> str:
    text = f"{constraint.kind.value.upper()} ({', '.join(constraint.columns)})"
    if constraint.referenced:
        text += f" REFERENCES {constraint.referenced}"
    return text + ("" if constraint.valid else " NOT VALID")


def _indexes_of(schema: Schema, table: str) -> dict[str, str]:
    """Index name -> what it covers, for the indexes on ``table``."""
    return {relation.name: f"({', '.join(relation.index_columns)})"
            for relation in schema.relations.values()
            if relation.kind is RelationKind.INDEX and relation.table == table}


def _indexes(table: str, actual: dict[str, str], built: dict[str, str]) -> Iterable[Drift]:
    have = {f"{name} {covers}": name for name, covers in actual.items()}
    want = {f"{name} {covers}": name for name, covers in built.items()}
    yield from _named_objects(table, "index", have, want)


def _named_objects(table: str, kind: str, have: dict[str, str], want: dict[str, str]
                   ) -> Iterable[Drift]:
    """Objects keyed by ``name + what they cover``: one missing on a side is a difference,
    reported once per name with both versions."""
    by_name: dict[str, tuple[str | None, str | None]] = {}
    for text, name in have.items():
        if text not in want:
            by_name[name] = (text, by_name.get(name, (None, None))[1])
    for text, name in want.items():
        if text not in have:
            by_name[name] = (by_name.get(name, (None, None))[0], text)
    for name, (production, files) in sorted(by_name.items()):
        yield Drift(table, kind, name, _without_name(production, name),
                    _without_name(files, name))


def _without_name(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    return text[len(name) + 1:] if text.startswith(name + " ") else text


def attach(review: Review, drifts: list[Drift]) -> None:
    """SR007 on the first statement of each migration that touches a drifted table, once
    per object and migration: high where the statement names the object."""
    by_table: dict[str, list[Drift]] = {}
    for drift in drifts:
        by_table.setdefault(drift.table, []).append(drift)
    for section in review.sections:
        reported: set[Drift] = set()
        for statement in section.statements:
            for table in _tables_of(statement):
                for drift in by_table.get(table, []):
                    if drift not in reported:
                        reported.add(drift)
                        _add(statement, drift)


def _tables_of(statement: StatementResult) -> list[str]:
    return list(dict.fromkeys(key_of(lock.relation) for lock in statement.locks))


def _add(statement: StatementResult, drift: Drift) -> None:
    named = _names(statement.sql, drift.name)
    finding = Finding(code=SR007.code, severity=SR007.severity if named else Level.MEDIUM,
                      message=drift.describe() + (
                          ": this statement names it" if named else ""))
    statement.findings.append(finding)
    if statement.risk is not None:
        statement.risk = max(statement.risk, finding.severity)


def _names(sql: str, name: str) -> bool:
    """Whether ``sql`` mentions the identifier ``name`` (bare or quoted)."""
    pattern = rf'"{re.escape(name)}"|(?<![\w$]){re.escape(name)}(?![\w$])'
    return re.search(pattern, sql) is not None
