"""The sizes of a table, as read from PostgreSQL's catalog: no row data, ever."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexStats:
    name: str
    bytes: int
    definition: str  # pg_get_indexdef()
    unique: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "bytes": self.bytes, "definition": self.definition,
                "unique": self.unique}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexStats:
        return cls(name=str(data["name"]), bytes=int(data["bytes"]),
                   definition=str(data.get("definition", "")),
                   unique=bool(data.get("unique", False)))


@dataclass(frozen=True)
class TableStats:
    """One table's size. ``rows`` is ``reltuples`` (an estimate; -1 never analyzed)."""

    name: str  # as the analyzer names relations: "table" or "schema.table" outside public
    rows: float
    heap_bytes: int
    toast_bytes: int = 0
    live_tuples: int | None = None
    dead_tuples: int | None = None
    indexes: tuple[IndexStats, ...] = field(default_factory=tuple)

    @property
    def index_bytes(self) -> int:
        return sum(index.bytes for index in self.indexes)

    @property
    def total_bytes(self) -> int:
        return self.heap_bytes + self.toast_bytes + self.index_bytes

    @property
    def row_count(self) -> float:
        """Best known number of rows: reltuples, else live tuples, else 0."""
        if self.rows >= 0:
            return self.rows
        return float(self.live_tuples or 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "live_tuples": self.live_tuples,
            "dead_tuples": self.dead_tuples,
            "heap_bytes": self.heap_bytes,
            "toast_bytes": self.toast_bytes,
            "index_bytes": self.index_bytes,
            "indexes": [index.to_json() for index in self.indexes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableStats:
        return cls(
            name=str(data["name"]),
            rows=float(data["rows"]),
            heap_bytes=int(data["heap_bytes"]),
            toast_bytes=int(data.get("toast_bytes", 0)),
            live_tuples=_optional_int(data.get("live_tuples")),
            dead_tuples=_optional_int(data.get("dead_tuples")),
            indexes=tuple(IndexStats.from_json(item) for item in data.get("indexes", [])),
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
