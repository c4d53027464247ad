"""Data statements (SELECT, INSERT, UPDATE, DELETE, MERGE) and session statements."""


from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from sqlreview.pg.classify.base import (
    Action,
    Classified,
    Classifier,
    Context,
    display,
    expand_reads,
    partitions,
    read_relations,
    single,
)
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.nodes import string_values
from sqlreview.pg.query_facts import query_facts
from sqlreview.pg.schema import ConstraintKind, key_of, range_var_display, range_var_key


def _storage_relations(context: Context, names: Iterable[str]) -> list[str]:
    return [n for n in names if context.schema.has_storage(key_of(n))]


def _pins_indexed_column(where: ast.Node | None, context: Context, table: str) -> bool:
    """WHERE compares an indexed column with a value: an index scan, not a full scan."""
    if where is None:
        return False
    indexed = context.schema.indexed_leading_columns(key_of(table))
    return any(_pins(term, indexed) for term in _conjuncts(where))


def _conjuncts(where: ast.Node) -> list[ast.Node]:
    """The terms ANDed together, however deeply the ANDs nest (no recursion)."""
    terms: list[ast.Node] = []
    pending = [where]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.BoolExpr) and node.boolop == 0:  # AND
            pending.extend(reversed(node.args or ()))
        else:
            terms.append(node)
    return terms


def _pins(term: ast.Node, indexed: set[str]) -> bool:
    if isinstance(term, ast.A_Expr) and term.kind in (0, 7):  # "=", IN
        operator = string_values(term.name or ())
        if term.kind == 0 and operator != ["="]:
            return False
        for side, other in ((term.lexpr, term.rexpr), (term.rexpr, term.lexpr)):
            if isinstance(side, ast.ColumnRef) and _is_value(other):
                fields = side.fields or ()
                if fields and isinstance(fields[-1], ast.String) and fields[-1].sval in indexed:
                    return True
    return False


def _is_value(node: ast.Node | tuple[ast.Node, ...] | None) -> bool:
    """A constant, a parameter or a list of them (IN): not another column."""
    while isinstance(node, ast.TypeCast):  # 1::int::bigint...: a loop, however long
        node = node.arg
    if isinstance(node, tuple):
        return all(_is_value(item) for item in node)
    return isinstance(node, (ast.A_Const, ast.ParamRef))


def dml(kind: StatementKind) -> Classifier:
    def classify_dml(node: ast.Node, context: Context) -> Classified:
        relation = getattr(node, "relation", None)
        target = range_var_display(relation) if isinstance(relation, ast.RangeVar) else "?"
        action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]})
        where = getattr(node, "whereClause", None)
        if kind in (StatementKind.UPDATE, StatementKind.DELETE) and where is None:
            action.variant = "all rows"
        facts = query_facts(node)
        sources = expand_reads(context, read_relations(facts, exclude=(target,)))
        action.add(Role.SOURCE, *sources)
        action.add(Role.SCANNED, *_storage_relations(context, sources))
        if kind in (StatementKind.UPDATE, StatementKind.DELETE, StatementKind.MERGE):
            action.add(Role.TARGET, *partitions(context, target))
            if kind is StatementKind.MERGE or not _pins_indexed_column(where, context, target):
                action.add(Role.SCANNED, *_storage_relations(
                    context, action.related(Role.TARGET)))
        action.add(Role.OWNED, *facts.sequences)
        action.changes_no_row = _changes_no_row(node, context, target)
        if action.changes_no_row:
            action.notes.append("it changes no row (its rows come from a table created "
                                "empty in this input): no foreign key is checked")
        else:
            _foreign_key_checks(action, node, context, kind, target)
        return single(kind.value, action)

    return classify_dml


def _changes_no_row(node: ast.Node, context: Context, target: str) -> bool:
    """The statement's rows come from a table the input created and left empty:
    an UPDATE or DELETE of such a table, or an INSERT ... SELECT reading only
    such tables. No row changes, so no trigger fires: no foreign key check, no
    ON DELETE action, no default taken from a sequence."""
    if isinstance(node, (ast.UpdateStmt, ast.DeleteStmt)):
        return context.schema.is_known_empty(key_of(target))
    if isinstance(node, ast.InsertStmt) and isinstance(node.selectStmt, ast.SelectStmt):
        return _selects_from_empty_tables_only(node.selectStmt, context)
    return False


