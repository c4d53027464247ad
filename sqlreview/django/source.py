"""Where each operation of a migration is in its file, and its ignore comments.

Read with ``ast`` from the migration module's source: the ``operations = [...]``
list in the ``Migration`` class, element i being operation i, spanning the
lines of its call. Comments (``# sqlreview: ignore ...``) come from
``tokenize``. A file that cannot be read or parsed, or whose ``operations``
is not a literal list, points everything at the ``class Migration`` line (or
line 1).
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlreview.suppress import Ignore, parse_comment


@dataclass
class MigrationSource:
    path: Path | None  # absolute; None when the file was not found
    class_line: int = 1
    # Operation i spans lines spans[i][0]..spans[i][1].
    spans: list[tuple[int, int]] = field(default_factory=list)
    ignores: list[Ignore] = field(default_factory=list)

    def line_of(self, operation_index: int | None) -> int:
        if operation_index is not None and 0 <= operation_index < len(self.spans):
            return self.spans[operation_index][0]
        return self.class_line

    def operation_at(self, line: int) -> int | None:
        for index, (first, last) in enumerate(self.spans):
            if first <= line <= last:
                return index
        return None


def migration_path(app_label: str, name: str) -> Path | None:
    """The migration's file: its module's ``__file__``, else ``<package dir>/<name>.py``."""
    from django.db.migrations.loader import MigrationLoader

    package, _explicit = MigrationLoader.migrations_module(app_label)
    if not package:
        return None
    module = sys.modules.get(f"{package}.{name}")
    path = getattr(module, "__file__", None)
    if path and str(path).endswith(".py"):
        return Path(path).resolve()
    parent = sys.modules.get(package)
    for directory in getattr(parent, "__path__", None) or ():
        candidate = Path(directory) / f"{name}.py"
        if candidate.is_file():
            return candidate.resolve()
    return None


def read_source(path: Path | None) -> MigrationSource:
    if path is None:
        return MigrationSource(None)
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return MigrationSource(path)
    source = MigrationSource(path)
    migration = next((node for node in tree.body
                      if isinstance(node, ast.ClassDef) and node.name == "Migration"), None)
    if migration is not None:
        source.class_line = migration.lineno
        source.spans = _operation_spans(migration)
    source.ignores = [_placed(ignore, source) for ignore in _ignores(text)]
    return source


def _operation_spans(migration: ast.ClassDef) -> list[tuple[int, int]]:
    for statement in migration.body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == "operations" for t in targets):
            continue
        if not isinstance(value, (ast.List, ast.Tuple)) or any(
                isinstance(element, ast.Starred) for element in value.elts):
            return []  # built at import time: positions unknown
        return [(element.lineno, element.end_lineno or element.lineno)
                for element in value.elts]
    return []


def _ignores(text: str) -> list[Ignore]:
    found: list[Ignore] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                ignore = parse_comment(token.string, token.start[0])
                if ignore is not None:
                    found.append(ignore)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _placed(ignore: Ignore, source: MigrationSource) -> Ignore:
    if ignore.line == source.class_line:
        return ignore
    index = source.operation_at(ignore.line)
    if index is None:
        return replace(ignore, stray=True)
    return replace(ignore, operation_index=index)
