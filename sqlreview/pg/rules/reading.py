"""Readers of the parse tree and the tokens, for the checks that judge how a statement is
spelled (types, names, guards). They return plain data.

The family modules import this module inside their checks, not at the top: the
reporters import the rule catalogue and must not need pglast (tests/test_report.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError, scan

from sqlreview.pg.nodes import string_values, walk
from sqlreview.pg.schema import ConstraintKind, Schema, key_of, range_var_display
from sqlreview.pg.types import ColumnType, is_serial

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL truncates longer names


@dataclass(frozen=True)
class TypedColumn:
    """A column whose type the statement declares: a new table's or a new column
    (``new``), or an ALTER COLUMN ... TYPE (``new`` False)."""

    table: str
    column: str
    type: ColumnType | None
    new: bool
    primary_key: bool = False
    serial: str = ""  # serial, bigserial, ... as written
    identity: bool = False
    fixed_char: bool = False  # char(n) / character(n), not the internal "char"
    # Inline REFERENCES: (referenced table, referenced columns).
    references: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class ForeignKey:
    table: str
    columns: tuple[str, ...]
    referenced: str
    referenced_columns: tuple[str, ...]


def _has(column: ast.ColumnDef, kind: ConstrType) -> bool:
    return any(isinstance(c, ast.Constraint) and c.contype == kind
               for c in column.constraints or ())


def _typed(table: str, column: ast.ColumnDef, new: bool, primary_key: bool) -> TypedColumn:
    type_name = column.typeName
    names = string_values(type_name.names) if type_name is not None else []
    references = tuple(
        (range_var_display(c.pktable), tuple(string_values(c.pk_attrs)))
        for c in column.constraints or ()
        if isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_FOREIGN)
    return TypedColumn(
        table=table, column=str(column.colname), new=new, primary_key=primary_key,
        type=ColumnType.from_node(type_name) if type_name is not None else None,
        serial=names[0].lower() if type_name is not None and is_serial(type_name) else "",
        identity=_has(column, ConstrType.CONSTR_IDENTITY),
        fixed_char=names == ["pg_catalog", "bpchar"],
        references=references if new else ())


def typed_columns(node: ast.Node | None) -> list[TypedColumn]:
    found: list[TypedColumn] = []
    if isinstance(node, ast.CreateStmt):
        table = range_var_display(node.relation)
        keys = _table_primary_key(node)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                primary = _has(element, ConstrType.CONSTR_PRIMARY) or keys == [element.colname]
                found.append(_typed(table, element, True, primary))
    elif isinstance(node, ast.AlterTableStmt):
        table = range_var_display(node.relation)
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd) or not isinstance(cmd.def_, ast.ColumnDef):
                continue
            if cmd.subtype == AlterTableType.AT_AddColumn:
                found.append(_typed(table, cmd.def_, True,
                                    _has(cmd.def_, ConstrType.CONSTR_PRIMARY)))
            elif cmd.subtype == AlterTableType.AT_AlterColumnType:
                named = ast.ColumnDef(colname=cmd.name, typeName=cmd.def_.typeName)
                found.append(_typed(table, named, False, False))
    return found


def _table_primary_key(node: ast.CreateStmt) -> list[str]:
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_PRIMARY:
            return string_values(element.keys)
    return []


def foreign_keys(node: ast.Node | None) -> list[ForeignKey]:
    keys = [ForeignKey(column.table, (column.column,), table, columns)
            for column in typed_columns(node) for table, columns in column.references]
    constraints: list[tuple[str, ast.Constraint]] = []
    if isinstance(node, ast.CreateStmt):
        table = range_var_display(node.relation)
        constraints = [(table, e) for e in node.tableElts or () if isinstance(e, ast.Constraint)]
    elif isinstance(node, ast.AlterTableStmt):
        table = range_var_display(node.relation)
        constraints = [(table, cmd.def_) for cmd in node.cmds or ()
                       if isinstance(cmd, ast.AlterTableCmd)
                       and cmd.subtype == AlterTableType.AT_AddConstraint
                       and isinstance(cmd.def_, ast.Constraint)]
    keys += [ForeignKey(table, tuple(string_values(c.fk_attrs)), range_var_display(c.pktable),
                        tuple(string_values(c.pk_attrs)))
             for table, c in constraints if c.contype == ConstrType.CONSTR_FOREIGN]
    return keys


def column_type(node: ast.Node | None, schema: Schema | None, table: str,
                column: str) -> ColumnType | None:
    """The column's type: as the statement declares it, else as the schema knows it."""
    for typed in typed_columns(node):
        if typed.new and typed.table == table and typed.column == column:
            return typed.type
    found = schema.column(key_of(table), column) if schema is not None else None
    return found.type if found is not None else None


