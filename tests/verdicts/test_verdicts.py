"""Issue 12: verdicts a DBA would sign, on the real migrations of ``dbaproj``.

Every run is the real CLI in a subprocess, replaying on the session's
PostgreSQL (``--scratch-url``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.cli.test_review import sqlreview
from tests.verdicts.project import write_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("dba"))


def review(project: Path, server: ScratchServer, *targets: str, expect: int = 0,
           extra: tuple[str, ...] = ()) -> dict[str, Any]:
    result = sqlreview(*targets, "--settings", "dbaproj.settings", "--pythonpath", str(project),
                       "--scratch-url", server.url, "--no-cache", "--format", "json",
                       "--fail-on", "never", *extra)
    assert result.returncode == expect, result.stderr
    assert "Traceback" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def statements(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    migration = next(m for m in document["migrations"] if m["name"] == name)
    found: list[dict[str, Any]] = migration["statements"]
    return found


def codes(statement: dict[str, Any]) -> list[str]:
    return [finding["code"] for finding in statement["findings"]]


def test_a_foreign_key_from_a_new_table_scans_nothing_and_keeps_its_lock(
        project: Path, pg_server: ScratchServer) -> None:
    document = review(project, pg_server, "tickets:0001")
    rows = statements(document, "0001_initial")
    foreign_key = next(s for s in rows if "FOREIGN KEY" in s["sql"])
    assert foreign_key["scans"] == []
    assert foreign_key["cost"] != "full scan"
    assert foreign_key["risk"] != "high"
    locks = {lock["relation"]: lock["mode"] for lock in foreign_key["locks"]}
    assert locks["accounts_account"] == "ShareRowExclusiveLock"
    for row in rows:
        assert not any("full scan" in f["message"] for f in row["findings"]), row
    assert all(row["risk"] in ("low", "medium") for row in rows), rows
