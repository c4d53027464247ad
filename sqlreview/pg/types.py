"""Column types, and whether changing one into another rewrites the table.

Postgres skips the rewrite of ``ALTER COLUMN ... TYPE`` when the new type is
binary coercible from the old one and any length/precision check cannot fail
("ALTER TABLE" in the manual, Notes). Which changes qualify is data, below.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pglast
from pglast import ast
from pglast.parser import ParseError

from sqlreview.pg.nodes import string_values

# Spellings Postgres accepts for the same type, mapped to its internal name.
TYPE_ALIASES: dict[str, str] = {
    "int": "int4",
    "integer": "int4",
    "serial": "int4",
    "serial4": "int4",
    "bigint": "int8",
    "bigserial": "int8",
    "serial8": "int8",
    "smallint": "int2",
    "smallserial": "int2",
    "serial2": "int2",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "decimal": "numeric",
    "real": "float4",
    "double precision": "float8",
    "boolean": "bool",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "bit varying": "varbit",
}

# Internal names back to the spelling people write.
SQL_NAMES: dict[str, str] = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
}

SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})

# Pairs (old, new) whose conversion leaves the stored bytes as they are.
BINARY_COERCIBLE: frozenset[tuple[str, str]] = frozenset(
    {
        ("varchar", "text"),
        ("text", "varchar"),
        ("cidr", "inet"),
        ("xml", "text"),
    }
)

# Types whose modifier is a maximum (length, precision): widening it, or
# dropping it, never needs a rewrite.
WIDENABLE_MODIFIERS = frozenset(
    {"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"}
)

# Changing between these depends on the session's TimeZone (PG 12+): the
# stored value is the same only when the session runs in UTC.
TIME_ZONE_DEPENDENT: frozenset[tuple[str, str]] = frozenset(
    {("timestamp", "timestamptz"), ("timestamptz", "timestamp")}
)
TIME_ZONE_SKIP_SINCE = 12


@dataclass(frozen=True)
class ColumnType:
    name: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        text = SQL_NAMES.get(self.name, self.name)
        if self.modifiers:
            text += "(" + ",".join(str(value) for value in self.modifiers) + ")"
        return text + ("[]" if self.array else "")

    @classmethod
    def from_node(cls, node: ast.TypeName) -> ColumnType:
        names = string_values(node.names or ())
        if len(names) > 1 and names[0] == "pg_catalog":
            names = names[1:]
        raw = ".".join(names).lower()
        modifiers = tuple(_modifier_values(node))
        return cls(
            name=TYPE_ALIASES.get(raw, raw),
            modifiers=modifiers,
            array=bool(node.arrayBounds),
        )

    @classmethod
    def from_sql(cls, text: str) -> ColumnType | None:
        """Parse a type as ``format_type()`` prints it: ``character varying(100)``."""
        return _type_from_sql(text)

    @classmethod
    def _parse(cls, text: str) -> ColumnType | None:
        try:
            statement = pglast.parse_sql(f"CREATE TABLE t (c {text})")[0].stmt
        except ParseError:
            return None
        elements = statement.tableElts if isinstance(statement, ast.CreateStmt) else None
        column = elements[0] if elements else None
        if not isinstance(column, ast.ColumnDef) or column.typeName is None:
            return None
        return cls.from_node(column.typeName)


@functools.lru_cache(maxsize=4096)
def _type_from_sql(text: str) -> ColumnType | None:
    # A catalog has thousands of columns but a few dozen distinct types.
    return ColumnType._parse(text)


def is_serial(node: ast.TypeName) -> bool:
    """``serial`` and friends: an integer column with a sequence as its default."""
    names = string_values(node.names or ())
    return len(names) == 1 and names[0].lower() in SERIAL_TYPES


def _modifier_values(node: ast.TypeName) -> list[int]:
    values = []
    for modifier in node.typmods or ():
        if isinstance(modifier, ast.A_Const) and isinstance(modifier.val, ast.Integer):
            values.append(int(modifier.val.ival or 0))
    return values


@dataclass(frozen=True)
class TypeChange:
    rewrites: bool
    reason: str


def judge_type_change(
    old: ColumnType | None,
    new: ColumnType,
    *,
    pg_version: int,
    time_zone_is_utc: bool,
) -> TypeChange:
    """Whether ``ALTER COLUMN ... TYPE new`` rewrites a column of type ``old``."""
    if old is None:
        return TypeChange(True, "the column's current type is unknown: it is not in the schema "
                                "sqlreview knows (sqlreview sql: see --schema)")
    if old.array != new.array:
        return TypeChange(True, f"{old} to {new} changes the stored values")
    if old == new:
        return TypeChange(False, f"{new} is the type it already has")
    if (old.name, new.name) in TIME_ZONE_DEPENDENT:
        return _judge_time_zone_change(old, new, pg_version, time_zone_is_utc)
    if old.name == new.name:
        return _judge_modifier_change(old, new)
    if (old.name, new.name) in BINARY_COERCIBLE and _modifier_cannot_fail(old, new):
        return TypeChange(False, f"{old} to {new} is binary coercible")
    return TypeChange(True, f"{old} to {new} converts every stored value")


def _judge_modifier_change(old: ColumnType, new: ColumnType) -> TypeChange:
    if new.modifiers == ():
        return TypeChange(False, f"{old} to {new} only drops a limit")
    if old.name in WIDENABLE_MODIFIERS and old.modifiers and new.modifiers >= old.modifiers:
        return TypeChange(False, f"{old} to {new} only raises a limit")
    if old.name == "numeric" and _numeric_widens(old.modifiers, new.modifiers):
        return TypeChange(False, f"{old} to {new} keeps the scale and raises the precision")
    return TypeChange(True, f"{old} to {new} must check or convert every stored value")


def _numeric_widens(old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    if not old:
        return False
    old_scale = old[1] if len(old) > 1 else 0
    new_scale = new[1] if len(new) > 1 else 0
    return new_scale == old_scale and new[0] >= old[0]


def _modifier_cannot_fail(old: ColumnType, new: ColumnType) -> bool:
    """A relabelled value still has to fit the new length limit, if any."""
    if not new.modifiers:
        return True
    return bool(old.modifiers) and new.modifiers >= old.modifiers


def _judge_time_zone_change(
    old: ColumnType, new: ColumnType, pg_version: int, time_zone_is_utc: bool
) -> TypeChange:
    if pg_version < TIME_ZONE_SKIP_SINCE:
        return TypeChange(True, f"{old} to {new} rewrites before PostgreSQL 12")
    if time_zone_is_utc:
        return TypeChange(False, f"{old} to {new} keeps the values when TimeZone is UTC")
    return TypeChange(
        True,
        f"{old} to {new} rewrites unless the session's TimeZone is UTC "
        "(add SET TimeZone = 'UTC' before it if that is how you deploy)",
    )
