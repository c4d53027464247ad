"""Small readers of pglast nodes shared by the schema model and the classifier."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from pglast import ast


def string_values(nodes: object) -> list[str]:
    """The texts of the ``String`` nodes of a pglast list (names, qualified names)."""
    if not isinstance(nodes, tuple):
        return []
    return [str(node.sval) for node in nodes if isinstance(node, ast.String) and node.sval]


def walk(root: object, skip: tuple[type[ast.Node], ...] = ()) -> Iterator[ast.Node]:
    """Every node under ``root`` (itself included), breadth first, in the order
    of pglast's ``Visitor``; the children of ``skip`` nodes are not visited.

    pglast's visitor looks its ``visit_*`` methods up with ``inspect`` and builds
    an ancestry chain on every call; this walk does neither, which matters for
    a file of 100,000 statements."""
    pending: deque[object] = deque([root])
    while pending:
        item = pending.popleft()
        for node in item if isinstance(item, tuple) else (item,):
            if isinstance(node, ast.Node):
                yield node
                if isinstance(node, skip):
                    continue
                for member in node:
                    value = getattr(node, member)
                    if isinstance(value, (tuple, ast.Node)):
                        pending.append(value)
            elif isinstance(node, tuple):
                pending.extend(value for value in node if isinstance(value, (tuple, ast.Node)))
