"""Learning the schema model from statements: what each DDL statement changes in it.

``learn`` applies one statement (the analyzer, after judging it), ``schema_from_sql``
every statement of a text (a ``--schema`` file, a test's setup).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from sqlreview.pg.nodes import walk
from sqlreview.pg.parse import iter_statements
from sqlreview.pg.query_facts import column_uses, query_facts
from sqlreview.pg.schema import (
    Column,
    Constraint,
    ConstraintKind,
    Relation,
    RelationKind,
    Schema,
    owned_sequence_name,
    range_var_key,
    relation_key,
)
from sqlreview.pg.types import ColumnType, is_serial


def learn(schema: Schema, node: ast.Node, *, mark_new: bool = True) -> None:
    """Apply the effect of one statement to the model."""
    learner: Learner | None = _LEARNERS.get(type(node))
    if learner is not None:
        learner(schema, node, mark_new)


def schema_from_sql(sql: str) -> Schema:
    """Learn from every DDL statement of ``sql``; DML and errors are ignored."""
    schema = Schema()
    for statement in iter_statements(sql):
        if statement.node is not None:
            learn(schema, statement.node, mark_new=False)
    return schema


def _learn_create_table(schema: Schema, node: ast.CreateStmt, mark_new: bool) -> None:
    key = range_var_key(node.relation)
    kind = RelationKind.PARTITIONED_TABLE if node.partspec else RelationKind.TABLE
    relation = Relation(name=key, kind=kind, new=mark_new)
    if node.partspec is not None:
        relation.partition_key = tuple(
            name
            for element in node.partspec.partParams or ()
            if isinstance(element, ast.PartitionElem)
            for name in ([element.name] if element.name else _mentioned_columns(element.expr))
        )
    if node.inhRelations:  # PARTITION OF, or INHERITS: statements on the parent recurse
        parent = node.inhRelations[0]
        if isinstance(parent, ast.RangeVar):
            relation.parent = range_var_key(parent)
            relation.is_partition = node.partbound is not None
            relation.default_partition = bool(node.partbound is not None
                                              and node.partbound.is_default)
            parent_relation = schema.get(relation.parent)
            if parent_relation is not None:
                relation.columns = copy.deepcopy(parent_relation.columns)
    schema.add(relation)
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            _add_column(schema, relation, element)
        elif isinstance(element, ast.Constraint):
            _add_constraint(schema, relation, element)


def _add_column(schema: Schema, relation: Relation, column: ast.ColumnDef) -> None:
    column_type = ColumnType.from_node(column.typeName) if column.typeName else None
    name = column.colname or ""
    not_null = bool(column.is_not_null)
    owns_sequence = column.typeName is not None and is_serial(column.typeName)
    generated = None
    for constraint in column.constraints or ():
        if not isinstance(constraint, ast.Constraint):
            continue
        if constraint.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY):
            not_null = True
        if constraint.contype == ConstrType.CONSTR_IDENTITY:
            owns_sequence = not_null = True
        if constraint.contype == ConstrType.CONSTR_GENERATED:
            generated = "virtual" if constraint.generated_kind == "v" else "stored"
        if constraint.contype != ConstrType.CONSTR_NOTNULL:  # kept on the column itself
            _add_constraint(schema, relation, constraint, column=name)
    sequence = None
    if owns_sequence:
        not_null = True
        sequence = _add_owned_sequence(schema, relation, name)
    identity = any(isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_IDENTITY
                   for c in column.constraints or ())
    relation.columns[name] = Column(name=name, type=column_type, not_null=not_null,
                                    sequence=sequence, generated=generated, identity=identity)


def _add_owned_sequence(schema: Schema, relation: Relation, column: str) -> str:
    sequence = owned_sequence_name(relation.name, column)
    schema.add(Relation(name=sequence, kind=RelationKind.SEQUENCE, new=relation.new,
                        owner=relation.name))
    relation.owned_sequences.append(sequence)
    return sequence


def _add_constraint(
    schema: Schema, relation: Relation, node: ast.Constraint, column: str | None = None
) -> None:
    kind = _CONSTRAINT_KINDS.get(node.contype) if node.contype is not None else None
    if kind is None:
        return
    table = relation.name.split(".")[-1]
    keys = node.fk_attrs if kind is ConstraintKind.FOREIGN_KEY else node.keys
    columns = [column] if column else [_name(k) for k in keys or ()]
    name = node.conname or _default_constraint_name(table, columns, kind)
    referenced = range_var_key(node.pktable) if node.pktable is not None else None
    if kind is ConstraintKind.CHECK and not column:
        columns = _mentioned_columns(node.raw_expr)
    if kind is ConstraintKind.FOREIGN_KEY:
        schema.changed()
    relation.constraints[name] = Constraint(
        name=name,
        kind=kind,
        valid=not node.skip_validation,
        referenced=referenced,
        not_null_column=_not_null_check_column(node) if kind is ConstraintKind.CHECK else None,
        columns=tuple(columns),
        referenced_columns=tuple(_name(k) for k in node.pk_attrs or ()),
        deferred=bool(node.initdeferred),
        on_delete=node.fk_del_action if node.fk_del_action not in (None, "", "\x00") else "a",
        on_update=node.fk_upd_action if node.fk_upd_action not in (None, "", "\x00") else "a",
    )
    if kind is ConstraintKind.PRIMARY_KEY or (
        kind is ConstraintKind.NOT_NULL and not node.skip_validation
    ):
        for key in columns:
            if key in relation.columns:
                relation.columns[key].not_null = True
    if kind in (ConstraintKind.UNIQUE, ConstraintKind.PRIMARY_KEY, ConstraintKind.EXCLUDE):
        index = node.indexname or name
        schema.add(
            Relation(name=relation_key(None, index) if "." not in relation.name
                     else f"{relation.name.split('.')[0]}.{index}",
                     kind=RelationKind.INDEX, table=relation.name, new=relation.new,
                     index_columns=tuple(columns))
        )


_CONSTRAINT_KINDS = {
    ConstrType.CONSTR_CHECK: ConstraintKind.CHECK,
    ConstrType.CONSTR_UNIQUE: ConstraintKind.UNIQUE,
    ConstrType.CONSTR_PRIMARY: ConstraintKind.PRIMARY_KEY,
    ConstrType.CONSTR_FOREIGN: ConstraintKind.FOREIGN_KEY,
    ConstrType.CONSTR_EXCLUSION: ConstraintKind.EXCLUDE,
    ConstrType.CONSTR_NOTNULL: ConstraintKind.NOT_NULL,  # table-level, PostgreSQL 18
}

_DEFAULT_SUFFIX = {
    ConstraintKind.CHECK: "check",
    ConstraintKind.UNIQUE: "key",
    ConstraintKind.FOREIGN_KEY: "fkey",
    ConstraintKind.EXCLUDE: "excl",
    ConstraintKind.NOT_NULL: "not_null",
}


def _default_constraint_name(table: str, columns: list[str], kind: ConstraintKind) -> str:
    """The name Postgres gives an unnamed constraint (close enough to look up)."""
    if kind is ConstraintKind.PRIMARY_KEY:
        return f"{table}_pkey"
    middle = "_".join([table, *columns[:1]]) if columns else table
    return f"{middle}_{_DEFAULT_SUFFIX[kind]}"


def _not_null_check_column(node: ast.Constraint) -> str | None:
    """The column of a ``CHECK (col IS NOT NULL)``, which proves NOT NULL (PG 12+)."""
    expression = node.raw_expr
    if (
        isinstance(expression, ast.NullTest)
        and expression.nulltesttype == 1  # IS_NOT_NULL
        and isinstance(expression.arg, ast.ColumnRef)
    ):
        fields = expression.arg.fields or ()
        if fields and isinstance(fields[-1], ast.String):
            return str(fields[-1].sval)
    return None


def _mentioned_columns(expression: ast.Node | None) -> list[str]:
    names: list[str] = []
    for node in walk(expression) if expression is not None else ():
        fields = node.fields or () if isinstance(node, ast.ColumnRef) else ()
        if fields and isinstance(fields[-1], ast.String) and fields[-1].sval not in names:
            names.append(str(fields[-1].sval))
    return names


def _name(node: ast.Node) -> str:
    return str(node.sval) if isinstance(node, ast.String) else str(node)


def _learn_alter_table(schema: Schema, node: ast.AlterTableStmt, mark_new: bool) -> None:
    relation = schema.get(range_var_key(node.relation))
    if relation is None:
        return
    for command in node.cmds or ():
        if isinstance(command, ast.AlterTableCmd):
            _learn_alter_command(schema, relation, command)


def _learn_alter_command(schema: Schema, relation: Relation, cmd: ast.AlterTableCmd) -> None:
    subtype = cmd.subtype
    if subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        _add_column(schema, relation, cmd.def_)
    elif subtype == AlterTableType.AT_DropColumn:
        if cmd.behavior == 1:  # CASCADE: the views reading it are dropped
            for view in schema.views_using_column(relation.name, cmd.name or ""):
                schema.drop(view)
        relation.columns.pop(cmd.name or "", None)
    elif subtype == AlterTableType.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
        column = relation.columns.get(cmd.name or "")
        if column is not None and cmd.def_.typeName is not None:
            column.type = ColumnType.from_node(cmd.def_.typeName)
    elif subtype == AlterTableType.AT_SetNotNull:
        _set_not_null(relation, cmd.name, True)
    elif subtype == AlterTableType.AT_DropNotNull:
        _set_not_null(relation, cmd.name, False)
    elif subtype == AlterTableType.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        _add_constraint(schema, relation, cmd.def_)
    elif subtype == AlterTableType.AT_DropConstraint:
        relation.constraints.pop(cmd.name or "", None)
        schema.changed()
    elif subtype == AlterTableType.AT_AddIdentity:
        column = relation.columns.get(cmd.name or "")
        if column is not None:
            column.sequence = _add_owned_sequence(schema, relation, column.name)
            column.identity = True
    elif subtype == AlterTableType.AT_DropIdentity:
        column = relation.columns.get(cmd.name or "")
        if column is not None and column.sequence:
            schema.drop(column.sequence)
            relation.owned_sequences = [s for s in relation.owned_sequences
                                        if s != column.sequence]
            column.sequence = None
            column.identity = False
    elif subtype == AlterTableType.AT_ValidateConstraint:
        constraint = relation.constraints.get(cmd.name or "")
        if constraint is not None:
            constraint.valid = True
            if constraint.kind is ConstraintKind.NOT_NULL:
                _set_not_null(relation, constraint.columns[0] if constraint.columns else None,
                              True)
    elif subtype == AlterTableType.AT_AttachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        partition = schema.get(range_var_key(cmd.def_.name))
        if partition is not None:
            partition.parent = relation.name
            partition.is_partition = True
            bound = cmd.def_.bound
            partition.default_partition = bool(bound is not None and bound.is_default)
            schema.changed()
    elif subtype == AlterTableType.AT_DetachPartition and isinstance(cmd.def_, ast.PartitionCmd):
        partition = schema.get(range_var_key(cmd.def_.name))
        if partition is not None:
            partition.parent = None
            partition.is_partition = partition.default_partition = False
            schema.changed()


def _set_not_null(relation: Relation, column_name: str | None, value: bool) -> None:
    column = relation.columns.get(column_name or "")
    if column is not None:
        column.not_null = value


def _learn_index(schema: Schema, node: ast.IndexStmt, mark_new: bool) -> None:
    if not node.idxname:
        return
    table = range_var_key(node.relation)
    key = relation_key(node.relation.schemaname if node.relation else None, node.idxname)
    columns = tuple(
        name
        for element in node.indexParams or ()
        if isinstance(element, ast.IndexElem)
        for name in ([element.name] if element.name else _mentioned_columns(element.expr))
    )
    schema.add(Relation(name=key, kind=RelationKind.INDEX, table=table, new=mark_new,
                        index_columns=columns))


_DROPS_WITH_DEPENDENTS = frozenset({
    ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_FOREIGN_TABLE,
})


def _learn_drop(schema: Schema, node: ast.DropStmt, mark_new: bool) -> None:
    for target in node.objects or ():
        names = [_name(part) for part in target] if isinstance(target, tuple) else []
        if not names:
            continue
        key = relation_key(names[0] if len(names) > 1 else None, names[-1])
        gone = [key]
        if node.removeType in _DROPS_WITH_DEPENDENTS:
            # Partitions go with their table; CASCADE takes the views on them.
            gone += schema.partitions_of(key)
            if node.behavior == 1:
                gone += [view for each in list(gone) for view in schema.dependent_views(each)]
        for each in dict.fromkeys(gone):
            schema.drop(each)


def _learn_rename(schema: Schema, node: ast.RenameStmt, mark_new: bool) -> None:
    if node.relation is None or not node.newname:
        return
    key = range_var_key(node.relation)
    relation = schema.get(key)
    if relation is None:
        return
    if node.renameType == ObjectType.OBJECT_COLUMN and node.subname in relation.columns:
        column = relation.columns.pop(node.subname)
        column.name = node.newname
        relation.columns[node.newname] = column
    elif node.renameType == ObjectType.OBJECT_TABCONSTRAINT and node.subname:
        constraint = relation.constraints.pop(node.subname, None)
        if constraint is not None:
            constraint.name = node.newname
            relation.constraints[node.newname] = constraint
    elif node.renameType in _RELATION_OBJECT_TYPES:
        _rename_relation(schema, key, relation_key(node.relation.schemaname, node.newname))


_RELATION_OBJECT_TYPES = frozenset(
    {
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_INDEX,
        ObjectType.OBJECT_VIEW,
        ObjectType.OBJECT_MATVIEW,
        ObjectType.OBJECT_SEQUENCE,
        ObjectType.OBJECT_FOREIGN_TABLE,
    }
)


def _rename_relation(schema: Schema, old: str, new: str) -> None:
    schema.changed()
    relation = schema.relations.pop(old)
    relation.name = new
    schema.relations[new] = relation
    for other in schema.relations.values():
        if other.table == old:
            other.table = new
        if other.parent == old:
            other.parent = new
        for constraint in other.constraints.values():
            if constraint.referenced == old:
                constraint.referenced = new


def _learn_view(schema: Schema, node: ast.ViewStmt, mark_new: bool) -> None:
    key = range_var_key(node.view)
    if key not in schema.relations:
        schema.add(Relation(name=key, kind=RelationKind.VIEW, new=mark_new,
                            sources=list(query_facts(node.query).relations),
                            column_uses=column_uses(node.query)))


def _learn_create_table_as(schema: Schema, node: ast.CreateTableAsStmt, mark_new: bool) -> None:
    if node.into is None or node.into.rel is None:
        return
    kind = (
        RelationKind.MATERIALIZED_VIEW
        if node.objtype == ObjectType.OBJECT_MATVIEW
        else RelationKind.TABLE
    )
    schema.add(Relation(name=range_var_key(node.into.rel), kind=kind, new=mark_new,
                        sources=list(query_facts(node.query).relations),
                        empty=bool(node.into.skipData), column_uses=column_uses(node.query)))


def _learn_select_into(schema: Schema, node: ast.SelectStmt, mark_new: bool) -> None:
    if node.intoClause is None or node.intoClause.rel is None:
        return
    schema.add(Relation(name=range_var_key(node.intoClause.rel), kind=RelationKind.TABLE,
                        new=mark_new, empty=False))


def _learn_sequence(schema: Schema, node: ast.CreateSeqStmt, mark_new: bool) -> None:
    schema.add(
        Relation(name=range_var_key(node.sequence), kind=RelationKind.SEQUENCE, new=mark_new)
    )


def _learn_alter_sequence(schema: Schema, node: ast.AlterSeqStmt, mark_new: bool) -> None:
    sequence = schema.get(range_var_key(node.sequence))
    for option in node.options or ():
        if isinstance(option, ast.DefElem) and option.defname == "owned_by" and sequence:
            parts = [_name(p) for p in option.arg or ()] if isinstance(option.arg, tuple) else []
            if len(parts) >= 2:
                owner = relation_key(parts[-3] if len(parts) > 2 else None, parts[-2])
                sequence.owner = owner
                table = schema.get(owner)
                column = table.columns.get(parts[-1]) if table else None
                if table is not None and sequence.name not in table.owned_sequences:
                    table.owned_sequences.append(sequence.name)
                if column is not None:
                    column.sequence = sequence.name


def _learn_rows_added(schema: Schema, node: ast.InsertStmt | ast.CopyStmt, mark_new: bool
                      ) -> None:
    """A new table that receives rows is no longer empty."""
    if isinstance(node, ast.CopyStmt) and not node.is_from:
        return
    if node.relation is None:
        return
    relation = schema.get(range_var_key(node.relation))
    if relation is not None and relation.new:
        relation.empty = False


Learner = Callable[[Schema, Any, bool], None]

_LEARNERS: dict[type[ast.Node], Learner] = {
    ast.CreateStmt: _learn_create_table,
    ast.AlterTableStmt: _learn_alter_table,
    ast.IndexStmt: _learn_index,
    ast.DropStmt: _learn_drop,
    ast.RenameStmt: _learn_rename,
    ast.ViewStmt: _learn_view,
    ast.CreateTableAsStmt: _learn_create_table_as,
    ast.CreateSeqStmt: _learn_sequence,
    ast.AlterSeqStmt: _learn_alter_sequence,
    ast.SelectStmt: _learn_select_into,
    ast.InsertStmt: _learn_rows_added,
    ast.CopyStmt: _learn_rows_added,
}