def primary_key(schema: Schema | None, table: str) -> tuple[str, ...]:
    relation = schema.get(key_of(table)) if schema is not None else None
    for constraint in relation.constraints.values() if relation else ():
        if constraint.kind is ConstraintKind.PRIMARY_KEY:
            return constraint.columns
    return ()


def long_identifiers(sql: str) -> Iterator[str]:
    """Identifiers longer than PostgreSQL keeps. The parser has already cut them in the
    parse tree (as the server's lexer does), so they are read from the tokens."""
    try:
        tokens = scan(sql)
    except ParseError:
        return
    data = sql.encode()
    for token in tokens:
        if token.name != "IDENT":
            continue
        text = data[token.start:token.end + 1].decode(errors="replace")
        if text.startswith('"') and text.endswith('"'):
            text = text[1:-1].replace('""', '"')
        if len(text.encode()) > MAX_IDENTIFIER_BYTES:
            yield text


def renamed_enum_value(node: ast.Node | None) -> tuple[str, str, str] | None:
    """ALTER TYPE ... RENAME VALUE: (type, old value, new value)."""
    if isinstance(node, ast.AlterEnumStmt) and node.oldVal is not None:
        return ".".join(string_values(node.typeName)), str(node.oldVal), str(node.newVal)
    return None


def dropped_database(node: ast.Node | None) -> str | None:
    return str(node.dbname) if isinstance(node, ast.DropdbStmt) else None


_GUARDED_ALTER = {
    AlterTableType.AT_AddColumn: ("ADD COLUMN", "IF NOT EXISTS"),
    AlterTableType.AT_DropColumn: ("DROP COLUMN", "IF EXISTS"),
    AlterTableType.AT_DropConstraint: ("DROP CONSTRAINT", "IF EXISTS"),
}


def unguarded(node: ast.Node | None) -> list[str]:
    """What the statement creates or drops without the guard that would let it run twice."""
    if isinstance(node, ast.CreateStmt) and not node.if_not_exists:
        return [f"CREATE TABLE {range_var_display(node.relation)} has no IF NOT EXISTS"]
    if isinstance(node, ast.IndexStmt) and not node.if_not_exists and node.idxname:
        verb = "CREATE INDEX CONCURRENTLY" if node.concurrent else "CREATE INDEX"
        return [f"{verb} {node.idxname} has no IF NOT EXISTS"]
    if isinstance(node, ast.CreateSeqStmt) and not node.if_not_exists:
        return [f"CREATE SEQUENCE {range_var_display(node.sequence)} has no IF NOT EXISTS"]
    if isinstance(node, ast.ViewStmt) and not node.replace:
        return [f"CREATE VIEW {range_var_display(node.view)} has no OR REPLACE"]
    if isinstance(node, ast.DropStmt) and not node.missing_ok:
        kind = node.removeType.name if isinstance(node.removeType, ObjectType) else "OBJECT_?"
        return [f"DROP {kind.removeprefix('OBJECT_').replace('_', ' ')} has no IF EXISTS"]
    found = []
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd) or cmd.subtype is None:
                continue
            guarded = _GUARDED_ALTER.get(cmd.subtype)
            if guarded is not None and not cmd.missing_ok:
                name = cmd.name or (cmd.def_.colname if isinstance(cmd.def_, ast.ColumnDef)
                                    else "")
                found.append(f"{guarded[0]} {name} has no {guarded[1]}".replace("  ", " "))
    return found


# Syntax inside a statement that older servers reject, by the node that carries it.
def nested_syntax(node: ast.Node) -> set[str]:
    found: set[str] = set()
    for child in walk(node):
        if isinstance(child, (ast.IndexStmt, ast.Constraint)) and child.nulls_not_distinct:
            found.add("nulls not distinct")
        elif isinstance(child, (ast.JsonObjectConstructor, ast.JsonArrayConstructor)):
            found.add("json constructor")
    return found
