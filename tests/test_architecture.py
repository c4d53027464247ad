"""The layers hold: no import circle among sqlreview's modules, no hidden imports.

Read from the source (``ast``), not by importing: every ``import`` of a
``sqlreview`` module, at the top of a module or inside a function, is an edge;
those under ``if TYPE_CHECKING:`` are not (they never run). An import inside a
function must say why on its line (a ``#`` comment: Django must be configured
first, pglast is heavy, only what the command needs...), or move to the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sqlreview"
# The entry points above the CLI: the only modules that may import it.
CLI_ENTRY_POINTS = frozenset({"sqlreview.__main__", "sqlreview.management.commands.sqlreview"})


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool
    explained: bool  # the line carries a comment


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def known_module(name: str) -> str | None:
    """``name`` or the nearest package above it that is a sqlreview module."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        self.lines = path.read_text(encoding="utf-8").splitlines()
        self.depth = 0
        self.found: list[Import] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.package
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        for alias in node.names:  # ``from sqlreview.django import run``: the module run
            submodule = f"{base}.{alias.name}"
            self._add(submodule if submodule in MODULES else base, node)

    def _add(self, target: str, node: ast.stmt) -> None:
        if not target.startswith("sqlreview"):
            return
        imported = known_module(target)
        if imported is None or imported == self.name:
            return
        line = self.lines[node.lineno - 1]
        self.found.append(Import(self.name, imported, node.lineno, self.depth > 0, "#" in line))


def imports() -> Iterator[Import]:
    for name, path in MODULES.items():
        visitor = _ImportVisitor(name, path)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        yield from visitor.found


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return None
        for child in sorted(edges.get(node, ())):
            cycle = walk(child, [*path, node])
            if cycle is not None:
                return cycle
        done.add(node)
        return None

    for start in sorted(edges):
        cycle = walk(start, [])
        if cycle is not None:
            return cycle
    return None


ALL = list(imports())


def test_the_walk_sees_the_modules() -> None:
    assert "sqlreview.cli.main" in MODULES and "sqlreview.results" in MODULES
    assert any(found.importer == "sqlreview.cli.main" for found in ALL)


def test_no_import_circle() -> None:
    edges: dict[str, set[str]] = {}
    for found in ALL:
        edges.setdefault(found.importer, set()).add(found.imported)
    assert find_cycle(edges) is None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_an_import_inside_a_function_says_why() -> None:
    unexplained = [f"{MODULES[found.importer].relative_to(PACKAGE.parent)}:{found.line} "
                   f"imports {found.imported}" for found in ALL
                   if found.in_function and not found.explained]
    assert unexplained == [], ("move these imports to the top of the module, or say on the "
                               "line why they cannot be there")


def test_nothing_below_the_cli_imports_it() -> None:
    def in_cli(name: str) -> bool:
        return name == "sqlreview.cli" or name.startswith("sqlreview.cli.")

    importers = {found.importer for found in ALL if in_cli(found.imported)}
    below = {name for name in importers if name not in CLI_ENTRY_POINTS and not in_cli(name)}
    assert below == set()


# Importable from anywhere (ARCHITECTURE.md), so they import nothing above them.
GROUND_FLOOR = frozenset({"sqlreview.errors", "sqlreview.locking", "sqlreview.results"})


def test_the_ground_floor_imports_only_the_ground_floor() -> None:
    assert GROUND_FLOOR.issubset(MODULES)
    upward = sorted(f"{found.importer} imports {found.imported}" for found in ALL
                    if found.importer in GROUND_FLOOR and found.imported not in GROUND_FLOOR)
    assert upward == []


# Each stage imports only the stages below it (ARCHITECTURE.md): what it may never import.
ABOVE = {
    "pg": {"django", "review", "report", "publish", "stats", "deploy", "cli"},
    "django": {"review", "report", "publish", "cli"},
    "review": {"report", "publish", "cli"},
    "report": {"django", "review", "publish", "stats", "cli"},
    "publish": {"django", "review", "cli"},
}


def test_no_stage_imports_one_above_it() -> None:
    def package(name: str) -> str:
        return name.split(".")[1] if name.count(".") else ""

    upward = sorted(f"{found.importer} imports {found.imported}" for found in ALL
                    if package(found.imported) in ABOVE.get(package(found.importer), set()))
    assert upward == []


TESTS = Path(__file__).resolve().parent


def modules_imported_by(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (``from tests.cli import test_x``: ``tests.cli.test_x``)."""
    package = ".".join(path.relative_to(TESTS.parent).parent.parts)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def is_test_module_or_conftest(name: str) -> bool:
    last = name.rpartition(".")[2]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another() -> None:
    """What tests share lives in tests/support/ (or a conftest's fixtures), never in a test
    module or a conftest: importing one runs it twice, under two names, and hides what is
    shared."""
    imports = sorted(f"{path.relative_to(TESTS)} imports {name}"
                     for path in TESTS.rglob("*.py")
                     for name in modules_imported_by(path) if is_test_module_or_conftest(name))
    assert imports == []
