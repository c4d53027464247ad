"""SARIF, Code Quality and annotations place findings by their path from the repository's
root, whatever directory sqlreview runs in (``backend/`` in a monorepo)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sqlreview.cli import main

RISKY = "CREATE INDEX shop_order_note_idx ON shop_order (note);\n"


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose Django project is in backend/; the current directory."""
    root = tmp_path / "monorepo"
    sql = root / "backend" / "migrations" / "0002_note_index.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text(RISKY, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    monkeypatch.chdir(root / "backend")
    return root


def review(output_format: str, tmp_path: Path, *files: str) -> str:
    out = tmp_path / f"report.{output_format}"
    main(["sql", *files, "--format", output_format, "--output", str(out), "--fail-on", "never"])
    return out.read_text(encoding="utf-8")


def test_sarif_locations_are_relative_to_the_repository_root(monorepo: Path,
                                                              tmp_path: Path) -> None:
    run = json.loads(review("sarif", tmp_path, "migrations/0002_note_index.sql"))["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == monorepo.resolve().as_uri() + "/"
    locations = [result["locations"][0]["physicalLocation"]["artifactLocation"]
                 for result in run["results"]]
    assert locations and all(location == {"uri": "backend/migrations/0002_note_index.sql",
                                          "uriBaseId": "SRCROOT"} for location in locations)


def test_code_quality_paths_are_relative_to_the_repository_root(monorepo: Path,
                                                                tmp_path: Path) -> None:
    issues = json.loads(review("codequality", tmp_path, "migrations/0002_note_index.sql"))
    assert {issue["location"]["path"] for issue in issues} == {
        "backend/migrations/0002_note_index.sql"}


def test_annotations_name_the_file_from_the_repository_root(monorepo: Path,
                                                            tmp_path: Path) -> None:
    commands = review("github", tmp_path, "migrations/0002_note_index.sql")
    assert "file=backend/migrations/0002_note_index.sql,line=1" in commands


def test_a_file_outside_the_repository_is_never_based_on_it(monorepo: Path,
                                                            tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.sql"
    outside.write_text(RISKY, encoding="utf-8")
    run = json.loads(review("sarif", tmp_path, str(outside)))["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": outside.resolve().as_uri()}


def test_outside_any_repository_paths_stay_as_given(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    (plain / "migrations").mkdir(parents=True)
    (plain / "migrations" / "0002.sql").write_text(RISKY, encoding="utf-8")
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    run = json.loads(review("sarif", tmp_path, "migrations/0002.sql"))["runs"][0]
    assert "originalUriBaseIds" not in run
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "migrations/0002.sql"}
