"""Small readers of pglast nodes shared by the schema model and the classifier."""

from __future__ import annotations

from pglast import ast


def string_values(nodes: object) -> list[str]:
    """The texts of the ``String`` nodes of a pglast list (names, qualified names)."""
    if not isinstance(nodes, tuple):
        return []
    return [str(node.sval) for node in nodes if isinstance(node, ast.String) and node.sval]
