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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlreview.pg.rules.input import SR007
from sqlreview.pg.schema import Column, Constraint, Relation, RelationKind, Schema, key_of
from sqlreview.results import Finding, Level, Section, StatementResult

_TABLE_KINDS = frozenset({RelationKind.TABLE, RelationKind.PARTITIONED_TABLE})


@dataclass(frozen=True)
class Drift:
    """One object that production and the migration files disagree on."""

    table: str  # the relation key of the table it belongs to
    kind: str  # "table", "column", "index" or "constraint"
    name: str
    production: str | None  # how production has it; None: production lacks it
    files: str | None  # how the migration files build it; None: they do not

    def to_json(self) -> dict[str, str | None]:
        return {"table": self.table, "kind": self.kind, "name": self.name,
                "production": self.production, "files": self.files}

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
        found.extend(_indexes(key, _indexes_of(production, actual, key),
                              _indexes_of(files, built, key)))
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


def _indexes_of(schema: Schema, table: Relation, key: str) -> dict[str, str]:
    """Index name -> what it covers, for the indexes on ``table`` that back no constraint
    (those are compared as constraints)."""
    return {relation.name: f"({', '.join(relation.index_columns)})"
            for relation in schema.relations.values()
            if relation.kind is RelationKind.INDEX and relation.table == key
            and relation.name not in table.constraints}


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


def attach(section: Section, drifts: Sequence[Drift]) -> None:
    """SR007 in a reviewed migration the drift matters to: at high on each statement
    that names a drifted object (it fails, or does something else, in production), and
    once per table, at medium, on the first statement that locks a drifted table, for
    the differences no statement of the migration names."""
    named: set[Drift] = set()
    for statement in section.statements:
        if statement.kind == "ERROR":
            continue  # the failure's own row: its message may name the object too
        for drift in drifts:
            if _names(statement.sql, drift.name):
                named.add(drift)
                _add(statement, SR007.severity, f"{drift.describe()}: this statement "
                                                "names it")
    reported: set[str] = set()
    for statement in section.statements:
        for table in _tables_of(statement):
            others = [d for d in drifts if d.table == table and d not in named]
            if others and table not in reported:
                reported.add(table)
                _add(statement, Level.MEDIUM, _summary(table, others))


def _summary(table: str, drifts: list[Drift]) -> str:
    shown = "; ".join(drift.describe() for drift in drifts[:_SHOWN])
    more = f"; and {len(drifts) - _SHOWN} more" if len(drifts) > _SHOWN else ""
    return f"production's {table} differs from what the migration files build: {shown}{more}"


_SHOWN = 4


def _tables_of(statement: StatementResult) -> list[str]:
    return list(dict.fromkeys(key_of(lock.relation) for lock in statement.locks))


def _add(statement: StatementResult, severity: Level, message: str) -> None:
    statement.findings.append(Finding(code=SR007.code, severity=severity, message=message))


def _names(sql: str, name: str) -> bool:
    """Whether ``sql`` mentions the identifier ``name`` (bare or quoted)."""
    pattern = rf'"{re.escape(name)}"|(?<![\w$]){re.escape(name)}(?![\w$])'
    return re.search(pattern, sql) is not None
