"""The benchmark's synthetic project generator writes a project Django and sqlreview load."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import run_sqlreview

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "benchmarks" / "synthetic.py"
COUNT = 30

LOAD_GRAPH = """
import json, django
django.setup()
from django.db.migrations.loader import MigrationLoader
loader = MigrationLoader(None)
graph = loader.graph
print(json.dumps({
    "nodes": sorted(graph.nodes),
    "leaves": graph.leaf_nodes(),
    "conflicts": {app: names for app, names in loader.detect_conflicts().items()},
    "replacements": sorted(loader.replacements),
    "plan": [node for leaf in graph.leaf_nodes() for node in graph.forwards_plan(leaf)],
}))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("synthetic")
    subprocess.run([sys.executable, str(GENERATOR), str(directory), "--migrations", str(COUNT)],
                   check=True, capture_output=True)
    return directory


def environment(project: Path) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "synthproject.settings",
            "PYTHONPATH": str(project), "SYNTH_SQLITE_PATH": str(project / "db.sqlite3")}


def migration_files(project: Path) -> set[tuple[str, str]]:
    return {(path.parent.parent.name, path.stem) for path in project.glob("*/migrations/0*.py")}


def replaced(project: Path) -> set[tuple[str, str]]:
    """The (app, name) pairs listed in `replaces = [...]` of the squashed migrations."""
    found: set[tuple[str, str]] = set()
    for path in project.glob("*/migrations/0*.py"):
        block = re.search(r"replaces = \[(.*?)\]", path.read_text(), re.DOTALL)
        if block:
            found |= set(re.findall(r"\('(\w+)', '(\w+)'\)", block.group(1)))
    return found


def load_graph(project: Path) -> dict[str, list[list[str]]]:
    process = subprocess.run([sys.executable, "-c", LOAD_GRAPH], env=environment(project),
                             capture_output=True, text=True, cwd=project.parent)
    assert process.returncode == 0, process.stderr
    result: dict[str, list[list[str]]] = json.loads(process.stdout)
    return result


def as_nodes(pairs: list[list[str]]) -> set[tuple[str, str]]:
    return {(app, name) for app, name in pairs}


def test_generated_project_loads_with_a_consistent_graph(project: Path) -> None:
    graph = load_graph(project)
    files = migration_files(project)
    squashed = replaced(project)
    assert len(squashed) == 2, "the generator writes one squashed migration of two"
    assert not graph["conflicts"]
    # The squashed migration stands in for the two it replaces, as on an empty database.
    assert as_nodes(graph["nodes"]) == files - squashed
    assert len(graph["nodes"]) == COUNT - 1
    assert len(graph["replacements"]) == 1
    # One linear history per app, every migration reachable from a leaf.
    assert sorted(app for app, _ in graph["leaves"]) == sorted({app for app, _ in files})
    assert as_nodes(graph["plan"]) == as_nodes(graph["nodes"])


def test_sqlreview_all_reviews_every_generated_migration(project: Path,
                                                         pg_server: ScratchServer) -> None:
    process = run_sqlreview("--all", "--settings", "synthproject.settings", "--pythonpath",
                            str(project), "--scratch-url", pg_server.url, "--format", "json",
                            "--fail-on", "never", env=environment(project), cwd=project.parent,
                            timeout=None)
    assert process.returncode == 0, process.stderr
    review = json.loads(process.stdout)
    reviewed = [(item["app"], item["name"]) for item in review["migrations"]]
    assert len(reviewed) == len(set(reviewed))
    graph = load_graph(project)
    assert set(reviewed) == as_nodes(graph["nodes"])
    assert review["errors"] == []
    assert [item for item in review["migrations"] if item["error"]] == []
    # Only each app's initial migration creates tables.
    creating = {item["app"] for item in review["migrations"] if "CREATE TABLE" in item["sql"]}
    assert creating == {app for app, _ in graph["leaves"]}
