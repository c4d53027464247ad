"""ALTER TABLE and its subcommands, ALTER INDEX, RENAME and SET SCHEMA."""


from __future__ import annotations

from collections.abc import Callable, Iterable

from pglast import ast
from pglast.enums import (
    AlterTableType,
    ConstrType,
    ObjectType,
)

from sqlreview.pg import knowledge
from sqlreview.pg.classify.base import (
    Action,
    Classified,
    Context,
    column_sequence,
    default_partition,
    display,
    missing,
    no_op,
    owned_sequences,
    partitions,
    referenced_by_column,
    referencing_column,
    replay_lacks,
    single,
    table_of_index,
)
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.nodes import string_values, walk
from sqlreview.pg.schema import (
    ConstraintKind,
    RelationKind,
    key_of,
    owned_sequence_name,
    range_var_display,
)
from sqlreview.pg.types import ColumnType, is_serial, judge_type_change

# --- ALTER TABLE -----------------------------------------------------------------


def alter_table(node: ast.AlterTableStmt, context: Context) -> Classified:
    objtype = node.objtype
    target = range_var_display(node.relation)
    if objtype == ObjectType.OBJECT_INDEX:
        return _alter_index(node, target, context)
    if objtype in _ALTER_OTHER_KINDS:
        kind = _ALTER_OTHER_KINDS[objtype]
        action = Action(StatementKind(kind), description=kind, relations={Role.TARGET: [target]})
        return single(kind, action)
    absent = bool(node.missing_ok) and missing(context, target)
    if absent and not context.replayed_schema:
        return no_op("ALTER TABLE", f"ALTER TABLE IF EXISTS {target}")
    actions: list[Action] = []
    for command in node.cmds or ():
        if isinstance(command, ast.AlterTableCmd):
            actions.extend(_alter_table_command(command, target, context))
    if absent and actions:
        actions[0].notes.append(replay_lacks(target))
    if node.relation is not None and node.relation.inh:
        children = partitions(context, target)
        for action in actions:
            if action.kind not in _NOT_RECURSIVE and action.variant != "already nullable":
                action.add(Role.TARGET, *children)
    return Classified("ALTER TABLE", actions)


