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


def classify(node: ast.Node, context: Context) -> Classified:
    classifier = _CLASSIFIERS.get(type(node))
    if classifier is None:
        name = type(node).__name__.removesuffix("Stmt")
        return Classified(name.upper(), [Action("OTHER", description=name)])
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
    ast.CreateTrigStmt: on_table("CREATE TRIGGER", "relation"),
    ast.CreatePolicyStmt: on_table("CREATE POLICY", "table"),
    ast.AlterPolicyStmt: on_table("ALTER POLICY", "table"),
    ast.RuleStmt: on_table("CREATE RULE", "relation"),
    ast.CreateStatsStmt: objects.statistics,
    ast.CreateSeqStmt: objects.create_sequence,
    ast.AlterSeqStmt: objects.alter_sequence,
    ast.AlterEnumStmt: objects.alter_enum,
    ast.CreateEnumStmt: constant("CREATE TYPE"),
    ast.CompositeTypeStmt: constant("CREATE TYPE"),
    ast.DefineStmt: constant("CREATE TYPE", "CREATE (type, aggregate, operator...)"),
    ast.CreateDomainStmt: constant("CREATE TYPE", "CREATE DOMAIN"),
    ast.CreateExtensionStmt: constant("CREATE EXTENSION"),
    ast.CreateFunctionStmt: objects.create_function,
    ast.CreateSchemaStmt: constant("CREATE SCHEMA"),
    ast.GrantStmt: objects.grant,
    ast.GrantRoleStmt: constant("GRANT/REVOKE"),
    ast.DoStmt: constant("DO"),
    ast.CallStmt: constant("CALL"),
    ast.TransactionStmt: queries.transaction,
    ast.VariableSetStmt: queries.variable_set,
    ast.VariableShowStmt: constant("SHOW"),
    ast.ConstraintsSetStmt: constant("SET CONSTRAINTS"),
    ast.CreatedbStmt: constant("CREATE DATABASE"),
    ast.DropdbStmt: constant("DROP DATABASE"),
    ast.AlterSystemStmt: constant("ALTER SYSTEM"),
    ast.InsertStmt: queries.dml("INSERT"),
    ast.UpdateStmt: queries.dml("UPDATE"),
    ast.DeleteStmt: queries.dml("DELETE"),
    ast.MergeStmt: queries.dml("MERGE"),
    ast.SelectStmt: queries.select,
}

__all__ = ["Action", "Classified", "Context", "Session", "classify"]
