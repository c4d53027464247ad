"""Migrations the user does not own: django-taggit, installed from PyPI (the test
extra), reviewed with ``--all --include-third-party`` beside an app of the
project's own.

What the user cannot change is not asked of them: no design finding (SR5xx) on
the package's tables, advice phrased for the upgrade, and no report points into
site-packages (SARIF names the migration, annotations carry no file, Code
Quality leaves the findings out and says so).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import run_sqlreview
from tests.support.projects import unreachable_settings, write_files

pytest.importorskip("taggit", reason="django-taggit comes with the test extra")

SARIF_SCHEMA = Path(__file__).parents[1] / "report" / "sarif-schema-2.1.0.json"

SETTINGS = unreachable_settings(["django.contrib.contenttypes", "taggit", "shelf"])

# The project's own app: an integer key, which SR501 must still flag.
SHELF = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Shelf", [("id", models.AutoField(primary_key=True))]),
    ]
"""

PACKAGES = ("taggit", "contenttypes")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("thirdparty")
    files = {"shelfproj/__init__.py": "", "shelfproj/settings.py": SETTINGS,
             "shelf/__init__.py": "", "shelf/migrations/__init__.py": "",
             "shelf/migrations/0001_initial.py": SHELF}
    return write_files(root, files, keep_leading_newline=True)


def review(project: Path, pg_server: ScratchServer, output_format: str
           ) -> subprocess.CompletedProcess[str]:
    result = run_sqlreview("--all", "--include-third-party", "--settings", "shelfproj.settings",
                           "--format", output_format, "--fail-on", "never",
                           "--scratch-url", pg_server.url, cwd=project)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def document(project: Path, pg_server: ScratchServer) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(review(project, pg_server, "json").stdout)
    return parsed


def findings_of(document: dict[str, Any], app: str) -> list[dict[str, Any]]:
    return [finding for section in document["migrations"] if section["app"] == app
            for statement in section["statements"] for finding in statement["findings"]]


def test_packages_are_named_and_the_project_app_is_not(document: dict[str, Any]) -> None:
    packages = {section["app"]: section["package"] for section in document["migrations"]}
    assert packages == {"contenttypes": "django", "taggit": "taggit", "shelf": None}


def test_design_rules_are_silent_on_a_package_s_new_tables(document: dict[str, Any]) -> None:
    taggit = next(s for s in document["migrations"] if s["name"] == "0001_initial"
                  and s["app"] == "taggit")
    # What SR501 flags in the project's own app is there: an integer key.
    assert any('"id" integer' in s["sql"] for s in taggit["statements"])
    for app in PACKAGES:
        assert not [f for f in findings_of(document, app) if f["code"].startswith("SR5")], app
    assert "SR501" in {f["code"] for f in findings_of(document, "shelf")}


def test_advice_is_phrased_for_whoever_upgrades(document: dict[str, Any]) -> None:
    index = next(f for f in findings_of(document, "taggit") if f["code"] == "SR107")
    assert "CREATE INDEX CONCURRENTLY <name>" in index["instead"]
    assert "--fake" in index["instead"]
    assert "AddIndexConcurrently" not in index["instead"]
    own = findings_of(document, "shelf")
    assert own and all(f["instead"] is None for f in own)


def test_sarif_names_package_migrations_without_a_file(project: Path,
                                                       pg_server: ScratchServer) -> None:
    sarif = json.loads(review(project, pg_server, "sarif").stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(
        sarif)
    results = sarif["runs"][0]["results"]
    assert "site-packages" not in json.dumps([r.get("locations") for r in results])
    index = next(r for r in results if r["ruleId"] == "SR107")
    [location] = index["locations"]
    assert "physicalLocation" not in location
    assert location["logicalLocations"][0]["fullyQualifiedName"] == (
        "in package taggit, migration taggit.0002_auto_20150616_2121")
    assert "in package taggit" in index["message"]["text"]
    assert "CREATE INDEX CONCURRENTLY" in index["message"]["text"]
    own = next(r for r in results if r["ruleId"] == "SR501")
    uri = own["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "shelf/migrations/0001_initial.py"


def test_code_quality_leaves_package_findings_out_and_says_so(
    project: Path, pg_server: ScratchServer,
) -> None:
    result = review(project, pg_server, "codequality")
    issues = json.loads(result.stdout)
    assert [issue["location"]["path"] for issue in issues] == [
        "shelf/migrations/0001_initial.py"]
    assert "in migrations of installed packages left out of the Code Quality report" in (
        result.stderr)


def test_annotations_of_package_findings_carry_no_file(project: Path,
                                                        pg_server: ScratchServer) -> None:
    lines = review(project, pg_server, "github").stdout.splitlines()
    assert not [line for line in lines if "site-packages" in line]
    sr107 = next(line for line in lines if "SR107" in line.split("::")[1])
    assert "file=" not in sr107 and "in package taggit" in sr107
    sr501 = next(line for line in lines if "SR501" in line.split("::")[1])
    assert "file=shelf/migrations/0001_initial.py" in sr501


def test_text_says_whose_migration_it_is(project: Path, pg_server: ScratchServer) -> None:
    text = review(project, pg_server, "text").stdout
    assert "from the installed package taggit: not yours to edit" in text
    # The SR107 finding's help is the package's own advice.
    blocks = [" ".join(block.split()) for block in text.split("\n\n")]
    sr107 = next(block for block in blocks if ": SR107 " in block)
    assert "help: This migration belongs to an installed package" in sr107