def _selects_from_empty_tables_only(select: ast.SelectStmt, context: Context) -> bool:
    """A plain SELECT whose every FROM item is a table known empty. Anything that
    can yield a row from no input (VALUES, UNION, a FROM-less SELECT, an
    aggregate, GROUP BY or HAVING) is not trusted."""
    if (select.op != 0 or select.valuesLists or not select.fromClause
            or select.groupClause or select.havingClause
            or _calls_a_function(select.targetList)):
        return False
    return all(isinstance(item, ast.RangeVar)
               and context.schema.is_known_empty(range_var_key(item))
               for item in select.fromClause)


def _calls_a_function(targets: tuple[ast.Node, ...] | None) -> bool:
    """Any function call might be an aggregate, which returns a row from none."""
    pending: list[object] = list(targets or ())
    while pending:
        item = pending.pop()
        if isinstance(item, ast.FuncCall):
            return True
        if isinstance(item, ast.Node):
            pending.extend(getattr(item, name) for name in item)
        elif isinstance(item, tuple):
            pending.extend(item)
    return False


def _foreign_key_checks(action: Action, node: ast.Node, context: Context, kind: StatementKind,
                        target: str) -> None:
    """Row locks foreign key checks take at once (deferred ones wait for COMMIT)."""
    key = key_of(target)
    written = _written_columns(node)
    if kind == StatementKind.INSERT:
        for sequence_column in _defaulted_sequence_columns(context, key, written):
            action.add(Role.OWNED, sequence_column)
    if kind in (StatementKind.INSERT, StatementKind.UPDATE):
        rows = _assigned_rows(node)
        for constraint in context.schema.foreign_keys_of(key):
            touched = written is None or any(c in written for c in constraint.columns)
            if (constraint.referenced and not constraint.deferred and touched
                    and not _check_skipped(rows, constraint.columns)):
                action.add(Role.REFERENCED, display(constraint.referenced))
    if kind == StatementKind.DELETE:
        _on_delete(action, context, key)
    if kind == StatementKind.UPDATE and written is not None:
        _on_key_update(action, context, key, written)


def _on_delete(action: Action, context: Context, table: str) -> None:
    """What deleting rows of ``table`` does to the tables whose foreign keys point
    at it: CASCADE deletes their rows in turn (and so on down the chain), SET
    NULL/DEFAULT updates them, and a check that is not deferred looks for
    referencing rows (FOR KEY SHARE)."""
    pending, deleted = [table], {table}
    while pending:
        current = pending.pop(0)
        for other, constraint in context.schema.referencing(current):
            if other == current:
                continue
            if constraint.on_delete in ("c", "n", "d"):
                action.add(Role.CASCADED, display(other))
                if constraint.on_delete == "c" and other not in deleted:
                    deleted.add(other)
                    pending.append(other)
            elif not constraint.deferred:
                action.add(Role.REFERENCING, display(other))


def _on_key_update(action: Action, context: Context, table: str, written: set[str]) -> None:
    """An UPDATE that sets a column other tables' foreign keys reference."""
    relation = context.schema.get(table)
    primary_key = next((c.columns for c in relation.constraints.values()
                        if c.kind is ConstraintKind.PRIMARY_KEY), ()) if relation else ()
    for other, constraint in context.schema.referencing(table):
        referenced = set(constraint.referenced_columns or primary_key)
        if other == table or not written & referenced:
            continue
        if constraint.on_update in ("c", "n", "d"):
            action.add(Role.CASCADED, display(other))
        elif not constraint.deferred:
            action.add(Role.REFERENCING, display(other))


def _assigned_rows(node: ast.Node) -> list[dict[str, ast.Node]] | None:
    """The value each row assigns to each column it names: an INSERT's VALUES
    rows, or an UPDATE's one SET list. None when the values come from a query."""
    if isinstance(node, ast.UpdateStmt):
        return [{t.name: t.val for t in node.targetList or ()
                 if isinstance(t, ast.ResTarget) and t.name and t.val is not None
                 and not t.indirection}]
    if not isinstance(node, ast.InsertStmt) or not isinstance(node.selectStmt, ast.SelectStmt):
        return None
    names = [t.name for t in node.cols or () if isinstance(t, ast.ResTarget) and t.name]
    values = node.selectStmt.valuesLists
    if not names or not values:
        return None
    return [dict(zip(names, row, strict=False)) for row in values if isinstance(row, tuple)]


