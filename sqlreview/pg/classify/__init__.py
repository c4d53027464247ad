"""Turn a parsed statement into actions: a knowledge-table kind, the variant
that decides the verdict, and the relations it touches in each role.

This package reads the syntax tree and the schema model; it knows nothing of
lock modes or costs (those are in ``knowledge.py``). One module per family of
statements; ``base.py`` has the vocabulary they share.
"""


from __future__ import annotations

from pglast import ast

from sqlreview.pg.classify import alter_table, objects, queries
from sqlreview.pg.classify.base import (
    Action,
    Classified,
    Classifier,
    Context,
    Session,
    constant,
    on_table,
)
from sqlreview.pg.kinds import StatementKind


def classify(node: ast.Node, context: Context) -> Classified:
    classifier = _CLASSIFIERS.get(type(node))
    if classifier is None:
        name = type(node).__name__.removesuffix("Stmt")
        return Classified(name.upper(), [Action(StatementKind.OTHER, description=name)])
    return classifier(node, context)



_CLASSIFIERS: dict[type[ast.Node], Classifier] = {
    ast.AlterTableStmt: alter_table.alter_table,
    ast.RenameStmt: alter_table.rename,
    ast.AlterObjectSchemaStmt: alter_table.set_schema,
    ast.CreateStmt: objects.create_table,
    ast.CreateTableAsStmt: objects.create_table_as,
    ast.ViewStmt: objects.view,
    ast.RefreshMatViewStmt: objects.refresh,
    ast.IndexStmt: objects.index,
    ast.ReindexStmt: objects.reindex,
    ast.DropStmt: objects.drop,
    ast.TruncateStmt: objects.truncate,
    ast.LockStmt: objects.lock,
    ast.VacuumStmt: objects.vacuum,
    ast.ClusterStmt: objects.cluster,
    ast.CommentStmt: objects.comment,
    ast.CreateTrigStmt: on_table(StatementKind.CREATE_TRIGGER, "relation"),
    ast.CreatePolicyStmt: on_table(StatementKind.CREATE_POLICY, "table"),
    ast.AlterPolicyStmt: on_table(StatementKind.ALTER_POLICY, "table"),
    ast.RuleStmt: on_table(StatementKind.CREATE_RULE, "relation"),
    ast.CreateStatsStmt: objects.statistics,
    ast.CreateSeqStmt: objects.create_sequence,
    ast.AlterSeqStmt: objects.alter_sequence,
    ast.AlterEnumStmt: objects.alter_enum,
    ast.CreateEnumStmt: constant(StatementKind.CREATE_TYPE),
    ast.CompositeTypeStmt: constant(StatementKind.CREATE_TYPE),
    ast.DefineStmt: constant(StatementKind.CREATE_TYPE, "CREATE (type, aggregate, operator...)"),
    ast.CreateDomainStmt: constant(StatementKind.CREATE_TYPE, "CREATE DOMAIN"),
    ast.CreateExtensionStmt: constant(StatementKind.CREATE_EXTENSION),
    ast.CreateFunctionStmt: objects.create_function,
    ast.CreateSchemaStmt: constant(StatementKind.CREATE_SCHEMA),
    ast.GrantStmt: objects.grant,
    ast.GrantRoleStmt: constant(StatementKind.GRANT_REVOKE),
    ast.DoStmt: constant(StatementKind.DO),
    ast.CallStmt: constant(StatementKind.CALL),
    ast.TransactionStmt: queries.transaction,
    ast.VariableSetStmt: queries.variable_set,
    ast.VariableShowStmt: constant(StatementKind.SHOW),
    ast.ConstraintsSetStmt: constant(StatementKind.SET_CONSTRAINTS),
    ast.CreatedbStmt: constant(StatementKind.CREATE_DATABASE),
    ast.DropdbStmt: constant(StatementKind.DROP_DATABASE),
    ast.AlterSystemStmt: constant(StatementKind.ALTER_SYSTEM),
    ast.InsertStmt: queries.dml(StatementKind.INSERT),
    ast.UpdateStmt: queries.dml(StatementKind.UPDATE),
    ast.DeleteStmt: queries.dml(StatementKind.DELETE),
    ast.MergeStmt: queries.dml(StatementKind.MERGE),
    ast.SelectStmt: queries.select,
}

__all__ = ["Action", "Classified", "Context", "Session", "classify"]
