"""The snapshot file ``sqlreview stats dump`` writes and ``--stats`` reads.

A snapshot is catalog data only (sizes, row estimates, the schema model), never
row data. It is versioned by ``snapshot_version``; a reader refuses a version
it does not know rather than guess. The ``schema`` part is the analyzer's own
``Schema`` model as ``CatalogReader`` read it, so a snapshot can stand in for
``--schema``. Since version 2 it also holds production's schema as DDL and its
applied migrations (``production_schema``), so that it can be restored as the
pre-state of a review; a version 1 snapshot still serves for sizes, without it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlreview import __version__
from sqlreview.pg.schema import (
    Column,
    Constraint,
    ConstraintKind,
    Relation,
    RelationKind,
    Schema,
    key_of,
)
from sqlreview.pg.types import ColumnType
from sqlreview.scratch.production import ProductionSchema
from sqlreview.stats.model import TableStats

SNAPSHOT_VERSION = 2
READABLE_VERSIONS = (1, 2)


class SnapshotError(ValueError):
    """A snapshot file that cannot be used; the message says what to do."""


@dataclass
class Snapshot:
    tables: dict[str, TableStats] = field(default_factory=dict)  # by relation key
    schema: Schema = field(default_factory=Schema)
    taken_at: str | None = None
    database: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)  # settings the dump ran with
    limits: dict[str, Any] = field(default_factory=dict)  # --tables / --schema-name
    unreadable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> expr
    source: str = ""  # the file it was read from
    production_schema: ProductionSchema | None = None  # None: version 1, or not read

    def table(self, name: str) -> TableStats | None:
        return self.tables.get(key_of(name))

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_version": SNAPSHOT_VERSION,
            "generator": f"sqlreview {__version__}",
            "taken_at": self.taken_at,
            "database": dict(self.database),
            "session": dict(self.session),
            "limits": dict(self.limits),
            "unreadable": list(self.unreadable),
            "notes": list(self.notes),
            "tables": [self.tables[key].to_json() for key in sorted(self.tables)],
            "schema": schema_to_json(self.schema, self.defaults),
            **production_schema_to_json(self.production_schema),
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "snapshot") -> Snapshot:
        if not isinstance(data, dict) or "snapshot_version" not in data:
            raise SnapshotError(f"{source} is not a sqlreview snapshot (no snapshot_version): "
                                "make one with `sqlreview stats dump`")
        if data["snapshot_version"] not in READABLE_VERSIONS:
            raise SnapshotError(
                f"{source} is a version {data['snapshot_version']!r} snapshot; this sqlreview "
                f"reads versions {', '.join(map(str, READABLE_VERSIONS))}: run "
                "`sqlreview stats dump` again")
        try:
            tables = [TableStats.from_json(item) for item in data.get("tables", [])]
            schema = schema_from_json(data.get("schema", {}))
            production_schema = production_schema_from_json(data, source)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise SnapshotError(f"{source} is damaged ({type(error).__name__}: {error}): run "
                                "`sqlreview stats dump` again") from None
        return cls(
            tables={key_of(table.name): table for table in tables},
            schema=schema,
            taken_at=data.get("taken_at"),
            database=dict(data.get("database") or {}),
            session=dict(data.get("session") or {}),
            limits=dict(data.get("limits") or {}),
            unreadable=[str(item) for item in data.get("unreadable", [])],
            notes=[str(item) for item in data.get("notes", [])],
            source=source,
            production_schema=production_schema,
        )


def looks_like_snapshot(text: str) -> bool:
    """A JSON object with ``snapshot_version``: told apart from SQL by its first character."""
    if not text.lstrip().startswith("{"):
        return False
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and "snapshot_version" in data


def load_snapshot(path: Path) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SnapshotError(f"cannot read --stats {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"--stats {path} is not UTF-8 JSON: give the file "
                            "`sqlreview stats dump` wrote") from None
    return snapshot_from_text(text, str(path))


def snapshot_from_text(text: str, source: str) -> Snapshot:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{source} is not JSON ({error.msg}, line {error.lineno}): give "
                            "the file `sqlreview stats dump` wrote") from None
    return Snapshot.from_json(data, source)


# --- production's schema as DDL ---------------------------------------------------------


def production_schema_to_json(schema: ProductionSchema | None) -> dict[str, Any]:
    """The snapshot's fields for ``schema``: all null when it was not read."""
    if schema is None:
        return {"schema_ddl": None, "applied_migrations": None, "has_migrations_table": None,
                "schema_ddl_server_version": None, "schema_search_path": None}
    return {"schema_ddl": schema.ddl,
            "applied_migrations": [[app, name] for app, name in schema.applied],
            "has_migrations_table": schema.has_migrations_table,
            "schema_ddl_server_version": schema.server_version,
            "schema_search_path": schema.search_path}


