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
    owned_sequence_name,
    query_relations,
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
    creates: list[str] = field(default_factory=list)  # relations the action brings into being

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


def _partitions(context: Context, name: str) -> list[str]:
    return [_display(key) for key in context.schema.partitions_of(_key_of_display(name))]


def _column_sequence(context: Context, table: str, column: str | None) -> list[str]:
    found = context.schema.column(_key_of_display(table), column or "")
    return [found.sequence] if found is not None and found.sequence else []


def _owned_sequences(context: Context, table: str) -> list[str]:
    relation = context.schema.get(_key_of_display(table))
    return list(relation.owned_sequences) if relation is not None else []


def _referenced_by_column(context: Context, table: str, column: str | None) -> list[str]:
    """Tables the foreign keys on ``column`` point at."""
    key = _key_of_display(table)
    return [
        _display(constraint.referenced)
        for constraint in context.schema.constraints_on_column(key, column or "")
        if constraint.kind is ConstraintKind.FOREIGN_KEY and constraint.referenced
        and constraint.referenced != key
    ]


def _referencing_column(context: Context, table: str, column: str | None) -> list[str]:
    """Tables whose foreign keys point at ``column``."""
    key = _key_of_display(table)
    return [
        _display(other)
        for other, _constraint in context.schema.foreign_keys_to_column(key, column or "")
        if other != key
    ]


def _missing(context: Context, name: str) -> bool:
    """``name`` is not in a schema that knows tables: IF EXISTS finds nothing."""
    return bool(context.schema.relations) and context.schema.get(_key_of_display(name)) is None


def _no_op(kind: str, description: str) -> Classified:
    return _single(kind, Action("NO-OP", description=description,
                                notes=["IF [NOT] EXISTS: nothing to do"]))


# --- ALTER TABLE -----------------------------------------------------------------


def _alter_table(node: ast.AlterTableStmt, context: Context) -> Classified:
    objtype = node.objtype
    target = range_var_display(node.relation)
    if objtype == ObjectType.OBJECT_INDEX:
        return _alter_index(node, target, context)
    if objtype in _ALTER_OTHER_KINDS:
        kind = _ALTER_OTHER_KINDS[objtype]
        return _single(kind, Action(kind, description=kind, relations={Role.TARGET: [target]}))
    if node.missing_ok and _missing(context, target):
        return _no_op("ALTER TABLE", f"ALTER TABLE IF EXISTS {target}")
    actions: list[Action] = []
    for command in node.cmds or ():
        if isinstance(command, ast.AlterTableCmd):
            actions.extend(_alter_table_command(command, target, context))
    if node.relation.inh:
        partitions = _partitions(context, target)
        for action in actions:
            if action.kind not in _NOT_RECURSIVE:
                action.add(Role.TARGET, *partitions)
    return Classified("ALTER TABLE", actions)


# Subcommands that act on the named table only, not on its partitions.
_NOT_RECURSIVE = frozenset(
    {
        "ALTER TABLE ATTACH PARTITION",
        "ALTER TABLE DETACH PARTITION",
        "ALTER TABLE INHERIT",
        "ALTER TABLE NO INHERIT",
        "ALTER TABLE ADD CONSTRAINT FOREIGN KEY",
    }
)


_ALTER_OTHER_KINDS = {
    ObjectType.OBJECT_VIEW: "ALTER VIEW",
    ObjectType.OBJECT_MATVIEW: "ALTER MATERIALIZED VIEW",
    ObjectType.OBJECT_SEQUENCE: "ALTER SEQUENCE",
}