# Subcommands that act on the named table only, not on its partitions.
_NOT_RECURSIVE = frozenset(
    {
        StatementKind.ALTER_TABLE_ATTACH_PARTITION,
        StatementKind.ALTER_TABLE_DETACH_PARTITION,
        StatementKind.ALTER_TABLE_INHERIT,
        StatementKind.ALTER_TABLE_NO_INHERIT,
        StatementKind.ALTER_TABLE_ADD_CONSTRAINT_FOREIGN_KEY,
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
            action = Action(StatementKind.ALTER_INDEX_ATTACH_PARTITION,
                            description=f"ATTACH PARTITION {child}").add(Role.INDEX, index)
            action.add(Role.TARGET, *filter(None, [table_of_index(context.schema, index)]))
            action.add(Role.PARTITION, *filter(None, [table_of_index(context.schema, child)]))
            actions.append(action)
            continue
        kind = (
            StatementKind.ALTER_INDEX_SET_TABLESPACE
            if command.subtype == AlterTableType.AT_SetTableSpace
            else StatementKind.ALTER_INDEX_OTHER
        )
        actions.append(Action(StatementKind(kind), description=kind.removeprefix("ALTER INDEX "))
                       .add(Role.INDEX, index))
    return Classified("ALTER INDEX", actions)


# Subcommands whose effect does not depend on details: subtype -> (kind, verb).
_SIMPLE_SUBCOMMANDS: dict[int, str] = {
    AlterTableType.AT_SetStatistics: StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_STATISTICS,
    AlterTableType.AT_SetOptions: StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_ATTRIBUTE_OPTION,
    AlterTableType.AT_ResetOptions: StatementKind.ALTER_TABLE_ALTER_COLUMN_RESET_ATTRIBUTE_OPTION,
    AlterTableType.AT_SetStorage: StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_STORAGE,
    AlterTableType.AT_SetCompression: StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_COMPRESSION,
    AlterTableType.AT_AddIdentity: StatementKind.ALTER_TABLE_ALTER_COLUMN_ADD_IDENTITY,
    AlterTableType.AT_SetIdentity: StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_IDENTITY,
    AlterTableType.AT_DropIdentity: StatementKind.ALTER_TABLE_ALTER_COLUMN_DROP_IDENTITY,
    AlterTableType.AT_SetExpression: StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_EXPRESSION,
    AlterTableType.AT_DropExpression: StatementKind.ALTER_TABLE_ALTER_COLUMN_DROP_EXPRESSION,
    AlterTableType.AT_AlterColumnGenericOptions: StatementKind.ALTER_TABLE_ALTER_COLUMN_OPTIONS,
    AlterTableType.AT_AlterConstraint: StatementKind.ALTER_TABLE_ALTER_CONSTRAINT,
    AlterTableType.AT_SetLogged: StatementKind.ALTER_TABLE_SET_LOGGED,
    AlterTableType.AT_SetUnLogged: StatementKind.ALTER_TABLE_SET_UNLOGGED,
    AlterTableType.AT_SetTableSpace: StatementKind.ALTER_TABLE_SET_TABLESPACE,
    AlterTableType.AT_SetAccessMethod: StatementKind.ALTER_TABLE_SET_ACCESS_METHOD,
    AlterTableType.AT_ClusterOn: StatementKind.ALTER_TABLE_CLUSTER_ON,
    AlterTableType.AT_DropCluster: StatementKind.ALTER_TABLE_SET_WITHOUT_CLUSTER,
    AlterTableType.AT_EnableTrig: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_EnableAlwaysTrig: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_EnableReplicaTrig: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_DisableTrig: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_EnableTrigAll: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_DisableTrigAll: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_EnableTrigUser: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_DisableTrigUser: StatementKind.ALTER_TABLE_ENABLE_DISABLE_TRIGGER,
    AlterTableType.AT_EnableRule: StatementKind.ALTER_TABLE_ENABLE_DISABLE_RULE,
    AlterTableType.AT_EnableAlwaysRule: StatementKind.ALTER_TABLE_ENABLE_DISABLE_RULE,
    AlterTableType.AT_EnableReplicaRule: StatementKind.ALTER_TABLE_ENABLE_DISABLE_RULE,
    AlterTableType.AT_DisableRule: StatementKind.ALTER_TABLE_ENABLE_DISABLE_RULE,
    AlterTableType.AT_EnableRowSecurity: StatementKind.ALTER_TABLE_ROW_LEVEL_SECURITY,
    AlterTableType.AT_DisableRowSecurity: StatementKind.ALTER_TABLE_ROW_LEVEL_SECURITY,
    AlterTableType.AT_ForceRowSecurity: StatementKind.ALTER_TABLE_ROW_LEVEL_SECURITY,
    AlterTableType.AT_NoForceRowSecurity: StatementKind.ALTER_TABLE_ROW_LEVEL_SECURITY,
    AlterTableType.AT_ReplicaIdentity: StatementKind.ALTER_TABLE_REPLICA_IDENTITY,
    AlterTableType.AT_ChangeOwner: StatementKind.ALTER_TABLE_OWNER_TO,
    AlterTableType.AT_AddOf: StatementKind.ALTER_TABLE_OF,
    AlterTableType.AT_DropOf: StatementKind.ALTER_TABLE_OF,
}


def _alter_table_command(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    subtype = int(cmd.subtype) if cmd.subtype is not None else -1
    handler = _SUBCOMMAND_HANDLERS.get(subtype)
    if handler is not None:
        return handler(cmd, target, context)
    kind = _SIMPLE_SUBCOMMANDS.get(subtype, StatementKind.ALTER_TABLE_OTHER)
    verb = kind.removeprefix("ALTER TABLE ")
    if kind == StatementKind.ALTER_TABLE_OTHER:
        verb = cmd.subtype.name.removeprefix("AT_") if cmd.subtype is not None else "?"
    description = f"{verb} {cmd.name}" if cmd.name else verb
    action = Action(StatementKind(kind), description=description, relations={Role.TARGET: [target]},
                    column=cmd.name)
    if kind in _WHOLE_TABLE_SEQUENCES:
        action.add(Role.OWNED, *owned_sequences(context, target))
    elif kind in _COLUMN_SEQUENCE:
        action.add(Role.OWNED, *column_sequence(context, target, cmd.name))
    if kind == StatementKind.ALTER_TABLE_ALTER_COLUMN_ADD_IDENTITY:
        sequence = owned_sequence_name(key_of(target), cmd.name or "")
        action.add(Role.OWNED, sequence)
        action.creates.append(sequence)
    if (kind, (cmd.name or "").lower()) in _NO_CHANGE:
        action.variant = "no change"
    if kind == StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_EXPRESSION:
        column = context.schema.column(key_of(target), cmd.name or "")
        if column is not None and column.generated == "virtual":
            action.variant = "virtual"
    return [action]


_WHOLE_TABLE_SEQUENCES = frozenset({
    StatementKind.ALTER_TABLE_SET_LOGGED,
    StatementKind.ALTER_TABLE_SET_UNLOGGED,
    StatementKind.ALTER_TABLE_OWNER_TO,
})
_COLUMN_SEQUENCE = frozenset({
    StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_IDENTITY,
    StatementKind.ALTER_TABLE_ALTER_COLUMN_DROP_IDENTITY,
    StatementKind.ALTER_TABLE_DROP_COLUMN,
})
# Targets that are where a table already is unless told otherwise: no copy.
_NO_CHANGE = frozenset({
    (StatementKind.ALTER_TABLE_SET_TABLESPACE, "pg_default"),
    (StatementKind.ALTER_TABLE_SET_ACCESS_METHOD, "heap"),
})


def _add_column(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    column = cmd.def_
    if not isinstance(column, ast.ColumnDef):
        return []
    name = column.colname or "?"
    action = Action(
        StatementKind.ALTER_TABLE_ADD_COLUMN,
        _add_column_variant(column),
        f"ADD COLUMN {name}",
        {Role.TARGET: [target]},
        column=name,
    )
    if action.variant in ("identity", "volatile default") and owns_sequence(column):
        sequence = owned_sequence_name(key_of(target), name)
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


def owns_sequence(column: ast.ColumnDef) -> bool:
    if column.typeName is not None and is_serial(column.typeName):
        return True
    return any(isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_IDENTITY
               for c in column.constraints or ())


def _drop_column(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    action = Action(StatementKind.ALTER_TABLE_DROP_COLUMN, description=f"DROP COLUMN {cmd.name}",
                    relations={Role.TARGET: [target]}, column=cmd.name)
    action.add(Role.OWNED, *column_sequence(context, target, cmd.name))
    action.add(Role.REFERENCED, *referenced_by_column(context, target, cmd.name))
    if cmd.behavior == 1:  # CASCADE
        action.add(Role.REFERENCING, *referencing_column(context, target, cmd.name))
        action.add(Role.DEPENDENT, *map(display, context.schema.views_using_column(
            key_of(target), cmd.name or "")))
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
    names = [parts[-1].lower() for node in walk(expression) if isinstance(node, ast.FuncCall)
             for parts in [string_values(node.funcname or ())] if parts]
    return any(
        name in knowledge.VOLATILE_FUNCTIONS or name not in knowledge.NON_VOLATILE_FUNCTIONS
        for name in names
    )


def _alter_column_type(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    column = cmd.def_
    name = cmd.name or "?"
    if not isinstance(column, ast.ColumnDef) or column.typeName is None:
        return []
    new_type = ColumnType.from_node(column.typeName)
    existing = context.schema.column(key_of(target), name)
    action = Action(
        StatementKind.ALTER_TABLE_ALTER_COLUMN_TYPE,
        description=f"ALTER COLUMN {name} TYPE {new_type}",
        relations={Role.TARGET: [target]},
        column=name,
    )
    if column.raw_default is not None and not _is_plain_cast_of(column.raw_default, name):
        action.notes.append("a USING expression converts every row")
        action.add(Role.REFERENCED, *referenced_by_column(context, target, name))
        action.add(Role.REFERENCING, *referencing_column(context, target, name))
        return [action]
    if existing is not None and existing.identity:
        action.add(Role.OWNED, *column_sequence(context, target, name))
    action.add(Role.REFERENCED, *referenced_by_column(context, target, name))
    action.add(Role.REFERENCING, *referencing_column(context, target, name))
    verdict = judge_type_change(
        existing.type if existing else None,
        new_type,
        pg_version=context.pg_version,
        time_zone_is_utc=context.session.time_zone_is_utc,
    )
    action.notes.append(verdict.reason)
    if not verdict.rewrites:
        action.variant = "binary coercible"
        if column.collClause is not None and _indexed(context, target, name):
            action.variant = "binary coercible, re-checked"
            action.notes.append("a new collation rebuilds the indexes on the column")
        checks = [c for c in context.schema.constraints_on_column(key_of(target), name)
                  if c.kind is ConstraintKind.CHECK]
        if checks:
            action.variant = "binary coercible, re-checked"
            action.rechecked = [c.name for c in checks]
            action.notes.append(f"re-validates {', '.join(action.rechecked)}")
    return [action]


def _indexed(context: Context, table: str, column: str) -> bool:
    key = key_of(table)
    return any(column in context.schema.relations[index].index_columns
               for index in context.schema.indexes_of(key))


def _is_plain_cast_of(expression: ast.Node, column: str) -> bool:
    """``USING col`` or ``USING col::type`` (what Django writes) change nothing by themselves."""
    if isinstance(expression, ast.TypeCast) and expression.arg is not None:
        expression = expression.arg
    if isinstance(expression, ast.ColumnRef):
        fields = expression.fields or ()
        return bool(fields) and isinstance(fields[-1], ast.String) and fields[-1].sval == column
    return False


def _set_default(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    verb = "SET DEFAULT" if cmd.def_ is not None else "DROP DEFAULT"
    return [Action(StatementKind(f"ALTER TABLE ALTER COLUMN {verb}"),
                   description=f"ALTER COLUMN {cmd.name} {verb}", relations={Role.TARGET: [target]},
                   column=cmd.name)]


def _set_not_null(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    name = cmd.name or "?"
    relation = context.schema.get(key_of(target))
    proven = relation is not None and any(
        c.kind is ConstraintKind.CHECK and c.valid and c.not_null_column == name
        for c in relation.constraints.values()
    )
    column = relation.columns.get(name) if relation is not None else None
    variant = "proven by a valid CHECK" if proven else ""
    if column is not None and column.not_null:
        variant = "already NOT NULL"
    return [Action(StatementKind.ALTER_TABLE_ALTER_COLUMN_SET_NOT_NULL, variant,
                   f"ALTER COLUMN {name} SET NOT NULL", {Role.TARGET: [target]}, column=name)]


def _drop_not_null(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    name = cmd.name or "?"
    column = context.schema.column(key_of(target), name)
    action = Action(StatementKind.ALTER_TABLE_ALTER_COLUMN_DROP_NOT_NULL,
                    description=f"ALTER COLUMN {name} DROP NOT NULL",
                    relations={Role.TARGET: [target]}, column=name)
    if column is not None and not column.not_null:
        action.variant = "already nullable"
    return [action]


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
        return [Action(StatementKind.ALTER_TABLE_OTHER, description="ADD CONSTRAINT",
                       relations={Role.TARGET: [target]})]
    return [_constraint_action(constraint, target, context)]


def _constraint_kind(label: str) -> StatementKind:
    """ALTER TABLE ADD CONSTRAINT CHECK, ...; a constraint type the table has no row for: OTHER."""
    try:
        return StatementKind(f"ALTER TABLE ADD CONSTRAINT {label}")
    except ValueError:
        return StatementKind.OTHER


def _constraint_action(
    constraint: ast.Constraint, target: str, context: Context, column: str | None = None
) -> Action:
    contype = constraint.contype
    label = _CONSTRAINT_KINDS.get(contype, "?") if contype is not None else "?"
    # An unnamed one (ADD COLUMN ... CHECK (...)) is "ADD CHECK", not "ADD CONSTRAINT CHECK CHECK".
    described = f"ADD CONSTRAINT {constraint.conname} {label}" if constraint.conname else (
        f"ADD {label}")
    action = Action(_constraint_kind(label), _constraint_variant(constraint),
                    described, {Role.TARGET: [target]}, column=column)
    if constraint.pktable is not None:
        referenced = range_var_display(constraint.pktable)
        if key_of(referenced) != key_of(target):
            action.add(Role.REFERENCED, referenced)
    if contype == ConstrType.CONSTR_FOREIGN and action.variant == "" and _new_and_empty(
            context, target):
        action.variant = "from a new empty table"
    return action


def _new_and_empty(context: Context, table: str) -> bool:
    """Created by the input under review and never filled: PostgreSQL validates a
    foreign key by reading the referencing table, so there is nothing to check."""
    relation = context.schema.get(key_of(table))
    return relation is not None and relation.new and relation.empty


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
    constraint = context.schema.find_constraint(key_of(target), cmd.name or "")
    action = Action(StatementKind.ALTER_TABLE_VALIDATE_CONSTRAINT,
                    description=f"VALIDATE CONSTRAINT {cmd.name}",
                    relations={Role.TARGET: [target]})
    if constraint is not None and constraint.valid:
        action.variant = "already valid"
    elif constraint is not None and constraint.kind is ConstraintKind.FOREIGN_KEY:
        action.variant = "foreign key"
        if constraint.referenced:
            action.add(Role.REFERENCED, display(constraint.referenced))
    return [action]


def _drop_constraint(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    constraint = context.schema.find_constraint(key_of(target), cmd.name or "")
    action = Action(StatementKind.ALTER_TABLE_DROP_CONSTRAINT,
                    description=f"DROP CONSTRAINT {cmd.name}", relations={Role.TARGET: [target]})
    if constraint is not None and constraint.kind is ConstraintKind.FOREIGN_KEY:
        action.variant = "foreign key"
        if constraint.referenced and constraint.referenced != key_of(target):
            action.add(Role.REFERENCED, display(constraint.referenced))
    if constraint is not None and cmd.behavior == 1:  # CASCADE
        for column in constraint.columns:
            action.add(Role.REFERENCING, *referencing_column(context, target, column))
    return [action]


def _storage_parameters(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    verb = "RESET" if cmd.subtype == AlterTableType.AT_ResetRelOptions else "SET"
    names = [name for _namespace, name in _with_namespaces(cmd)]
    if names and all(_is_weak_parameter(d, n) for d, n in _with_namespaces(cmd)):
        variant = "weak parameter"
    else:
        variant = ""
    return [Action(StatementKind(f"ALTER TABLE {verb} (storage parameter)"), variant,
                   f"{verb} ({', '.join(names)})", {Role.TARGET: [target]})]


def _with_namespaces(cmd: ast.AlterTableCmd) -> Iterable[tuple[str | None, str]]:
    for definition in cmd.def_ if isinstance(cmd.def_, tuple) else ():
        if isinstance(definition, ast.DefElem):
            yield definition.defnamespace, definition.defname or ""


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
    action = Action(StatementKind(f"ALTER TABLE {verb}"), variant, f"{verb} {partition}",
                    {Role.TARGET: [target], Role.PARTITION: [partition]})
    if attach:
        action.variant = _attach_variant(context, key_of(target), key_of(partition))
    bound = partition_cmd.bound
    if not (attach and bound is not None and bound.is_default):
        locked, scanned = default_partition(context, target, partition)
        action.add(Role.DEFAULT_PARTITION, *locked)
        if attach and scanned:
            action.add(Role.SCANNED, *scanned)
            if action.variant == "bound proven by a CHECK":
                action.variant = "bound proven, reads the DEFAULT partition"
    return [action]


def _attach_variant(context: Context, parent: str, partition: str) -> str:
    """Whether Postgres must read the partition: to prove its bound (unless a
    validated CHECK on the partition key does), or to build the parent's indexes
    it lacks."""
    schema = context.schema
    parent_relation, partition_relation = schema.get(parent), schema.get(partition)
    if parent_relation is None or partition_relation is None:
        return ""
    key = set(parent_relation.partition_key)
    proven = bool(key) and any(
        c.kind is ConstraintKind.CHECK and c.valid and key <= set(c.columns)
        for c in partition_relation.constraints.values()
    )
    if not proven:
        return ""
    present = {schema.relations[i].index_columns for i in schema.indexes_of(partition)}
    missing = [i for i in schema.indexes_of(parent)
               if schema.relations[i].index_columns not in present]
    return "bound proven, builds indexes" if missing else "bound proven by a CHECK"


def _inherit(cmd: ast.AlterTableCmd, target: str, context: Context) -> list[Action]:
    parent = range_var_display(cmd.def_) if isinstance(cmd.def_, ast.RangeVar) else None
    verb = "INHERIT" if cmd.subtype == AlterTableType.AT_AddInherit else "NO INHERIT"
    action = Action(StatementKind(f"ALTER TABLE {verb}"), description=f"{verb} {parent}",
                    relations={Role.TARGET: [target]})
    if parent:
        action.add(Role.PARENT, parent)
    return [action]


_SUBCOMMAND_HANDLERS: dict[int, Callable[[ast.AlterTableCmd, str, Context], list[Action]]] = {
    AlterTableType.AT_AddColumn: _add_column,
    AlterTableType.AT_DropNotNull: _drop_not_null,
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


def rename(node: ast.RenameStmt, context: Context) -> Classified:
    new_name = node.newname
    if node.relation is None:
        return single("RENAME", Action(StatementKind.GRANT_REVOKE,
                                       description=f"RENAME TO {new_name}"))
    target = range_var_display(node.relation)
    rename_type = node.renameType
    if rename_type == ObjectType.OBJECT_COLUMN:
        action = Action(StatementKind.ALTER_TABLE_RENAME_COLUMN,
                        description=f"RENAME COLUMN {node.subname} TO {new_name}",
                        column=node.subname)
    elif rename_type == ObjectType.OBJECT_TABCONSTRAINT:
        action = Action(StatementKind.ALTER_TABLE_RENAME_CONSTRAINT,
                        description=f"RENAME CONSTRAINT {node.subname} TO {new_name}")
    elif rename_type == ObjectType.OBJECT_INDEX:
        return single("ALTER INDEX", Action(StatementKind.ALTER_INDEX_RENAME,
                                            description=f"RENAME TO {new_name}",
                                            relations={Role.INDEX: [target]}))
    elif rename_type == ObjectType.OBJECT_TRIGGER:
        action = Action(StatementKind.DROP_TRIGGER, description=f"RENAME TRIGGER {node.subname}")
    elif rename_type in _ALTER_OTHER_KINDS:
        kind = _ALTER_OTHER_KINDS[rename_type]
        action_kind = (StatementKind.ALTER_SEQUENCE_RENAME if kind == "ALTER SEQUENCE"
                       else StatementKind(kind))
        return single(kind, Action(action_kind, description=f"RENAME TO {new_name}",
                                    relations={Role.TARGET: [target]}))
    elif _kind_of(context, target) is RelationKind.SEQUENCE:
        # ALTER TABLE works on a sequence too; application code never names it.
        return single("ALTER SEQUENCE", Action(StatementKind.ALTER_SEQUENCE_RENAME,
                                               description=f"RENAME TO {new_name}",
                                               relations={Role.TARGET: [target]}))
    elif _kind_of(context, target) is RelationKind.INDEX:
        return single("ALTER INDEX", Action(StatementKind.ALTER_INDEX_RENAME,
                                            description=f"RENAME TO {new_name}",
                                            relations={Role.INDEX: [target]}))
    else:
        action = Action(StatementKind.ALTER_TABLE_RENAME, description=f"RENAME TO {new_name}")
    return single("ALTER TABLE", action.add(Role.TARGET, target))


def _kind_of(context: Context, name: str) -> RelationKind | None:
    relation = context.schema.get(key_of(name))
    return relation.kind if relation is not None else None


def set_schema(node: ast.AlterObjectSchemaStmt, context: Context) -> Classified:
    if node.relation is None:
        return single("ALTER", Action(StatementKind.GRANT_REVOKE, description="SET SCHEMA"))
    target = range_var_display(node.relation)
    action = Action(StatementKind.ALTER_TABLE_SET_SCHEMA,
                    description=f"SET SCHEMA {node.newschema}", relations={Role.TARGET: [target]})
    action.add(Role.OWNED, *owned_sequences(context, target))
    return single("ALTER TABLE", action)
