"""Statements that create, drop or maintain relations: CREATE TABLE/INDEX/VIEW, DROP,
TRUNCATE, LOCK, VACUUM, COMMENT, GRANT, sequences and types."""


from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import (
    ObjectType,
    ReindexObjectType,
)

from sqlreview.locking import LockMode
from sqlreview.pg.classify.alter_table import owns_sequence
from sqlreview.pg.classify.base import (
    Action,
    Classified,
    Context,
    default_partition,
    display,
    expand_reads,
    expand_views,
    missing,
    no_op,
    owned_sequences,
    partitions,
    read_relations,
    replay_lacks,
    single,
    table_of_index,
)
from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import Role
from sqlreview.pg.nodes import string_values, walk
from sqlreview.pg.parse import iter_statements
from sqlreview.pg.query_facts import query_facts
from sqlreview.pg.schema import (
    RelationKind,
    key_of,
    owned_sequence_name,
    range_var_display,
    relation_key,
)


def create_table(node: ast.CreateStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    if node.if_not_exists and context.schema.get(key_of(target)) is not None:
        return no_op("CREATE TABLE", f"CREATE TABLE IF NOT EXISTS {target}")
    if node.relation is not None and node.relation.relpersistence == "t":
        return single("CREATE TABLE", Action(StatementKind.CREATE_TABLE,
                                             description=f"CREATE TEMPORARY TABLE {target}",
                                             notes=["temporary: private to the session"]))
    action = Action(StatementKind.CREATE_TABLE, description=f"CREATE TABLE {target}",
                    relations={Role.TARGET: [target]}, creates=[target])
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef) and owns_sequence(element):
            sequence = owned_sequence_name(key_of(target), element.colname or "")
            action.add(Role.OWNED, sequence)
            action.creates.append(sequence)
        elif isinstance(element, ast.TableLikeClause) and element.relation is not None:
            source = range_var_display(element.relation)
            action.add(Role.SOURCE, source, *owned_sequences(context, source))
    if node.partbound is not None:
        action.variant = "PARTITION OF"
        for parent in node.inhRelations or ():
            if isinstance(parent, ast.RangeVar):
                action.add(Role.PARENT, range_var_display(parent))
                if not node.partbound.is_default:
                    locked, scanned = default_partition(context, range_var_display(parent))
                    action.add(Role.DEFAULT_PARTITION, *locked)
                    if scanned:
                        action.add(Role.SCANNED, *scanned)
                        action.variant = "PARTITION OF, reads the DEFAULT partition"
    for constraint in _all_constraints(node):
        if constraint.pktable is not None:
            referenced = range_var_display(constraint.pktable)
            if key_of(referenced) != key_of(target):
                action.add(Role.REFERENCED, referenced)
    return single("CREATE TABLE", action)


def _all_constraints(node: ast.CreateStmt) -> Iterable[ast.Constraint]:
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint):
            yield element
        elif isinstance(element, ast.ColumnDef):
            yield from (c for c in element.constraints or () if isinstance(c, ast.Constraint))


def create_table_as(node: ast.CreateTableAsStmt, context: Context) -> Classified:
    kind = (
        StatementKind.CREATE_MATERIALIZED_VIEW
        if node.objtype == ObjectType.OBJECT_MATVIEW
        else StatementKind.CREATE_TABLE_AS
    )
    target = range_var_display(node.into.rel) if node.into and node.into.rel else "?"
    action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]},
                    creates=[target])
    action.add(Role.SOURCE, *read_relations(query_facts(node.query)))
    if node.into is not None and node.into.skipData:
        action.variant = "WITH NO DATA"
    return single(kind.value, action)


def view(node: ast.ViewStmt, context: Context) -> Classified:
    target = range_var_display(node.view)
    exists = context.schema.get(key_of(target)) is not None
    kind = (StatementKind.CREATE_OR_REPLACE_VIEW if node.replace and exists
            else StatementKind.CREATE_VIEW)
    action = Action(kind, description=f"{kind} {target}", relations={Role.TARGET: [target]},
                    creates=[target] if kind == StatementKind.CREATE_VIEW else [])
    action.add(Role.SOURCE, *read_relations(query_facts(node.query)))
    return single(kind.value, action)