def _check_skipped(rows: list[dict[str, ast.Node]] | None, columns: tuple[str, ...]) -> bool:
    """PostgreSQL checks no row of this foreign key: each row sets one of its
    columns to NULL (MATCH SIMPLE), or (UPDATE) leaves every one as it was."""
    if not rows or not columns:
        return False
    return all(_row_skips(row, columns) for row in rows)


def _row_skips(row: dict[str, ast.Node], columns: tuple[str, ...]) -> bool:
    if any(_is_null(row.get(column)) for column in columns):
        return True
    return all(_is_column(row.get(column), column) for column in columns)


def _is_null(value: ast.Node | None) -> bool:
    while isinstance(value, ast.TypeCast):
        value = value.arg
    return isinstance(value, ast.A_Const) and bool(value.isnull)


def _is_column(value: ast.Node | None, column: str) -> bool:
    """``SET col = col``: the key keeps its value."""
    if not isinstance(value, ast.ColumnRef):
        return False
    fields = value.fields or ()
    return len(fields) == 1 and isinstance(fields[0], ast.String) and fields[0].sval == column


def _written_columns(node: ast.Node) -> set[str] | None:
    """Columns an INSERT lists or an UPDATE sets; None: all of them."""
    if isinstance(node, ast.InsertStmt):
        names = {t.name for t in node.cols or () if isinstance(t, ast.ResTarget) and t.name}
        return names or None
    if isinstance(node, ast.UpdateStmt):
        return {t.name for t in node.targetList or () if isinstance(t, ast.ResTarget) and t.name}
    return None


def _defaulted_sequence_columns(context: Context, table: str,
                                written: set[str] | None) -> list[str]:
    relation = context.schema.get(table)
    if relation is None:
        return []
    return [column.sequence for column in relation.columns.values()
            if column.sequence and (written is None or column.name not in written)]


def select(node: ast.SelectStmt, context: Context) -> Classified:
    if node.intoClause is not None and node.intoClause.rel is not None:
        return _select_into(node, context)
    facts = query_facts(node)
    names = expand_reads(context, read_relations(facts))
    locked: set[str] = set()
    for clause in node.lockingClause or ():
        if isinstance(clause, ast.LockingClause):
            locked.update(range_var_display(r) for r in clause.lockedRels or ()
                          if isinstance(r, ast.RangeVar))
    action = Action(StatementKind.SELECT, description="SELECT")
    if node.lockingClause:
        action.variant = "FOR UPDATE/SHARE"
        action.description = "SELECT ... FOR UPDATE/SHARE"
        for name in names:
            action.add(Role.TARGET if not locked or name in locked else Role.SOURCE, name)
    else:
        action.add(Role.SOURCE, *names)
    sources = node.fromClause or ()
    one_table = len(sources) == 1 and isinstance(sources[0], ast.RangeVar)
    for name in _storage_relations(context, names):
        if not (one_table and _pins_indexed_column(node.whereClause, context, name)):
            action.add(Role.SCANNED, name)
    action.add(Role.OWNED, *facts.sequences)
    return single("SELECT", action)


def _select_into(node: ast.SelectStmt, context: Context) -> Classified:
    """SELECT ... INTO new_table: CREATE TABLE AS by another name."""
    assert node.intoClause is not None
    target = range_var_display(node.intoClause.rel)
    action = Action(StatementKind.CREATE_TABLE_AS, description=f"SELECT INTO {target}",
                    relations={Role.TARGET: [target]}, creates=[target])
    action.add(Role.SOURCE, *expand_reads(context, read_relations(query_facts(node),
                                                                  exclude=(target,))))
    return single("CREATE TABLE AS", action)


def transaction(node: ast.TransactionStmt, context: Context) -> Classified:
    kind = node.kind.name.removeprefix("TRANS_STMT_") if node.kind is not None else "TRANSACTION"
    return single("TRANSACTION", Action(StatementKind.TRANSACTION, description=kind))


def variable_set(node: ast.VariableSetStmt, context: Context) -> Classified:
    reset = node.kind is not None and node.kind.name.startswith("VAR_RESET")
    kind = StatementKind.RESET if reset else StatementKind.SET
    local = " LOCAL" if node.is_local else ""
    action = Action(kind, description=f"{kind}{local} {node.name or ''}".strip())
    return single(kind.value, action)