def production_schema_from_json(data: dict[str, Any], source: str) -> ProductionSchema | None:
    ddl = data.get("schema_ddl")
    if ddl is None:
        return None
    if not isinstance(ddl, str):
        raise TypeError("schema_ddl is not a string")
    return ProductionSchema(
        ddl=ddl,
        applied=tuple((str(app), str(name)) for app, name in data["applied_migrations"]),
        server_version=int(data["schema_ddl_server_version"]),
        source=source,
        has_migrations_table=bool(data["has_migrations_table"]),
        search_path=str(data.get("schema_search_path") or ""),
    )


# --- the schema model as JSON -------------------------------------------------------


def schema_to_json(schema: Schema, defaults: dict[str, dict[str, str]] | None = None
                   ) -> dict[str, Any]:
    defaults = defaults or {}
    return {"relations": [_relation_to_json(schema.relations[key], defaults.get(key, {}))
                          for key in sorted(schema.relations)]}


def _relation_to_json(relation: Relation, defaults: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"name": relation.name, "kind": relation.kind.value}
    if relation.columns:
        data["columns"] = [_column_to_json(column, defaults.get(column.name))
                           for column in relation.columns.values()]
    if relation.constraints:
        data["constraints"] = [_constraint_to_json(c) for c in relation.constraints.values()]
    optional = {"table": relation.table, "parent": relation.parent, "owner": relation.owner,
                "owned_sequences": list(relation.owned_sequences),
                "sources": list(relation.sources),
                "index_columns": list(relation.index_columns),
                "partition_key": list(relation.partition_key)}
    data.update({key: value for key, value in optional.items() if value})
    return data


def _column_to_json(column: Column, default: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"name": column.name, "not_null": column.not_null}
    if column.type is not None:
        data["type"] = str(column.type)
        data["type_model"] = {"name": column.type.name, "modifiers": list(column.type.modifiers),
                              "array": column.type.array}
    if default is not None:
        data["default"] = default
    optional = {"sequence": column.sequence, "identity": column.identity,
                "generated": column.generated}
    data.update({key: value for key, value in optional.items() if value})
    return data


def _constraint_to_json(constraint: Constraint) -> dict[str, Any]:
    data: dict[str, Any] = {"name": constraint.name, "kind": constraint.kind.value,
                            "valid": constraint.valid, "columns": list(constraint.columns)}
    if constraint.kind is ConstraintKind.FOREIGN_KEY:
        data.update(referenced=constraint.referenced,
                    referenced_columns=list(constraint.referenced_columns),
                    on_delete=constraint.on_delete)
    if constraint.not_null_column:
        data["not_null_column"] = constraint.not_null_column
    if constraint.deferred:
        data["deferred"] = True
    return data


def schema_from_json(data: dict[str, Any]) -> Schema:
    schema = Schema()
    for item in data.get("relations", []):
        relation = Relation(
            name=str(item["name"]), kind=RelationKind(item["kind"]),
            table=item.get("table"), parent=item.get("parent"), owner=item.get("owner"),
            owned_sequences=[str(name) for name in item.get("owned_sequences", [])],
            sources=[str(name) for name in item.get("sources", [])],
            index_columns=tuple(item.get("index_columns", [])),
            partition_key=tuple(item.get("partition_key", [])),
        )
        for column in item.get("columns", []):
            relation.columns[column["name"]] = _column_from_json(column)
        for constraint in item.get("constraints", []):
            relation.constraints[constraint["name"]] = _constraint_from_json(constraint)
        schema.add(relation)
    schema.changed()
    return schema


def _column_from_json(data: dict[str, Any]) -> Column:
    model = data.get("type_model")
    column_type = (ColumnType(name=str(model["name"]),
                              modifiers=tuple(int(v) for v in model.get("modifiers", [])),
                              array=bool(model.get("array", False)))
                   if model else None)
    return Column(name=str(data["name"]), type=column_type,
                  not_null=bool(data.get("not_null", False)), sequence=data.get("sequence"),
                  identity=bool(data.get("identity", False)), generated=data.get("generated"))


def _constraint_from_json(data: dict[str, Any]) -> Constraint:
    return Constraint(
        name=str(data["name"]), kind=ConstraintKind(data["kind"]),
        valid=bool(data.get("valid", True)), referenced=data.get("referenced"),
        not_null_column=data.get("not_null_column"),
        columns=tuple(data.get("columns", [])),
        referenced_columns=tuple(data.get("referenced_columns", [])),
        deferred=bool(data.get("deferred", False)), on_delete=str(data.get("on_delete", "a")),
    )