def refresh(node: ast.RefreshMatViewStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    variant = "CONCURRENTLY" if node.concurrent else ""
    action = Action(StatementKind.REFRESH_MATERIALIZED_VIEW, variant, f"REFRESH {target}",
                    {Role.TARGET: [target]})
    if node.skipData:
        action.variant = "WITH NO DATA"
        return single("REFRESH MATERIALIZED VIEW", action)
    relation = context.schema.get(key_of(target))
    if relation is not None:
        action.add(Role.SOURCE, *expand_reads(context, relation.sources))
    return single("REFRESH MATERIALIZED VIEW", action)


def index(node: ast.IndexStmt, context: Context) -> Classified:
    target = range_var_display(node.relation)
    unique = "UNIQUE " if node.unique else ""
    action = Action(StatementKind.CREATE_INDEX, "CONCURRENTLY" if node.concurrent else "",
                    f"CREATE {unique}INDEX {node.idxname or ''}".strip(),
                    {Role.TARGET: [target]})
    if node.relation is not None and node.relation.inh:
        action.add(Role.TARGET, *partitions(context, target))
    existing = context.schema.get(relation_key(
        node.relation.schemaname if node.relation else None, node.idxname or ""
    ))
    if node.if_not_exists and existing is not None:
        action.variant = "already exists"
    action.key_column = _leading_column(node)
    if node.whereClause is not None:
        action.notes.append("partial index")
    elif not node.unique:
        action.covered_by = _covering_index(node, target, context)
    return single("CREATE INDEX", action)


def _leading_column(node: ast.IndexStmt) -> str | None:
    leading = node.indexParams[0] if node.indexParams else None
    return leading.name if isinstance(leading, ast.IndexElem) else None


def _covering_index(node: ast.IndexStmt, target: str, context: Context) -> str | None:
    """An index of the table that already starts with this plain index's columns."""
    columns = tuple(element.name for element in node.indexParams or ()
                    if isinstance(element, ast.IndexElem))
    if not columns or any(column is None for column in columns):
        return None  # an expression index
    for name in context.schema.indexes_of(key_of(target)):
        index = context.schema.get(name)
        if (index is not None and name != key_of(node.idxname or "")
                and index.index_columns[:len(columns)] == columns):
            return display(name)
    return None


def reindex(node: ast.ReindexStmt, context: Context) -> Classified:
    concurrently = any(isinstance(p, ast.DefElem) and p.defname == "concurrently"
                       for p in node.params or ())
    action = Action(StatementKind.REINDEX, "CONCURRENTLY" if concurrently else "")
    if node.relation is None:
        action.kind = StatementKind.OTHER
        action.description = f"REINDEX {node.name or ''}".strip()
        action.notes.append("reindexes a whole schema or database")
        return single("REINDEX", action)
    name = range_var_display(node.relation)
    if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX:
        action.description = f"REINDEX INDEX {name}"
        action.add(Role.INDEX, name)
        table = table_of_index(context.schema, name)
        if table:
            action.add(Role.TARGET, table)
    else:
        action.description = f"REINDEX TABLE {name}"
        action.add(Role.TARGET, name, *partitions(context, name))
        action.add(Role.INDEX, *context.schema.indexes_of(key_of(name)))
    if action.variant:
        action.relations.pop(Role.INDEX, None)
    return single("REINDEX", action)


_DROP_KINDS = {
    ObjectType.OBJECT_TABLE: StatementKind.DROP_TABLE,
    ObjectType.OBJECT_INDEX: StatementKind.DROP_INDEX,
    ObjectType.OBJECT_VIEW: StatementKind.DROP_VIEW,
    ObjectType.OBJECT_MATVIEW: StatementKind.DROP_MATERIALIZED_VIEW,
    ObjectType.OBJECT_SEQUENCE: StatementKind.DROP_SEQUENCE,
    ObjectType.OBJECT_FOREIGN_TABLE: StatementKind.DROP_TABLE,
    ObjectType.OBJECT_TYPE: StatementKind.DROP_TYPE,
    ObjectType.OBJECT_DOMAIN: StatementKind.DROP_TYPE,
    ObjectType.OBJECT_EXTENSION: StatementKind.DROP_EXTENSION,
    ObjectType.OBJECT_FUNCTION: StatementKind.DROP_FUNCTION,
    ObjectType.OBJECT_PROCEDURE: StatementKind.DROP_FUNCTION,
    ObjectType.OBJECT_SCHEMA: StatementKind.DROP_SCHEMA,
    ObjectType.OBJECT_TRIGGER: StatementKind.DROP_TRIGGER,
    ObjectType.OBJECT_POLICY: StatementKind.DROP_POLICY,
    ObjectType.OBJECT_RULE: StatementKind.DROP_RULE,
}
_RELATION_DROPS = {StatementKind.DROP_TABLE, StatementKind.DROP_INDEX, StatementKind.DROP_VIEW,
                   StatementKind.DROP_MATERIALIZED_VIEW, StatementKind.DROP_SEQUENCE}
_ON_TABLE_DROPS = {StatementKind.DROP_TRIGGER, StatementKind.DROP_POLICY, StatementKind.DROP_RULE}


def drop(node: ast.DropStmt, context: Context) -> Classified:
    kind = (_DROP_KINDS.get(node.removeType, StatementKind.OTHER) if node.removeType is not None
            else StatementKind.OTHER)
    actions = []
    if kind == StatementKind.DROP_SCHEMA:
        return _drop_schemas(node, context)
    for target in node.objects or ():
        names = string_values(target)
        action = Action(kind, "CONCURRENTLY" if node.concurrent else "",
                        f"{kind} {'.'.join(names)}".strip())
        absent = kind in _RELATION_DROPS and node.missing_ok and missing(context, ".".join(names))
        if absent and not context.replayed_schema:
            action.kind = StatementKind.NO_OP
            action.notes.append("IF EXISTS: nothing to drop")
        elif kind in _RELATION_DROPS and names:
            if absent:
                action.notes.append(replay_lacks(".".join(names)))
            _drop_relation(action, ".".join(names), context, cascade=node.behavior == 1)
        elif kind in _ON_TABLE_DROPS and len(names) >= 2:
            action.add(Role.TARGET, ".".join(names[:-1]))
        actions.append(action)
    return Classified(kind.value if kind is not StatementKind.OTHER else "DROP", actions)


def _drop_schemas(node: ast.DropStmt, context: Context) -> Classified:
    actions = []
    for name in string_values(node.objects):
        action = Action(StatementKind.DROP_SCHEMA, description=f"DROP SCHEMA {name}")
        if node.behavior == 1:  # CASCADE
            action.variant = "CASCADE"
            action.add(Role.TARGET, *sorted(
                key for key, relation in context.schema.relations.items()
                if key.startswith(f"{name}.") and relation.kind is not RelationKind.INDEX))
        actions.append(action)
    return Classified("DROP SCHEMA", actions)


def _drop_relation(action: Action, name: str, context: Context, cascade: bool) -> None:
    key = key_of(name)
    if action.kind == StatementKind.DROP_INDEX:
        action.add(Role.INDEX, name)
        table = table_of_index(context.schema, name)
        if table:
            action.add(Role.TARGET, table, *partitions(context, table))
        else:
            action.notes.append("the index's table is unknown: the index is not in the schema "
                                "sqlreview knows (sqlreview sql: see --schema)")
        return
    relation = context.schema.get(key)
    if action.kind == StatementKind.DROP_SEQUENCE:
        action.add(Role.TARGET, name)
        if cascade and relation is not None and relation.owner:
            action.add(Role.OWNER, display(relation.owner))
        return
    dropped = [name, *partitions(context, name)]
    action.add(Role.TARGET, *dropped)
    if relation is None:
        return
    if cascade:
        for each in dropped:
            action.add(Role.DEPENDENT, *map(display, context.schema.dependent_views(
                key_of(each))))
    if action.kind != StatementKind.DROP_TABLE:
        return
    if relation.is_partition and relation.parent:
        # The parent's partition descriptor changes, and so does a DEFAULT
        # partition's bound.
        action.add(Role.PARENT, display(relation.parent))
        action.add(Role.DEFAULT_PARTITION,
                   *default_partition(context, display(relation.parent), name)[0])
    for each in dropped:
        each_key = key_of(each)
        each_relation = context.schema.get(each_key)
        if each_relation is not None:
            action.add(Role.OWNED, *each_relation.owned_sequences)
        for constraint in context.schema.foreign_keys_of(each_key):
            if constraint.referenced and constraint.referenced != each_key:
                action.add(Role.REFERENCED, display(constraint.referenced))
        if cascade:
            for table, _constraint in context.schema.referencing(each_key):
                if table != each_key:
                    action.add(Role.REFERENCING, display(table))


def truncate(node: ast.TruncateStmt, context: Context) -> Classified:
    names = [range_var_display(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    action = Action(StatementKind.TRUNCATE, description=f"TRUNCATE {', '.join(names)}",
                    relations={Role.TARGET: list(names)})
    if node.behavior == 1:  # CASCADE
        for name in names:
            action.add(Role.TARGET, *map(display, context.schema.referencing_closure(
                key_of(name))))
    recursive = {range_var_display(r) for r in node.relations or ()
                 if isinstance(r, ast.RangeVar) and r.inh}
    for name in list(action.related(Role.TARGET)):
        if name in recursive or name not in names:  # cascaded tables recurse too
            action.add(Role.TARGET, *partitions(context, name))
    if node.restart_seqs:
        for name in action.related(Role.TARGET):
            action.add(Role.OWNED, *owned_sequences(context, name))
    return single("TRUNCATE", action)


def lock(node: ast.LockStmt, context: Context) -> Classified:
    names = [range_var_display(r) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    mode = LockMode(node.mode) if node.mode else LockMode.ACCESS_EXCLUSIVE
    action = Action(StatementKind.LOCK_TABLE,
                    description=f"LOCK {', '.join(names)} IN {mode.sql_name} MODE",
                    relations={Role.TARGET: list(names)}, lock_mode=mode)
    for relation in node.relations or ():
        if isinstance(relation, ast.RangeVar) and relation.inh:
            action.add(Role.TARGET, *expand_reads(context, [range_var_display(relation)]))
    return single("LOCK TABLE", action)


def vacuum(node: ast.VacuumStmt, context: Context) -> Classified:
    options = {o.defname for o in node.options or () if isinstance(o, ast.DefElem)}
    names = [range_var_display(r.relation) for r in node.rels or ()
             if isinstance(r, ast.VacuumRelation) and r.relation is not None]
    kind = StatementKind.VACUUM_FULL if "full" in options else StatementKind.VACUUM
    if not node.is_vacuumcmd:
        kind = StatementKind.ANALYZE
    action = Action(kind, description=f"{kind} {', '.join(names)}".strip(),
                    relations={Role.TARGET: names})
    if not names:
        action.notes.append("every table of the database")
    return single(kind.split()[0], action)


def cluster(node: ast.ClusterStmt, context: Context) -> Classified:
    names = [range_var_display(node.relation)] if node.relation is not None else []
    action = Action(StatementKind.CLUSTER, description=f"CLUSTER {' '.join(names)}".strip(),
                    relations={Role.TARGET: names})
    if not names:
        action.notes.append("every previously clustered table")
    return single("CLUSTER", action)


def comment(node: ast.CommentStmt, context: Context) -> Classified:
    parts = string_values(node.object)
    object_type = node.objtype.name.removeprefix("OBJECT_") if node.objtype is not None else "?"
    action = Action(StatementKind.COMMENT, description=f"COMMENT ON {object_type}")
    if node.objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW,
                        ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_SEQUENCE) and parts:
        action.add(Role.TARGET, ".".join(parts))
    elif node.objtype == ObjectType.OBJECT_COLUMN and len(parts) >= 2:
        action.add(Role.TARGET, ".".join(parts[:-1]))
    elif node.objtype == ObjectType.OBJECT_INDEX and parts:
        action.add(Role.INDEX, ".".join(parts))
    else:
        action.kind = StatementKind.GRANT_REVOKE
    return single("COMMENT", action)


def statistics(node: ast.CreateStatsStmt, context: Context) -> Classified:
    action = Action(StatementKind.CREATE_STATISTICS, description="CREATE STATISTICS")
    for relation in node.relations or ():
        if isinstance(relation, ast.RangeVar):
            action.add(Role.TARGET, range_var_display(relation))
    return single("CREATE STATISTICS", action)


def alter_sequence(node: ast.AlterSeqStmt, context: Context) -> Classified:
    target = range_var_display(node.sequence)
    action = Action(StatementKind.ALTER_SEQUENCE, description=f"ALTER SEQUENCE {target}",
                    relations={Role.TARGET: [target]})
    for option in node.options or ():
        if isinstance(option, ast.DefElem) and option.defname == "owned_by":
            parts = string_values(option.arg or ()) \
                if isinstance(option.arg, tuple) else []
            if len(parts) >= 2:
                action.add(Role.OWNER, ".".join(parts[:-1]))
    return single("ALTER SEQUENCE", action)


def grant(node: ast.GrantStmt, context: Context) -> Classified:
    verb = "GRANT" if node.is_grant else "REVOKE"
    tables = [range_var_display(o) for o in node.objects or () if isinstance(o, ast.RangeVar)]
    if node.objtype == ObjectType.OBJECT_TABLE and tables:
        return single(verb, Action(StatementKind.GRANT_REVOKE_ON_TABLE, description=f"{verb} ON "
                                    f"{', '.join(tables)}", relations={Role.TARGET: tables}))
    return single(verb, Action(StatementKind.GRANT_REVOKE, description=verb))


def create_sequence(node: ast.CreateSeqStmt, context: Context) -> Classified:
    target = range_var_display(node.sequence)
    return single("CREATE SEQUENCE", Action(StatementKind.CREATE_SEQUENCE,
                                            description=f"CREATE SEQUENCE {target}",
                                            relations={Role.TARGET: [target]},
                                            creates=[target]))


def alter_enum(node: ast.AlterEnumStmt, context: Context) -> Classified:
    if node.oldVal:
        return single("ALTER TYPE", Action(StatementKind.ALTER_TYPE, description="RENAME VALUE"))
    return single("ALTER TYPE", Action(StatementKind.ALTER_TYPE_ADD_VALUE,
                                        description=f"ADD VALUE {node.newVal!r}"))


# Polymorphic argument types: with one of them a LANGUAGE sql string body is only
# parsed at creation, not analysed (its types are known only at call time).
_POLYMORPHIC = frozenset({
    "anyelement", "anyarray", "anynonarray", "anyenum", "anyrange", "anymultirange",
    "anycompatible", "anycompatiblearray", "anycompatiblenonarray", "anycompatiblerange",
    "anycompatiblemultirange",
})
_WRITES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


def create_function(node: ast.CreateFunctionStmt, context: Context) -> Classified:
    """A body PostgreSQL analyses at creation opens the tables it names, and those
    of the views it reads: BEGIN ATOMIC / RETURN always, a LANGUAGE sql string
    while check_function_bodies is on and no argument is polymorphic."""
    verb = "PROCEDURE" if node.is_procedure else "FUNCTION"
    name = ".".join(string_values(node.funcname or ()))
    replace = "OR REPLACE " if node.replace else ""
    action = Action(StatementKind.CREATE_FUNCTION, description=f"CREATE {replace}{verb} {name}")
    body = _analysed_body(node, context)
    if body is None:
        return single("CREATE FUNCTION", action)
    action.variant = "SQL body"
    for statement in body:
        # Views the body reads are expanded: their tables are opened too.
        action.add(Role.SOURCE, *expand_views(context, read_relations(query_facts(statement))))
        for child in walk(statement):
            if isinstance(child, _WRITES) and isinstance(child.relation, ast.RangeVar):
                action.add(Role.WRITTEN, range_var_display(child.relation))
    return single("CREATE FUNCTION", action)


def _analysed_body(node: ast.CreateFunctionStmt, context: Context) -> list[ast.Node] | None:
    """The statements of a body analysed at creation; None when it is not."""
    if node.sql_body is not None:
        return list(_flatten(node.sql_body))
    options = {o.defname: o.arg for o in node.options or () if isinstance(o, ast.DefElem)}
    language = options.get("language")
    if not (isinstance(language, ast.String) and language.sval == "sql"):
        return None
    if not context.session.check_function_bodies or _polymorphic(node):
        return None
    source = options.get("as")
    texts = string_values(source) if isinstance(source, tuple) else []
    if len(texts) != 1:
        return None
    parsed = [statement.node for statement in iter_statements(texts[0])]
    if any(statement is None for statement in parsed):
        return None
    return [statement for statement in parsed if statement is not None]


def _flatten(body: ast.Node | tuple[object, ...]) -> Iterable[ast.Node]:
    pending: list[object] = [body]
    while pending:
        item = pending.pop(0)
        if isinstance(item, tuple):
            pending[:0] = list(item)
        elif isinstance(item, ast.Node):
            yield item


def _polymorphic(node: ast.CreateFunctionStmt) -> bool:
    for parameter in node.parameters or ():
        if not isinstance(parameter, ast.FunctionParameter) or parameter.argType is None:
            continue
        if parameter.mode is not None and parameter.mode.value in ("o", "t"):
            continue  # OUT and TABLE columns are results, not arguments
        names = string_values(parameter.argType.names or ())
        if names and names[-1] in _POLYMORPHIC:
            return True
    return False
