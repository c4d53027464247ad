"""``sqlreview --stats FILE`` on the sample project: the replayed tables are
empty, the sizes come from a snapshot of the database the migrations run on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.stats.helpers import dump, run_cli
from tests.support.cli import ROOT

SAMPLE = ROOT / "sample_migrations"
GB = 1024 ** 3


@pytest.fixture
def production(pg_database: str, tmp_path: Path) -> Path:
    """The sample migrated to just before 0011 (which rewrites library_book), dumped."""
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "library", "0010", "-v", "0"], cwd=SAMPLE,
        env={**os.environ, "SAMPLE_DATABASE_URL": pg_database,
             "DJANGO_SETTINGS_MODULE": "sampleproject.settings"},
        capture_output=True, text=True, timeout=300, check=False)
    assert migrate.returncode == 0, migrate.stderr
    snapshot, _ = dump(pg_database, tmp_path)
    path = tmp_path / "production.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return path


def rewrite_of_library_book(server: ScratchServer, stats: Path) -> dict[str, Any]:
    result = run_cli("library:0011", "--pythonpath", str(SAMPLE), "--settings",
                     "sampleproject.settings", "--scratch-url", server.url, "--no-cache",
                     "--format", "json", "--fail-on", "never", "--stats", str(stats))
    assert result.returncode == 0, result.stderr
    migration, = json.loads(result.stdout)["migrations"]
    return next(s for s in migration["statements"] if "library_book" in s["rewrites"])


def test_sizes_apply_to_the_project_tables_by_name(pg_server: ScratchServer, production: Path,
                                                   tmp_path: Path) -> None:
    snapshot = json.loads(production.read_text(encoding="utf-8"))
    book = next(t for t in snapshot["tables"] if t["name"] == "library_book")
    small = rewrite_of_library_book(pg_server, production)
    assert small["estimated_seconds"] is not None
    size, = (t for t in small["estimate"]["tables"] if t["table"] == "library_book")
    assert size["total_bytes"] == book["heap_bytes"] + book["toast_bytes"] + book["index_bytes"]
    assert small["risk"] == "medium"  # ACCESS EXCLUSIVE on an empty table
    book.update(rows=1e9, live_tuples=10**9, heap_bytes=200 * GB)
    large_file = tmp_path / "large.json"
    large_file.write_text(json.dumps(snapshot), encoding="utf-8")
    large = rewrite_of_library_book(pg_server, large_file)
    assert large["risk"] == "critical"
    assert large["estimated_seconds"] > small["estimated_seconds"]