def _alter_index(node: ast.AlterTableStmt, index: str, context: Context) -> Classified:
    actions = []
    for command in node.cmds or ():
        if not isinstance(command, ast.AlterTableCmd):
            continue
        if command.subtype == AlterTableType.AT_AttachPartition and isinstance(
            command.def_, ast.PartitionCmd
        ) and command.def_.name is not None:
            child = range_var_display(command.def_.name)
            action = Action("ALTER INDEX ATTACH PARTITION", description=f"ATTACH PARTITION "
                            f"{child}").add(Role.INDEX, index)
            action.add(Role.TARGET, *filter(None, [_table_of_index(context.schema, index)]))
            action.add(Role.PARTITION, *filter(None, [_table_of_index(context.schema, child)]))
            actions.append(action)
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
    action = Action(kind, description=description, relations={Role.TARGET: [target]},
                    column=cmd.name)
    if kind in _WHOLE_TABLE_SEQUENCES:
        action.add(Role.OWNED, *_owned_sequences(context, target))
    elif kind in _COLUMN_SEQUENCE:
        action.add(Role.OWNED, *_column_sequence(context, target, cmd.name))
    if kind == "ALTER TABLE ALTER COLUMN ADD IDENTITY":
        sequence = owned_sequence_name(_key_of_display(target), cmd.name or "")
        action.add(Role.OWNED, sequence)
        action.creates.append(sequence)
    if (kind, (cmd.name or "").lower()) in _NO_CHANGE:
        action.variant = "no change"
    if kind == "ALTER TABLE ALTER COLUMN SET EXPRESSION":
        column = context.schema.column(_key_of_display(target), cmd.name or "")
        if column is not None and column.generated == "virtual":
            action.variant = "virtual"
    return [action]


_WHOLE_TABLE_SEQUENCES = frozenset(
    {"ALTER TABLE SET LOGGED", "ALTER TABLE SET UNLOGGED", "ALTER TABLE OWNER TO"}
)
_COLUMN_SEQUENCE = frozenset(
    {"ALTER TABLE ALTER COLUMN SET IDENTITY", "ALTER TABLE ALTER COLUMN DROP IDENTITY",
     "ALTER TABLE DROP COLUMN"}
)
# Targets that are where a table already is unless told otherwise: no copy.
_NO_CHANGE = frozenset(
    {("ALTER TABLE SET TABLESPACE", "pg_default"), ("ALTER TABLE SET ACCESS METHOD", "heap")}
)


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
    if action.variant in ("identity", "volatile default") and _owns_sequence(column):
        sequence = owned_sequence_name(_key_of_display(target), name)
        action.add(Role.OWNED, sequence)
        action.creates.append(sequence)
    actions = [action]
    for constraint in column.constraints or ():
        if isinstance(constraint, ast.Constraint) and constraint.contype in _INLINE_CONSTRAINTS:
            inline = _constraint_action(constraint, target, context, column=name)
            if constraint.contype == ConstrType.CONSTR_FOREIGN and action.variant == "":
                inline.variant = "on a new empty column"
            actions.append(inline)
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


def _owns_sequence(column: ast.ColumnDef) -> bool:
    if column.typeName is not None and is_serial(column.typeName):
        return True
    return any(isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_IDENTITY
               for c in column.constraints or ())


