"""The renames and drops in RunSQL text, read with pglast.

Only what changes what running code sees: ``ALTER TABLE ... RENAME [COLUMN]``,
``ALTER TABLE ... DROP COLUMN`` and ``DROP TABLE``. Everything else a RunSQL
does is the SQL analyzer's business (locks, rewrites).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pglast import ast, enums

from sqlreview.deploy.facts import (
    Change,
    ColumnDropped,
    ColumnRenamed,
    Table,
    TableDropped,
    TableRenamed,
)
from sqlreview.pg.parse import parse_statements

TableLookup = Callable[[str], Table | None]


def statements_of(body: Any) -> list[str]:
    """RunSQL's ``sql``: a string, or a list of strings and ``(sql, params)`` pairs."""
    if isinstance(body, str):
        return [body]
    texts: list[str] = []
    for item in body or ():
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, Sequence) and item and isinstance(item[0], str):
            texts.append(item[0])
    return texts


def changes_of_sql(texts: Iterable[str], lookup: TableLookup) -> list[Change]:
    changes: list[Change] = []
    for text in texts:
        for statement in parse_statements(text):
            if statement.node is not None:
                changes.extend(_changes_of(statement.node, lookup))
    return changes


def _changes_of(node: ast.Node, lookup: TableLookup) -> list[Change]:
    if isinstance(node, ast.RenameStmt) and node.relation is not None:
        return _renames(node, str(node.relation.relname))
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = str(node.relation.relname)
        known = lookup(table)
        return [
            ColumnDropped(table, str(command.name),
                          known.column(str(command.name)) if known else None)
            for command in node.cmds or ()
            if isinstance(command, ast.AlterTableCmd)
            and command.subtype == enums.AlterTableType.AT_DropColumn
        ]
    if isinstance(node, ast.DropStmt) and node.removeType == enums.ObjectType.OBJECT_TABLE:
        names = [_last_name(parts) for parts in node.objects or ()]
        return [TableDropped(name, lookup(name)) for name in names if name]
    return []


def _renames(node: ast.RenameStmt, table: str) -> list[Change]:
    if node.renameType == enums.ObjectType.OBJECT_TABLE:
        return [TableRenamed(table, str(node.newname))]
    if node.renameType == enums.ObjectType.OBJECT_COLUMN and node.subname:
        return [ColumnRenamed(table, str(node.subname), str(node.newname))]
    return []


def _last_name(parts: Any) -> str | None:
    """The unqualified name in a DROP's ``schema.table`` list of strings."""
    values = [part.sval for part in parts if isinstance(part, ast.String)]
    return values[-1] if values else None
