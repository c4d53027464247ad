"""``# sqlreview: ignore`` comments in migration files, through the real CLI.

Also the bad/good examples of SR005 (an ignore that matches nothing) and SR006
(an ignore without a reason), which ``tests/analyzer/test_rules.py`` points
here for.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.cli.gitproject import INITIAL, add_field, django_args, sqlreview, write_project
from tests.support.projects import write_files


def add_index(parent: str, *indexes: tuple[str, str], header: str = "") -> str:
    """AddIndex operations; each ``(name, comment)`` puts ``comment`` on the call's line."""
    operations = "".join(textwrap.indent(textwrap.dedent(f"""
        migrations.AddIndex(  {comment}
            model_name="customer",
            index=models.Index(fields=["name"], name="{name}"),
        ),"""), " " * 8) for name, comment in indexes)
    return (
        "from django.db import migrations, models\n\n\n"
        f"class Migration(migrations.Migration):{header}\n"
        f'    dependencies = [("shop", "{parent}")]\n'
        f"    operations = [{operations}\n    ]\n"
    )


REASON = "the customer table has 40 rows"

MIGRATIONS = {
    "0001_initial": INITIAL,
    "0002_applies": add_index("0001_initial",
                              ("i2", f"# sqlreview: ignore SR107 -- {REASON}")),
    "0003_no_reason": add_index("0002_applies", ("i3", "# sqlreview: ignore SR107")),
    "0004_unused": add_field("0003_no_reason", "email",
                             header="  # sqlreview: ignore SR107 -- nothing builds an index"),
    "0005_whole": add_index("0004_unused", ("i5a", ""), ("i5b", ""),
                            header=f"  # sqlreview: ignore SR107 -- {REASON}"),
    "0006_inner_and_stray": add_index("0005_whole", ("i6", "")).replace(
        'name="i6"),', f'name="i6"),  # sqlreview: ignore sr107, SR999 -- {REASON}').replace(
        "    dependencies", "    # sqlreview: ignore SR107 -- a stray\n    dependencies"),
    "0007_plain": add_index("0006_inner_and_stray", ("i7", "")),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("suppress"), MIGRATIONS)


def run(project: Path, pg_server: ScratchServer, *args: str, cwd: Path | None = None,
        fail_on: str = "never") -> tuple[int, dict[str, Any]]:
    result = sqlreview(*django_args(project), "--format", "json", "--fail-on", fail_on,
                       "--assume-lock-timeout", "--scratch-url", pg_server.url, *args,
                       cwd=cwd or project)
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, document


@pytest.fixture(scope="module")
def reviewed(project: Path, pg_server: ScratchServer) -> dict[str, dict[str, Any]]:
    _code, document = run(project, pg_server, "--all")
    return {m["name"].split("_")[0]: m for m in document["migrations"]}


def findings(migration: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for s in migration["statements"] for f in s["findings"] if f["code"] == code]


def index_rows(migration: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in migration["statements"] if s["kind"] == "CREATE INDEX"]


def test_an_ignore_with_a_reason_suppresses_the_finding(
        reviewed: dict[str, dict[str, Any]]) -> None:
    [sr107] = findings(reviewed["0002"], "SR107")
    assert sr107["suppressed"] == REASON
    # The finding is still listed, but no longer makes the statement high.
    [row] = index_rows(reviewed["0002"])
    assert row["risk"] not in ("high", "critical")
    assert not findings(reviewed["0002"], "SR005")


def test_a_suppressed_finding_does_not_fail_the_run(project: Path,
                                                    pg_server: ScratchServer) -> None:
    code, document = run(project, pg_server, "shop:0002", fail_on="high")
    assert code == 0
    assert document["summary"]["suppressed"] == 1
    # The same index without the ignore fails.
    code, document = run(project, pg_server, "shop:0007", fail_on="high")
    assert code == 1
    assert document["summary"]["suppressed"] == 0


def test_an_ignore_without_a_reason_does_not_apply(reviewed: dict[str, dict[str, Any]]) -> None:
    [sr107] = findings(reviewed["0003"], "SR107")
    assert sr107["suppressed"] is None
    assert index_rows(reviewed["0003"])[0]["risk"] == "high"
    [sr006] = findings(reviewed["0003"], "SR006")
    assert "no reason" in sr006["message"] and sr006["severity"] == "low"


def test_an_ignore_that_matches_nothing_is_reported(
        reviewed: dict[str, dict[str, Any]]) -> None:
    [sr005] = findings(reviewed["0004"], "SR005")
    assert "SR107" in sr005["message"] and sr005["severity"] == "low"
    # The good example: an ignore that matches.
    assert not findings(reviewed["0002"], "SR005")


def test_an_ignore_on_the_class_line_covers_the_whole_migration(
        reviewed: dict[str, dict[str, Any]]) -> None:
    rows = index_rows(reviewed["0005"])
    assert len(rows) == 2
    assert [f["suppressed"] for f in findings(reviewed["0005"], "SR107")] == [REASON, REASON]
    assert not findings(reviewed["0005"], "SR005")


def test_any_line_of_the_call_works_and_a_stray_ignore_is_reported(
        reviewed: dict[str, dict[str, Any]]) -> None:
    [sr107] = findings(reviewed["0006"], "SR107")
    assert sr107["suppressed"] == REASON  # codes are case-insensitive
    messages = [f["message"] for f in findings(reviewed["0006"], "SR005")]
    assert any("SR999" in m and "no such sqlreview code" in m for m in messages)
    assert any("neither on an operation" in m for m in messages)


def test_config_ignore_suppresses_everywhere(project: Path, pg_server: ScratchServer,
                                             tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": '[tool.sqlreview]\nignore = ["SR107"]\n'})
    code, document = run(project, pg_server, "shop:0003", "shop:0007", cwd=tmp_path,
                         fail_on="high")
    assert code == 0
    suppressed = [f["suppressed"] for m in document["migrations"]
                  for f in findings(m, "SR107")]
    assert len(suppressed) == 2
    assert all("pyproject.toml" in reason for reason in suppressed)
    assert document["config"] == str(tmp_path / "pyproject.toml")