def _drop_column(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    action = Action("ALTER TABLE DROP COLUMN", description=f"DROP COLUMN {cmd.name}",
                    relations={Role.TARGET: [target]}, column=cmd.name)
    action.add(Role.OWNED, *_column_sequence(context, target, cmd.name))
    action.add(Role.REFERENCED, *_referenced_by_column(context, target, cmd.name))
    if cmd.behavior == 1:  # CASCADE
        action.add(Role.REFERENCING, *_referencing_column(context, target, cmd.name))
    return [action]


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
        action.add(Role.REFERENCED, *_referenced_by_column(context, target, name))
        action.add(Role.REFERENCING, *_referencing_column(context, target, name))
        return [action]
    if existing is not None and existing.identity:
        action.add(Role.OWNED, *_column_sequence(context, target, name))
    action.add(Role.REFERENCED, *_referenced_by_column(context, target, name))
    action.add(Role.REFERENCING, *_referencing_column(context, target, name))
    verdict = judge_type_change(
        existing.type if existing else None,
        new_type,
        pg_version=context.pg_version,
        time_zone_is_utc=context.session.time_zone_is_utc,
    )
    action.notes.append(verdict.reason)
    if not verdict.rewrites:
        action.variant = "binary coercible"
        checks = [c for c in context.schema.constraints_on_column(_key_of_display(target), name)
                  if c.kind is ConstraintKind.CHECK]
        if checks:
            action.variant = "binary coercible, re-checked"
            action.notes.append(f"re-validates {', '.join(c.name for c in checks)}")
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
    if constraint is not None and cmd.behavior == 1:  # CASCADE
        for column in constraint.columns:
            action.add(Role.REFERENCING, *_referencing_column(context, target, column))
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
    AlterTableType.AT_DropColumn: _drop_column,
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
        action_kind = "ALTER SEQUENCE RENAME" if kind == "ALTER SEQUENCE" else kind
        return _single(kind, Action(action_kind, description=f"RENAME TO {new_name}",
                                    relations={Role.TARGET: [target]}))
    else:
        action = Action("ALTER TABLE RENAME", description=f"RENAME TO {new_name}")
    return _single("ALTER TABLE", action.add(Role.TARGET, target))


def _set_schema(node: ast.AlterObjectSchemaStmt, context: Context) -> Classified:
    if node.relation is None:
        return _single("ALTER", Action("GRANT/REVOKE", description="SET SCHEMA"))
    target = range_var_display(node.relation)
    action = Action("ALTER TABLE SET SCHEMA", description=f"SET SCHEMA {node.newschema}",
                    relations={Role.TARGET: [target]})
    action.add(Role.OWNED, *_owned_sequences(context, target))
    return _single("ALTER TABLE", action)


def _create_table(node: ast.CreateStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    if node.if_not_exists and context.schema.get(_key_of_display(target)) is not None:
        return _no_op("CREATE TABLE", f"CREATE TABLE IF NOT EXISTS {target}")
    action = Action("CREATE TABLE", description=f"CREATE TABLE {target}",
                    relations={Role.TARGET: [target]})
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef) and _owns_sequence(element):
            sequence = owned_sequence_name(_key_of_display(target), element.colname or "")
            action.add(Role.OWNED, sequence)
            action.creates.append(sequence)
        elif isinstance(element, ast.TableLikeClause) and element.relation is not None:
            source = range_var_display(element.relation)
            action.add(Role.SOURCE, source, *_owned_sequences(context, source))
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
        action.variant = "WITH NO DATA"
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
    relation = context.schema.get(_key_of_display(target))
    if relation is not None:
        action.add(Role.SOURCE, *_expand_reads(context, relation.sources))
    return _single("REFRESH MATERIALIZED VIEW", action)


def _index(node: ast.IndexStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    unique = "UNIQUE " if node.unique else ""
    action = Action("CREATE INDEX", "CONCURRENTLY" if node.concurrent else "",
                    f"CREATE {unique}INDEX {node.idxname or ''}".strip(),
                    {Role.TARGET: [target]})
    if node.relation.inh:
        action.add(Role.TARGET, *_partitions(context, target))
    existing = context.schema.get(relation_key(node.relation.schemaname, node.idxname or ""))
    if node.if_not_exists and existing is not None:
        action.variant = "already exists"
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
        action.add(Role.TARGET, name, *_partitions(context, name))
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
        if kind in _RELATION_DROPS and node.missing_ok and _missing(context, ".".join(names)):
            action.kind = "NO-OP"
            action.notes.append("IF EXISTS: nothing to drop")
        elif kind in _RELATION_DROPS and names:
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
            action.add(Role.TARGET, table, *_partitions(context, table))
        else:
            action.notes.append("the index's table is unknown (pass --schema)")
        return
    relation = context.schema.get(key)
    if action.kind == "DROP SEQUENCE":
        action.add(Role.TARGET, name)
        if cascade and relation is not None and relation.owner:
            action.add(Role.OWNER, _display(relation.owner))
        return
    action.add(Role.TARGET, name, *_partitions(context, name))
    if relation is None:
        return
    action.add(Role.OWNED, *relation.owned_sequences)
    for constraint in context.schema.foreign_keys_of(key):
        if constraint.referenced and constraint.referenced != key:
            action.add(Role.REFERENCED, _display(constraint.referenced))
    if cascade:
        for table, _constraint in context.schema.referencing(key):
            if table != key:
                action.add(Role.REFERENCING, _display(table))


def _truncate(node: ast.TruncateStmt, context: Context) -> Classified:
    names = [range_var_display(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    action = Action("TRUNCATE", description=f"TRUNCATE {', '.join(names)}",
                    relations={Role.TARGET: list(names)})
    if node.behavior == 1:  # CASCADE
        for name in names:
            action.add(Role.TARGET, *map(_display, context.schema.referencing_closure(
                _key_of_display(name))))
    for name in list(action.related(Role.TARGET)):
        action.add(Role.TARGET, *_partitions(context, name))
    if node.restart_seqs:
        for name in action.related(Role.TARGET):
            action.add(Role.OWNED, *_owned_sequences(context, name))
    return _single("TRUNCATE", action)


def _lock(node: ast.LockStmt, context: Context) -> Classified:
    names = [range_var_display(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    mode = LockMode(node.mode) if node.mode else LockMode.ACCESS_EXCLUSIVE
    action = Action("LOCK TABLE", description=f"LOCK {', '.join(names)} IN {mode.sql_name} MODE",
                    relations={Role.TARGET: list(names)}, lock_mode=mode)
    for relation in node.relations or ():
        if isinstance(relation, ast.RangeVar) and relation.inh:
            action.add(Role.TARGET, *_expand_reads(context, [range_var_display(relation)]))
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
    action = Action("ALTER SEQUENCE", description=f"ALTER SEQUENCE {target}",
                    relations={Role.TARGET: [target]})
    for option in node.options or ():
        if isinstance(option, ast.DefElem) and option.defname == "owned_by":
            parts = [p.sval for p in option.arg or () if isinstance(p, ast.String)] \
                if isinstance(option.arg, tuple) else []
            if len(parts) >= 2:
                action.add(Role.OWNER, ".".join(parts[:-1]))
    return _single("ALTER SEQUENCE", action)


def _grant(node: ast.GrantStmt, context: Context) -> Classified:
    verb = "GRANT" if node.is_grant else "REVOKE"
    tables = [range_var_display(o) for o in node.objects or () if isinstance(o, ast.RangeVar)]
    if node.objtype == ObjectType.OBJECT_TABLE and tables:
        return _single(verb, Action("GRANT/REVOKE ON TABLE", description=f"{verb} ON "
                                    f"{', '.join(tables)}", relations={Role.TARGET: tables}))
    return _single(verb, Action("GRANT/REVOKE", description=verb))


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


def _expand_reads(context: Context, names: Iterable[str]) -> list[str]:
    """What reading ``names`` really reads: views' tables and partitions too."""
    expanded: list[str] = []
    for name in names:
        key = _key_of_display(name)
        relation = context.schema.get(key)
        extra = [_display(k) for k in context.schema.view_sources(key)] \
            if relation is not None and relation.kind is RelationKind.VIEW else []
        for item in [name, *extra]:
            for candidate in [item, *_partitions(context, item)]:
                if candidate not in expanded:
                    expanded.append(candidate)
    return expanded


def _read_relations(node: ast.Node | None, context: Context, exclude: Iterable[str]) -> list[str]:
    excluded = set(exclude)
    return [_display(key) for key in query_relations(node) if _display(key) not in excluded]


def _storage_relations(context: Context, names: Iterable[str]) -> list[str]:
    return [n for n in names if context.schema.has_storage(_key_of_display(n))]


def _pins_indexed_column(where: ast.Node | None, context: Context, table: str) -> bool:
    """WHERE compares an indexed column with a value: an index scan, not a full scan."""
    if where is None:
        return False
    indexed = context.schema.indexed_leading_columns(_key_of_display(table))
    if isinstance(where, ast.BoolExpr) and where.boolop == 0:  # AND
        return any(_pins_indexed_column(arg, context, table) for arg in where.args or ())
    if isinstance(where, ast.A_Expr) and where.kind in (0, 7):  # "=", IN
        operator = [n.sval for n in where.name or () if isinstance(n, ast.String)]
        if where.kind == 0 and operator != ["="]:
            return False
        for side, other in ((where.lexpr, where.rexpr), (where.rexpr, where.lexpr)):
            if isinstance(side, ast.ColumnRef) and _is_value(other):
                fields = side.fields or ()
                if fields and isinstance(fields[-1], ast.String) and fields[-1].sval in indexed:
                    return True
    return False


def _is_value(node: ast.Node | tuple[ast.Node, ...] | None) -> bool:
    """A constant, a parameter or a list of them (IN): not another column."""
    if isinstance(node, ast.TypeCast):
        return _is_value(node.arg)
    if isinstance(node, tuple):
        return all(_is_value(item) for item in node)
    return isinstance(node, (ast.A_Const, ast.ParamRef))


class _NextvalCalls(visitors.Visitor):  # type: ignore[misc]
    def __init__(self) -> None:
        self.sequences: list[str] = []

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        name = [p.sval for p in node.funcname or () if isinstance(p, ast.String)]
        args = node.args or ()
        if name and name[-1] == "nextval" and args:
            argument = args[0]
            if isinstance(argument, ast.TypeCast):
                argument = argument.arg
            if isinstance(argument, ast.A_Const) and isinstance(argument.val, ast.String):
                self.sequences.append(str(argument.val.sval))


def _nextval_sequences(node: ast.Node) -> list[str]:
    finder = _NextvalCalls()
    finder(node)
    return finder.sequences


def _dml(kind: str) -> Classifier:
    def classify_dml(node: ast.Node, context: Context) -> Classified:
        relation = getattr(node, "relation", None)
        target = range_var_display(relation) if isinstance(relation, ast.RangeVar) else "?"
        action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]})
        where = getattr(node, "whereClause", None)
        if kind in ("UPDATE", "DELETE") and where is None:
            action.variant = "all rows"
        sources = _expand_reads(context, _read_relations(node, context, exclude=(target,)))
        action.add(Role.SOURCE, *sources)
        action.add(Role.SCANNED, *_storage_relations(context, sources))
        if kind in ("UPDATE", "DELETE", "MERGE"):
            action.add(Role.TARGET, *_partitions(context, target))
            if kind == "MERGE" or not _pins_indexed_column(where, context, target):
                action.add(Role.SCANNED, *_storage_relations(
                    context, action.related(Role.TARGET)))
        action.add(Role.OWNED, *_nextval_sequences(node))
        _foreign_key_checks(action, node, context, kind, target)
        return _single(kind, action)

    return classify_dml


def _foreign_key_checks(action: Action, node: ast.Node, context: Context, kind: str,
                        target: str) -> None:
    """Row locks foreign key checks take at once (deferred ones wait for COMMIT)."""
    key = _key_of_display(target)
    written = _written_columns(node)
    if kind == "INSERT":
        for sequence_column in _defaulted_sequence_columns(context, key, written):
            action.add(Role.OWNED, sequence_column)
    if kind in ("INSERT", "UPDATE"):
        for constraint in context.schema.foreign_keys_of(key):
            touched = written is None or any(c in written for c in constraint.columns)
            if constraint.referenced and not constraint.deferred and touched:
                action.add(Role.REFERENCED, _display(constraint.referenced))
    if kind == "DELETE":
        for other, constraint in context.schema.referencing(key):
            if other == key:
                continue
            if constraint.on_delete in ("c", "n", "d"):
                action.add(Role.CASCADED, _display(other))
            elif not constraint.deferred:
                action.add(Role.REFERENCING, _display(other))


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


def _select(node: ast.SelectStmt, context: Context) -> Classified:
    names = _expand_reads(context, _read_relations(node, context, exclude=()))
    locked: set[str] = set()
    for clause in node.lockingClause or ():
        if isinstance(clause, ast.LockingClause):
            locked.update(range_var_display(r) for r in clause.lockedRels or ()
                          if isinstance(r, ast.RangeVar))
    action = Action("SELECT", description="SELECT")
    if node.lockingClause:
        action.variant = "FOR UPDATE/SHARE"
        action.description = "SELECT ... FOR UPDATE/SHARE"
        for name in names:
            action.add(Role.TARGET if not locked or name in locked else Role.SOURCE, name)
    else:
        action.add(Role.SOURCE, *names)
    single = len(node.fromClause or ()) == 1 and isinstance(node.fromClause[0], ast.RangeVar)
    for name in _storage_relations(context, names):
        if not (single and _pins_indexed_column(node.whereClause, context, name)):
            action.add(Role.SCANNED, name)
    action.add(Role.OWNED, *_nextval_sequences(node))
    return _single("SELECT", action)


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
    ast.GrantStmt: _grant,
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
