"""Turn a parsed statement into actions: a knowledge-table kind, the variant
that decides the verdict, and the relations it touches in each role.

This module reads the syntax tree and the schema model; it knows nothing of
lock modes or costs (those are in ``knowledge.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pglast import ast, visitors
from pglast.enums import (
    AlterTableType,
    ConstrType,
    ObjectType,
    ReindexObjectType,
)

from sqlreview.pg import knowledge
from sqlreview.pg.knowledge import Role
from sqlreview.pg.locks import LockMode
from sqlreview.pg.schema import (
    ConstraintKind,
    RelationKind,
    Schema,
    range_var_display,
    range_var_key,
    relation_key,
)
from sqlreview.pg.types import ColumnType, is_serial, judge_type_change


@dataclass
class Session:
    """Settings earlier statements of the input changed, as far as they matter."""

    lock_timeout: bool = False
    lock_timeout_local: bool = False  # SET LOCAL: ends with the transaction
    time_zone_is_utc: bool = False


@dataclass
class Action:
    kind: str
    variant: str = ""
    description: str = ""
    relations: dict[Role, list[str]] = field(default_factory=dict)
    lock_mode: LockMode | None = None  # LOCK TABLE names its own mode
    notes: list[str] = field(default_factory=list)
    column: str | None = None

    def add(self, role: Role, *names: str) -> Action:
        bucket = self.relations.setdefault(role, [])
        bucket.extend(name for name in names if name not in bucket)
        return self

    def related(self, role: Role) -> list[str]:
        return self.relations.get(role, [])


@dataclass
class Classified:
    kind: str
    actions: list[Action]


@dataclass(frozen=True)
class Context:
    schema: Schema
    session: Session
    pg_version: int


Classifier = Callable[[ast.Node, Context], Classified]


def classify(node: ast.Node, context: Context) -> Classified:
    classifier = _CLASSIFIERS.get(type(node))
    if classifier is None:
        name = type(node).__name__.removesuffix("Stmt")
        return Classified(name.upper(), [Action("OTHER", description=name)])
    return classifier(node, context)


def _single(kind: str, action: Action) -> Classified:
    return Classified(kind, [action])


def _display(key: str) -> str:
    return key


def _key_of_display(name: str) -> str:
    schema, _, relation = name.rpartition(".")
    return relation_key(schema or None, relation)


# --- ALTER TABLE -----------------------------------------------------------------


def _alter_table(node: ast.AlterTableStmt, context: Context) -> Classified:
    objtype = node.objtype
    target = range_var_display(node.relation)
    if objtype == ObjectType.OBJECT_INDEX:
        return _alter_index(node, target)
    if objtype in _ALTER_OTHER_KINDS:
        kind = _ALTER_OTHER_KINDS[objtype]
        return _single(kind, Action(kind, description=kind, relations={Role.TARGET: [target]}))
    actions: list[Action] = []
    for command in node.cmds or ():
        if isinstance(command, ast.AlterTableCmd):
            actions.extend(_alter_table_command(command, target, context))
    return Classified("ALTER TABLE", actions)


_ALTER_OTHER_KINDS = {
    ObjectType.OBJECT_VIEW: "ALTER VIEW",
    ObjectType.OBJECT_MATVIEW: "ALTER MATERIALIZED VIEW",
    ObjectType.OBJECT_SEQUENCE: "ALTER SEQUENCE",
}


def _alter_index(node: ast.AlterTableStmt, index: str) -> Classified:
    actions = []
    for command in node.cmds or ():
        if not isinstance(command, ast.AlterTableCmd):
            continue
        kind = (
            "ALTER INDEX SET TABLESPACE"
            if command.subtype == AlterTableType.AT_SetTableSpace
            else "ALTER INDEX (other)"
        )
        actions.append(Action(kind, description=kind.removeprefix("ALTER INDEX "))
                       .add(Role.INDEX, index))
    return Classified("ALTER INDEX", actions)


# Subcommands whose effect does not depend on details: subtype -> (kind, verb).
_SIMPLE_SUBCOMMANDS: dict[int, str] = {
    AlterTableType.AT_DropColumn: "ALTER TABLE DROP COLUMN",
    AlterTableType.AT_DropNotNull: "ALTER TABLE ALTER COLUMN DROP NOT NULL",
    AlterTableType.AT_SetStatistics: "ALTER TABLE ALTER COLUMN SET STATISTICS",
    AlterTableType.AT_SetOptions: "ALTER TABLE ALTER COLUMN SET (attribute option)",
    AlterTableType.AT_ResetOptions: "ALTER TABLE ALTER COLUMN RESET (attribute option)",
    AlterTableType.AT_SetStorage: "ALTER TABLE ALTER COLUMN SET STORAGE",
    AlterTableType.AT_SetCompression: "ALTER TABLE ALTER COLUMN SET COMPRESSION",
    AlterTableType.AT_AddIdentity: "ALTER TABLE ALTER COLUMN ADD IDENTITY",
    AlterTableType.AT_SetIdentity: "ALTER TABLE ALTER COLUMN SET IDENTITY",
    AlterTableType.AT_DropIdentity: "ALTER TABLE ALTER COLUMN DROP IDENTITY",
    AlterTableType.AT_SetExpression: "ALTER TABLE ALTER COLUMN SET EXPRESSION",
    AlterTableType.AT_DropExpression: "ALTER TABLE ALTER COLUMN DROP EXPRESSION",
    AlterTableType.AT_AlterColumnGenericOptions: "ALTER TABLE ALTER COLUMN OPTIONS",
    AlterTableType.AT_AlterConstraint: "ALTER TABLE ALTER CONSTRAINT",
    AlterTableType.AT_SetLogged: "ALTER TABLE SET LOGGED",
    AlterTableType.AT_SetUnLogged: "ALTER TABLE SET UNLOGGED",
    AlterTableType.AT_SetTableSpace: "ALTER TABLE SET TABLESPACE",
    AlterTableType.AT_SetAccessMethod: "ALTER TABLE SET ACCESS METHOD",
    AlterTableType.AT_ClusterOn: "ALTER TABLE CLUSTER ON",
    AlterTableType.AT_DropCluster: "ALTER TABLE SET WITHOUT CLUSTER",
    AlterTableType.AT_EnableTrig: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_EnableAlwaysTrig: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_EnableReplicaTrig: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_DisableTrig: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_EnableTrigAll: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_DisableTrigAll: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_EnableTrigUser: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_DisableTrigUser: "ALTER TABLE ENABLE/DISABLE TRIGGER",
    AlterTableType.AT_EnableRule: "ALTER TABLE ENABLE/DISABLE RULE",
    AlterTableType.AT_EnableAlwaysRule: "ALTER TABLE ENABLE/DISABLE RULE",
    AlterTableType.AT_EnableReplicaRule: "ALTER TABLE ENABLE/DISABLE RULE",
    AlterTableType.AT_DisableRule: "ALTER TABLE ENABLE/DISABLE RULE",
    AlterTableType.AT_EnableRowSecurity: "ALTER TABLE ROW LEVEL SECURITY",
    AlterTableType.AT_DisableRowSecurity: "ALTER TABLE ROW LEVEL SECURITY",
    AlterTableType.AT_ForceRowSecurity: "ALTER TABLE ROW LEVEL SECURITY",
    AlterTableType.AT_NoForceRowSecurity: "ALTER TABLE ROW LEVEL SECURITY",
    AlterTableType.AT_ReplicaIdentity: "ALTER TABLE REPLICA IDENTITY",
    AlterTableType.AT_ChangeOwner: "ALTER TABLE OWNER TO",
    AlterTableType.AT_AddOf: "ALTER TABLE OF",
    AlterTableType.AT_DropOf: "ALTER TABLE OF",
}


def _alter_table_command(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    handler = _SUBCOMMAND_HANDLERS.get(cmd.subtype)
    if handler is not None:
        return handler(cmd, target, context)
    kind = _SIMPLE_SUBCOMMANDS.get(cmd.subtype, "ALTER TABLE (other)")
    verb = kind.removeprefix("ALTER TABLE ")
    if kind == "ALTER TABLE (other)":
        verb = str(cmd.subtype.name).removeprefix("AT_")
    description = f"{verb} {cmd.name}" if cmd.name else verb
    return [Action(kind, description=description, relations={Role.TARGET: [target]},
                   column=cmd.name)]


def _add_column(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    column = cmd.def_
    if not isinstance(column, ast.ColumnDef):
        return []
    name = column.colname or "?"
    action = Action(
        "ALTER TABLE ADD COLUMN",
        _add_column_variant(column),
        f"ADD COLUMN {name}",
        {Role.TARGET: [target]},
        column=name,
    )
    actions = [action]
    for constraint in column.constraints or ():
        if isinstance(constraint, ast.Constraint) and constraint.contype in _INLINE_CONSTRAINTS:
            actions.append(_constraint_action(constraint, target, context, column=name))
    return actions


# Inline constraints of ADD COLUMN that act like a separate ADD CONSTRAINT (NOT
# NULL and DEFAULT are part of the column's own variant).
_INLINE_CONSTRAINTS = frozenset(
    {
        ConstrType.CONSTR_CHECK,
        ConstrType.CONSTR_UNIQUE,
        ConstrType.CONSTR_PRIMARY,
        ConstrType.CONSTR_EXCLUSION,
        ConstrType.CONSTR_FOREIGN,
    }
)


def _add_column_variant(column: ast.ColumnDef) -> str:
    constraints = [c for c in column.constraints or () if isinstance(c, ast.Constraint)]
    types = {c.contype for c in constraints}
    if column.typeName is not None and is_serial(column.typeName):
        return "volatile default"
    if ConstrType.CONSTR_IDENTITY in types:
        return "identity"
    generated = next((c for c in constraints if c.contype == ConstrType.CONSTR_GENERATED), None)
    if generated is not None:
        return "virtual generated" if generated.generated_kind == "v" else "stored generated"
    default = next((c for c in constraints if c.contype == ConstrType.CONSTR_DEFAULT), None)
    if default is not None and not _is_null_constant(default.raw_expr):
        return "volatile default" if is_volatile(default.raw_expr) else "constant default"
    not_null = column.is_not_null or ConstrType.CONSTR_NOTNULL in types
    if not_null or ConstrType.CONSTR_PRIMARY in types:
        return "not null without default"
    return ""


def _is_null_constant(expression: ast.Node | None) -> bool:
    return isinstance(expression, ast.A_Const) and bool(expression.isnull)


def is_volatile(expression: ast.Node | None) -> bool:
    """Whether a default expression is (or may be) volatile."""
    if expression is None:
        return False
    finder = _FunctionNames()
    finder(expression)
    return any(
        name in knowledge.VOLATILE_FUNCTIONS or name not in knowledge.NON_VOLATILE_FUNCTIONS
        for name in finder.names
    )


class _FunctionNames(visitors.Visitor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        parts = [p.sval for p in node.funcname or () if isinstance(p, ast.String)]
        if parts:
            self.names.append(parts[-1].lower())


def _alter_column_type(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    column = cmd.def_
    name = cmd.name or "?"
    if not isinstance(column, ast.ColumnDef) or column.typeName is None:
        return []
    new_type = ColumnType.from_node(column.typeName)
    existing = context.schema.column(_key_of_display(target), name)
    action = Action(
        "ALTER TABLE ALTER COLUMN TYPE",
        description=f"ALTER COLUMN {name} TYPE {new_type}",
        relations={Role.TARGET: [target]},
        column=name,
    )
    if column.raw_default is not None and not _is_plain_cast_of(column.raw_default, name):
        action.notes.append("a USING expression converts every row")
        return [action]
    verdict = judge_type_change(
        existing.type if existing else None,
        new_type,
        pg_version=context.pg_version,
        time_zone_is_utc=context.session.time_zone_is_utc,
    )
    action.notes.append(verdict.reason)
    if not verdict.rewrites:
        action.variant = "binary coercible"
    return [action]


def _is_plain_cast_of(expression: ast.Node, column: str) -> bool:
    """``USING col`` or ``USING col::type`` (what Django writes) change nothing by themselves."""
    if isinstance(expression, ast.TypeCast):
        expression = expression.arg
    if isinstance(expression, ast.ColumnRef):
        fields = expression.fields or ()
        return bool(fields) and isinstance(fields[-1], ast.String) and fields[-1].sval == column
    return False


def _set_default(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    verb = "SET DEFAULT" if cmd.def_ is not None else "DROP DEFAULT"
    return [Action(f"ALTER TABLE ALTER COLUMN {verb}", description=f"ALTER COLUMN {cmd.name} "
                   f"{verb}", relations={Role.TARGET: [target]}, column=cmd.name)]


def _set_not_null(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    name = cmd.name or "?"
    relation = context.schema.get(_key_of_display(target))
    proven = relation is not None and any(
        c.kind is ConstraintKind.CHECK and c.valid and c.not_null_column == name
        for c in relation.constraints.values()
    )
    return [Action("ALTER TABLE ALTER COLUMN SET NOT NULL",
                   "proven by a valid CHECK" if proven else "",
                   f"ALTER COLUMN {name} SET NOT NULL", {Role.TARGET: [target]}, column=name)]


_CONSTRAINT_KINDS = {
    ConstrType.CONSTR_CHECK: "CHECK",
    ConstrType.CONSTR_UNIQUE: "UNIQUE",
    ConstrType.CONSTR_PRIMARY: "PRIMARY KEY",
    ConstrType.CONSTR_EXCLUSION: "EXCLUDE",
    ConstrType.CONSTR_FOREIGN: "FOREIGN KEY",
    ConstrType.CONSTR_NOTNULL: "NOT NULL",
}


def _add_constraint(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    constraint = cmd.def_
    if not isinstance(constraint, ast.Constraint) or constraint.contype not in _CONSTRAINT_KINDS:
        return [Action("ALTER TABLE (other)", description="ADD CONSTRAINT",
                       relations={Role.TARGET: [target]})]
    return [_constraint_action(constraint, target, context)]


def _constraint_action(
    constraint: ast.Constraint, target: str, context: Context, column: str | None = None
) -> Action:
    label = _CONSTRAINT_KINDS[constraint.contype]
    name = constraint.conname or label
    action = Action(f"ALTER TABLE ADD CONSTRAINT {label}", _constraint_variant(constraint),
                    f"ADD CONSTRAINT {name} {label}", {Role.TARGET: [target]}, column=column)
    if constraint.pktable is not None:
        referenced = range_var_display(constraint.pktable)
        if _key_of_display(referenced) != _key_of_display(target):
            action.add(Role.REFERENCED, referenced)
    return action


def _constraint_variant(constraint: ast.Constraint) -> str:
    if constraint.indexname:
        return "USING INDEX"
    enforceable = constraint.contype in (ConstrType.CONSTR_CHECK, ConstrType.CONSTR_FOREIGN)
    if enforceable and not constraint.is_enforced:
        return "NOT ENFORCED"
    if constraint.skip_validation:
        return "NOT VALID"
    return ""


def _validate_constraint(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    constraint = context.schema.find_constraint(_key_of_display(target), cmd.name or "")
    action = Action("ALTER TABLE VALIDATE CONSTRAINT", description=f"VALIDATE CONSTRAINT "
                    f"{cmd.name}", relations={Role.TARGET: [target]})
    if constraint is not None and constraint.kind is ConstraintKind.FOREIGN_KEY:
        action.variant = "foreign key"
        if constraint.referenced:
            action.add(Role.REFERENCED, _display(constraint.referenced))
    return [action]


def _drop_constraint(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    constraint = context.schema.find_constraint(_key_of_display(target), cmd.name or "")
    action = Action("ALTER TABLE DROP CONSTRAINT", description=f"DROP CONSTRAINT {cmd.name}",
                    relations={Role.TARGET: [target]})
    if constraint is not None and constraint.kind is ConstraintKind.FOREIGN_KEY:
        action.variant = "foreign key"
        if constraint.referenced and constraint.referenced != _key_of_display(target):
            action.add(Role.REFERENCED, _display(constraint.referenced))
    return [action]


def _storage_parameters(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    verb = "RESET" if cmd.subtype == AlterTableType.AT_ResetRelOptions else "SET"
    names = [d.defname for d in cmd.def_ or () if isinstance(d, ast.DefElem)] \
        if isinstance(cmd.def_, tuple) else []
    if names and all(_is_weak_parameter(d, n) for d, n in _with_namespaces(cmd)):
        variant = "weak parameter"
    else:
        variant = ""
    return [Action(f"ALTER TABLE {verb} (storage parameter)", variant,
                   f"{verb} ({', '.join(names)})", {Role.TARGET: [target]})]


def _with_namespaces(cmd: ast.AlterTableCmd) -> Iterable[tuple[str | None, str]]:
    for definition in cmd.def_ if isinstance(cmd.def_, tuple) else ():
        if isinstance(definition, ast.DefElem):
            yield definition.defnamespace, definition.defname


def _is_weak_parameter(namespace: str | None, name: str) -> bool:
    if namespace == "toast":
        return True
    return name in knowledge.WEAK_STORAGE_PARAMETERS or name.startswith(
        knowledge.WEAK_STORAGE_PARAMETERS_PREFIXES
    )


def _partition(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    partition_cmd = cmd.def_
    if not isinstance(partition_cmd, ast.PartitionCmd) or partition_cmd.name is None:
        return []
    partition = range_var_display(partition_cmd.name)
    attach = cmd.subtype == AlterTableType.AT_AttachPartition
    verb = "ATTACH PARTITION" if attach else "DETACH PARTITION"
    variant = "CONCURRENTLY" if partition_cmd.concurrent else ""
    action = Action(f"ALTER TABLE {verb}", variant, f"{verb} {partition}",
                    {Role.TARGET: [target], Role.PARTITION: [partition]})
    return [action]


def _inherit(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    parent = range_var_display(cmd.def_) if isinstance(cmd.def_, ast.RangeVar) else None
    verb = "INHERIT" if cmd.subtype == AlterTableType.AT_AddInherit else "NO INHERIT"
    action = Action(f"ALTER TABLE {verb}", description=f"{verb} {parent}",
                    relations={Role.TARGET: [target]})
    if parent:
        action.add(Role.PARENT, parent)
    return [action]


_SUBCOMMAND_HANDLERS: dict[int, Callable[[ast.AlterTableCmd, str, Context], list[Action]]] = {
    AlterTableType.AT_AddColumn: _add_column,
    AlterTableType.AT_AlterColumnType: _alter_column_type,
    AlterTableType.AT_ColumnDefault: _set_default,
    AlterTableType.AT_SetNotNull: _set_not_null,
    AlterTableType.AT_AddConstraint: _add_constraint,
    AlterTableType.AT_ValidateConstraint: _validate_constraint,
    AlterTableType.AT_DropConstraint: _drop_constraint,
    AlterTableType.AT_SetRelOptions: _storage_parameters,
    AlterTableType.AT_ResetRelOptions: _storage_parameters,
    AlterTableType.AT_AttachPartition: _partition,
    AlterTableType.AT_DetachPartition: _partition,
    AlterTableType.AT_AddInherit: _inherit,
    AlterTableType.AT_DropInherit: _inherit,
}


# --- other DDL -------------------------------------------------------------------


def _rename(node: ast.RenameStmt, context: Context) -> Classified:
    new_name = node.newname
    if node.relation is None:
        return _single("RENAME", Action("GRANT/REVOKE", description=f"RENAME TO {new_name}"))
    target = range_var_display(node.relation)
    rename_type = node.renameType
    if rename_type == ObjectType.OBJECT_COLUMN:
        action = Action("ALTER TABLE RENAME COLUMN",
                        description=f"RENAME COLUMN {node.subname} TO {new_name}",
                        column=node.subname)
    elif rename_type == ObjectType.OBJECT_TABCONSTRAINT:
        action = Action("ALTER TABLE RENAME CONSTRAINT",
                        description=f"RENAME CONSTRAINT {node.subname} TO {new_name}")
    elif rename_type == ObjectType.OBJECT_INDEX:
        return _single("ALTER INDEX", Action("ALTER INDEX RENAME", description=f"RENAME TO "
                                             f"{new_name}", relations={Role.INDEX: [target]}))
    elif rename_type == ObjectType.OBJECT_TRIGGER:
        action = Action("DROP TRIGGER", description=f"RENAME TRIGGER {node.subname}")
    elif rename_type in _ALTER_OTHER_KINDS:
        kind = _ALTER_OTHER_KINDS[rename_type]
        return _single(kind, Action(kind, description=f"RENAME TO {new_name}",
                                    relations={Role.TARGET: [target]}))
    else:
        action = Action("ALTER TABLE RENAME", description=f"RENAME TO {new_name}")
    return _single("ALTER TABLE", action.add(Role.TARGET, target))


def _set_schema(node: ast.AlterObjectSchemaStmt, context: Context) -> Classified:
    if node.relation is None:
        return _single("ALTER", Action("GRANT/REVOKE", description="SET SCHEMA"))
    action = Action("ALTER TABLE SET SCHEMA", description=f"SET SCHEMA {node.newschema}",
                    relations={Role.TARGET: [range_var_display(node.relation)]})
    return _single("ALTER TABLE", action)


def _create_table(node: ast.CreateStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    action = Action("CREATE TABLE", description=f"CREATE TABLE {target}",
                    relations={Role.TARGET: [target]})
    if node.partbound is not None:
        action.variant = "PARTITION OF"
        for parent in node.inhRelations or ():
            if isinstance(parent, ast.RangeVar):
                action.add(Role.PARENT, range_var_display(parent))
    for constraint in _all_constraints(node):
        if constraint.pktable is not None:
            referenced = range_var_display(constraint.pktable)
            if _key_of_display(referenced) != _key_of_display(target):
                action.add(Role.REFERENCED, referenced)
    return _single("CREATE TABLE", action)


def _all_constraints(node: ast.CreateStmt) -> Iterable[ast.Constraint]:
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint):
            yield element
        elif isinstance(element, ast.ColumnDef):
            yield from (c for c in element.constraints or () if isinstance(c, ast.Constraint))


def _create_table_as(node: ast.CreateTableAsStmt, context: Context) -> Classified:
    kind = (
        "CREATE MATERIALIZED VIEW"
        if node.objtype == ObjectType.OBJECT_MATVIEW
        else "CREATE TABLE AS"
    )
    target = range_var_display(node.into.rel) if node.into and node.into.rel else "?"
    action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]})
    action.add(Role.SOURCE, *_read_relations(node.query, context, exclude=()))
    if node.into is not None and node.into.skipData:
        action.kind = kind
        action.notes.append("WITH NO DATA: the query is not run")
        action.relations.pop(Role.SOURCE, None)
    return _single(kind, action)


def _view(node: ast.ViewStmt, context: Context) -> Classified:
    target = range_var_display(node.view)
    exists = context.schema.get(_key_of_display(target)) is not None
    kind = "CREATE OR REPLACE VIEW" if node.replace and exists else "CREATE VIEW"
    action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]})
    action.add(Role.SOURCE, *_read_relations(node.query, context, exclude=()))
    return _single(kind, action)


def _refresh(node: ast.RefreshMatViewStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    action = Action("REFRESH MATERIALIZED VIEW", "CONCURRENTLY" if node.concurrent else "",
                    f"REFRESH {target}", {Role.TARGET: [target]})
    return _single("REFRESH MATERIALIZED VIEW", action)


def _index(node: ast.IndexStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    unique = "UNIQUE " if node.unique else ""
    action = Action("CREATE INDEX", "CONCURRENTLY" if node.concurrent else "",
                    f"CREATE {unique}INDEX {node.idxname or ''}".strip(),
                    {Role.TARGET: [target]})
    action.add(Role.TARGET, *context.schema.partitions_of(_key_of_display(target)))
    if node.whereClause is not None:
        action.notes.append("partial index")
    return _single("CREATE INDEX", action)


def _reindex(node: ast.ReindexStmt, context: Context) -> Classified:
    concurrently = any(isinstance(p, ast.DefElem) and p.defname == "concurrently"
                       for p in node.params or ())
    action = Action("REINDEX", "CONCURRENTLY" if concurrently else "")
    if node.relation is None:
        action.kind = "OTHER"
        action.description = f"REINDEX {node.name or ''}".strip()
        action.notes.append("reindexes a whole schema or database")
        return _single("REINDEX", action)
    name = range_var_display(node.relation)
    if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX:
        action.description = f"REINDEX INDEX {name}"
        action.add(Role.INDEX, name)
        table = _table_of_index(context.schema, name)
        if table:
            action.add(Role.TARGET, table)
    else:
        action.description = f"REINDEX TABLE {name}"
        action.add(Role.TARGET, name)
        action.add(Role.INDEX, *context.schema.indexes_of(_key_of_display(name)))
    if action.variant:
        action.relations.pop(Role.INDEX, None)
    return _single("REINDEX", action)


def _table_of_index(schema: Schema, index: str) -> str | None:
    relation = schema.get(_key_of_display(index))
    return _display(relation.table) if relation and relation.table else None


_DROP_KINDS = {
    ObjectType.OBJECT_TABLE: "DROP TABLE",
    ObjectType.OBJECT_INDEX: "DROP INDEX",
    ObjectType.OBJECT_VIEW: "DROP VIEW",
    ObjectType.OBJECT_MATVIEW: "DROP MATERIALIZED VIEW",
    ObjectType.OBJECT_SEQUENCE: "DROP SEQUENCE",
    ObjectType.OBJECT_FOREIGN_TABLE: "DROP TABLE",
    ObjectType.OBJECT_TYPE: "DROP TYPE",
    ObjectType.OBJECT_DOMAIN: "DROP TYPE",
    ObjectType.OBJECT_EXTENSION: "DROP EXTENSION",
    ObjectType.OBJECT_FUNCTION: "DROP FUNCTION",
    ObjectType.OBJECT_PROCEDURE: "DROP FUNCTION",
    ObjectType.OBJECT_SCHEMA: "DROP SCHEMA",
    ObjectType.OBJECT_TRIGGER: "DROP TRIGGER",
    ObjectType.OBJECT_POLICY: "DROP POLICY",
    ObjectType.OBJECT_RULE: "DROP RULE",
}
_RELATION_DROPS = {"DROP TABLE", "DROP INDEX", "DROP VIEW", "DROP MATERIALIZED VIEW",
                   "DROP SEQUENCE"}
_ON_TABLE_DROPS = {"DROP TRIGGER", "DROP POLICY", "DROP RULE"}


def _drop(node: ast.DropStmt, context: Context) -> Classified:
    kind = _DROP_KINDS.get(node.removeType, "OTHER")
    actions = []
    for target in node.objects or ():
        names = [p.sval for p in target if isinstance(p, ast.String)] \
            if isinstance(target, tuple) else []
        action = Action(kind, "CONCURRENTLY" if node.concurrent else "",
                        f"{kind} {'.'.join(names)}".strip())
        if kind in _RELATION_DROPS and names:
            _drop_relation(action, ".".join(names), context, cascade=node.behavior == 1)
        elif kind in _ON_TABLE_DROPS and len(names) >= 2:
            action.add(Role.TARGET, ".".join(names[:-1]))
        actions.append(action)
    return Classified(kind if kind != "OTHER" else "DROP", actions)


def _drop_relation(action: Action, name: str, context: Context, cascade: bool) -> None:
    key = _key_of_display(name)
    if action.kind == "DROP INDEX":
        action.add(Role.INDEX, name)
        table = _table_of_index(context.schema, name)
        if table:
            action.add(Role.TARGET, table)
        else:
            action.notes.append("the index's table is unknown (pass --schema)")
        return
    action.add(Role.TARGET, name)
    relation = context.schema.get(key)
    if relation is None:
        return
    action.add(Role.OWNED, *relation.owned_sequences)
    for constraint in context.schema.foreign_keys_of(key):
        if constraint.referenced and constraint.referenced != key:
            action.add(Role.REFERENCED, _display(constraint.referenced))
    if cascade:
        for table, _constraint in context.schema.referencing(key):
            if table != key:
                action.add(Role.REFERENCED, _display(table))


def _truncate(node: ast.TruncateStmt, context: Context) -> Classified:
    names = [range_var_display(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    action = Action("TRUNCATE", description=f"TRUNCATE {', '.join(names)}",
                    relations={Role.TARGET: list(names)})
    if node.behavior == 1:  # CASCADE
        for name in names:
            action.add(Role.TARGET, *(_display(t) for t, _ in
                                      context.schema.referencing(_key_of_display(name))))
    return _single("TRUNCATE", action)


def _lock(node: ast.LockStmt, context: Context) -> Classified:
    names = [range_var_display(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    mode = LockMode(node.mode) if node.mode else LockMode.ACCESS_EXCLUSIVE
    action = Action("LOCK TABLE", description=f"LOCK {', '.join(names)} IN {mode.sql_name} MODE",
                    relations={Role.TARGET: names}, lock_mode=mode)
    return _single("LOCK TABLE", action)


def _vacuum(node: ast.VacuumStmt, context: Context) -> Classified:
    options = {o.defname for o in node.options or () if isinstance(o, ast.DefElem)}
    names = [range_var_display(r.relation) for r in node.rels or ()
             if isinstance(r, ast.VacuumRelation) and r.relation is not None]
    if not node.is_vacuumcmd:
        kind = "ANALYZE"
    else:
        kind = "VACUUM FULL" if "full" in options else "VACUUM"
    action = Action(kind, description=f"{kind} {', '.join(names)}".strip(),
                    relations={Role.TARGET: names})
    if not names:
        action.notes.append("every table of the database")
    return _single(kind.split()[0], action)


def _cluster(node: ast.ClusterStmt, context: Context) -> Classified:
    names = [range_var_display(node.relation)] if node.relation is not None else []
    action = Action("CLUSTER", description=f"CLUSTER {' '.join(names)}".strip(),
                    relations={Role.TARGET: names})
    if not names:
        action.notes.append("every previously clustered table")
    return _single("CLUSTER", action)


def _comment(node: ast.CommentStmt, context: Context) -> Classified:
    parts = [p.sval for p in node.object if isinstance(p, ast.String)] \
        if isinstance(node.object, tuple) else []
    action = Action("COMMENT", description=f"COMMENT ON {node.objtype.name.removeprefix('OBJECT_')}")
    if node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW,
                        ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SEQUENCE) and parts:
        action.add(Role.TARGET, ".".join(parts))
    elif node.objtype == ObjectType.OBJECT_COLUMN and len(parts) >= 2:
        action.add(Role.TARGET, ".".join(parts[:-1]))
    elif node.objtype == ObjectType.OBJECT_INDEX and parts:
        action.add(Role.INDEX, ".".join(parts))
    else:
        action.kind = "GRANT/REVOKE"
    return _single("COMMENT", action)


def _on_table(kind: str, relation_attribute: str) -> Classifier:
    def classify_on_table(node: ast.Node, context: Context) -> Classified:
        relation = getattr(node, relation_attribute, None)
        action = Action(kind, description=kind)
        if isinstance(relation, ast.RangeVar):
            action.add(Role.TARGET, range_var_display(relation))
        return _single(kind, action)

    return classify_on_table


def _statistics(node: ast.CreateStatsStmt, context: Context) -> Classified:
    action = Action("CREATE STATISTICS", description="CREATE STATISTICS")
    for relation in node.relations or ():
        if isinstance(relation, ast.RangeVar):
            action.add(Role.TARGET, range_var_display(relation))
    return _single("CREATE STATISTICS", action)


def _alter_sequence(node: ast.AlterSeqStmt, context: Context) -> Classified:
    target = range_var_display(node.sequence)
    return _single("ALTER SEQUENCE", Action("ALTER SEQUENCE", description=f"ALTER SEQUENCE "
                                            f"{target}", relations={Role.TARGET: [target]}))


def _create_sequence(node: ast.CreateSeqStmt, context: Context) -> Classified:
    target = range_var_display(node.sequence)
    return _single("CREATE SEQUENCE", Action("CREATE SEQUENCE", description=f"CREATE SEQUENCE "
                                             f"{target}", relations={Role.TARGET: [target]}))


def _alter_enum(node: ast.AlterEnumStmt, context: Context) -> Classified:
    if node.oldVal:
        return _single("ALTER TYPE", Action("ALTER TYPE", description="RENAME VALUE"))
    return _single("ALTER TYPE", Action("ALTER TYPE ADD VALUE",
                                        description=f"ADD VALUE {node.newVal!r}"))


def _constant(kind: str, description: str | None = None) -> Classifier:
    def classify_constant(node: ast.Node, context: Context) -> Classified:
        return _single(kind, Action(kind, description=description or kind))

    return classify_constant


# --- data statements ---------------------------------------------------------------


class _RangeVars(visitors.Visitor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.found: list[ast.RangeVar] = []
        self.ctes: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.found.append(node)

    def visit_CommonTableExpr(self, ancestors: object, node: ast.CommonTableExpr) -> None:
        if node.ctename:
            self.ctes.add(node.ctename)


def _read_relations(node: ast.Node | None, context: Context, exclude: Iterable[str]) -> list[str]:
    if node is None:
        return []
    finder = _RangeVars()
    finder(node)
    excluded = set(exclude)
    names: list[str] = []
    for range_var in finder.found:
        name = range_var_display(range_var)
        if range_var.schemaname is None and range_var.relname in finder.ctes:
            continue
        if name not in excluded and name not in names:
            names.append(name)
    return names


def _dml(kind: str) -> Classifier:
    def classify_dml(node: ast.Node, context: Context) -> Classified:
        relation = getattr(node, "relation", None)
        target = range_var_display(relation) if isinstance(relation, ast.RangeVar) else "?"
        action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]})
        has_where = getattr(node, "whereClause", None) is not None
        if kind in ("UPDATE", "DELETE") and not has_where:
            action.variant = "all rows"
        sources = _read_relations(node, context, exclude=())
        first_target = sources.index(target) if target in sources else -1
        if first_target >= 0:
            sources.pop(first_target)
        action.add(Role.SOURCE, *sources)
        return _single(kind, action)

    return classify_dml


def _select(node: ast.SelectStmt, context: Context) -> Classified:
    names = _read_relations(node, context, exclude=())
    if node.lockingClause:
        action = Action("SELECT", "FOR UPDATE/SHARE", "SELECT ... FOR UPDATE/SHARE")
        locked = set()
        for clause in node.lockingClause:
            if isinstance(clause, ast.LockingClause):
                locked.update(range_var_display(r) for r in clause.lockedRels or ()
                              if isinstance(r, ast.RangeVar))
        for name in names:
            action.add(Role.TARGET if not locked or name in locked else Role.SOURCE, name)
        return _single("SELECT", action)
    return _single("SELECT", Action("SELECT", description="SELECT",
                                    relations={Role.SOURCE: names}))


def _transaction(node: ast.TransactionStmt, context: Context) -> Classified:
    return _single("TRANSACTION", Action("TRANSACTION", description=node.kind.name
                                         .removeprefix("TRANS_STMT_")))


def _variable_set(node: ast.VariableSetStmt, context: Context) -> Classified:
    kind = "RESET" if node.kind and node.kind.name.startswith("VAR_RESET") else "SET"
    local = " LOCAL" if node.is_local else ""
    return _single(kind, Action(kind, description=f"{kind}{local} {node.name or ''}".strip()))


_CLASSIFIERS: dict[type[ast.Node], Classifier] = {
    ast.AlterTableStmt: _alter_table,
    ast.RenameStmt: _rename,
    ast.AlterObjectSchemaStmt: _set_schema,
    ast.CreateStmt: _create_table,
    ast.CreateTableAsStmt: _create_table_as,
    ast.ViewStmt: _view,
    ast.RefreshMatViewStmt: _refresh,
    ast.IndexStmt: _index,
    ast.ReindexStmt: _reindex,
    ast.DropStmt: _drop,
    ast.TruncateStmt: _truncate,
    ast.LockStmt: _lock,
    ast.VacuumStmt: _vacuum,
    ast.ClusterStmt: _cluster,
    ast.CommentStmt: _comment,
    ast.CreateTrigStmt: _on_table("CREATE TRIGGER", "relation"),
    ast.CreatePolicyStmt: _on_table("CREATE POLICY", "table"),
    ast.AlterPolicyStmt: _on_table("ALTER POLICY", "table"),
    ast.RuleStmt: _on_table("CREATE RULE", "relation"),
    ast.CreateStatsStmt: _statistics,
    ast.CreateSeqStmt: _create_sequence,
    ast.AlterSeqStmt: _alter_sequence,
    ast.AlterEnumStmt: _alter_enum,
    ast.CreateEnumStmt: _constant("CREATE TYPE"),
    ast.CompositeTypeStmt: _constant("CREATE TYPE"),
    ast.DefineStmt: _constant("CREATE TYPE", "CREATE (type, aggregate, operator...)"),
    ast.CreateDomainStmt: _constant("CREATE TYPE", "CREATE DOMAIN"),
    ast.CreateExtensionStmt: _constant("CREATE EXTENSION"),
    ast.CreateFunctionStmt: _constant("CREATE FUNCTION"),
    ast.CreateSchemaStmt: _constant("CREATE SCHEMA"),
    ast.GrantStmt: _constant("GRANT/REVOKE"),
    ast.GrantRoleStmt: _constant("GRANT/REVOKE"),
    ast.DoStmt: _constant("DO"),
    ast.CallStmt: _constant("CALL"),
    ast.TransactionStmt: _transaction,
    ast.VariableSetStmt: _variable_set,
    ast.VariableShowStmt: _constant("SHOW"),
    ast.ConstraintsSetStmt: _constant("SET CONSTRAINTS"),
    ast.CreatedbStmt: _constant("CREATE DATABASE"),
    ast.DropdbStmt: _constant("DROP DATABASE"),
    ast.AlterSystemStmt: _constant("ALTER SYSTEM"),
    ast.InsertStmt: _dml("INSERT"),
    ast.UpdateStmt: _dml("UPDATE"),
    ast.DeleteStmt: _dml("DELETE"),
    ast.MergeStmt: _dml("MERGE"),
    ast.SelectStmt: _select,
}

__all__ = ["Action", "Classified", "Context", "RelationKind", "Session", "classify",
           "range_var_key"]
