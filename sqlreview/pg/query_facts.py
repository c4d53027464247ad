"""What a query reads: the relations (keys, CTEs left out), the sequences it
advances, and, for a view's query, the columns it reads of each relation."""

from __future__ import annotations

from dataclasses import dataclass

from pglast import ast

from sqlreview.pg.nodes import string_values, walk
from sqlreview.pg.schema import range_var_key


@dataclass(frozen=True)
class QueryFacts:
    """What one walk over a query finds: the relations it reads (keys, CTEs left
    out) and the sequences it advances with ``nextval``/``setval``."""

    relations: tuple[str, ...]
    sequences: tuple[str, ...]


def query_facts(node: ast.Node | None) -> QueryFacts:
    """One walk over ``node``: ask it once per query and keep the answer (a multi-row
    INSERT's VALUES can be megabytes of constants)."""
    found: list[ast.RangeVar] = []
    ctes: set[str] = set()
    sequences: list[str] = []
    # Constants hold no relation: a multi-row VALUES is not walked into.
    for child in walk(node, skip=(ast.A_Const,)) if node is not None else ():
        if isinstance(child, ast.RangeVar):
            found.append(child)
        elif isinstance(child, ast.CommonTableExpr) and child.ctename:
            ctes.add(child.ctename)
        elif isinstance(child, ast.FuncCall):
            sequences.extend(_advanced_sequence(child))
    relations: dict[str, None] = {}
    for range_var in found:
        if range_var.schemaname is None and range_var.relname in ctes:
            continue
        relations.setdefault(range_var_key(range_var))
    return QueryFacts(tuple(relations), tuple(sequences))


def column_uses(query: ast.Node | None) -> dict[str, frozenset[str] | None]:
    """The columns a view's query reads, by relation. ``alias.column`` belongs to
    the relation of that alias; an unqualified column is counted for every
    relation of the query (the model does not know which one has it), and a
    star for all columns."""
    aliases: dict[str, str] = {}
    for child in walk(query) if query is not None else ():
        if isinstance(child, ast.RangeVar):
            key = range_var_key(child)
            aliases[child.alias.aliasname if child.alias and child.alias.aliasname
                    else child.relname or key] = key
    uses: dict[str, set[str] | None] = {key: set() for key in query_facts(query).relations}
    for child in walk(query) if query is not None else ():
        if not isinstance(child, ast.ColumnRef):
            continue
        fields = child.fields or ()
        qualifier = fields[-2] if len(fields) >= 2 else None
        tables = ([aliases[qualifier.sval]] if isinstance(qualifier, ast.String)
                  and qualifier.sval in aliases else list(uses))
        last = fields[-1] if fields else None
        for table in tables:
            if table not in uses:
                continue
            current = uses[table]
            if isinstance(last, ast.A_Star):
                uses[table] = None
            elif current is not None and isinstance(last, ast.String):
                current.add(str(last.sval))
    return {key: frozenset(value) if value is not None else None for key, value in uses.items()}


def _advanced_sequence(node: ast.FuncCall) -> list[str]:
    """The sequence a ``nextval('name')`` or ``setval('name', ...)`` names."""
    name = string_values(node.funcname)
    argument = node.args[0] if node.args else None
    if isinstance(argument, ast.TypeCast):
        argument = argument.arg
    if name and name[-1] in ("nextval", "setval") and isinstance(argument, ast.A_Const) \
            and isinstance(argument.val, ast.String) and argument.val.sval:
        return [str(argument.val.sval)]
    return []
