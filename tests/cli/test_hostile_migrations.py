"""A hostile repository's migrations through the real CLI, in every output format.

Table and column names come from the repository under review: HTML that would
close the report's ``<details>`` and run script in a PR page, GitHub workflow
commands, newlines. Whatever they are, the review ends normally, JSON is valid
and keeps the names exactly, Markdown renders no HTML of theirs, annotations
carry no command of theirs.
"""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from sqlreview.report import FORMATS
from sqlreview.scratch import ScratchServer
from tests.support.cli import run_sqlreview
from tests.support.projects import write_files

HTML_TABLE = "x</details><img src=x onerror=alert(1)>"
COMMAND_COLUMN = "c::error file=a.py,line=1::pwned"

SETTINGS = """
SECRET_KEY = "test"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["evil"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""

MIGRATION = f"""
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Thing", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=10, db_column={COMMAND_COLUMN!r})),
        ], options={{"db_table": {HTML_TABLE!r}}}),
        migrations.AlterField("thing", "name", models.CharField(
            max_length=10, db_column={COMMAND_COLUMN!r}, db_index=True)),
        migrations.RunSQL('ALTER TABLE "{HTML_TABLE}" ADD COLUMN "line1\\nline2" integer '
                          'NOT NULL DEFAULT 0'),
    ]
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory, pg_server: ScratchServer
            ) -> dict[str, str]:
    root = tmp_path_factory.mktemp("hostile")
    write_files(root, {"evilproj/__init__.py": "", "evilproj/settings.py": SETTINGS,
                       "evil/__init__.py": "", "evil/migrations/__init__.py": "",
                       "evil/migrations/0001_initial.py": MIGRATION})
    found = {}
    for output_format in sorted(FORMATS):
        result = run_sqlreview("--all", "--settings", "evilproj.settings", "--pythonpath",
                               str(root), "--scratch-url", pg_server.url, "--format", output_format,
                               "--fail-on", "never", "--show", "all")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        found[output_format] = result.stdout
    return found


def test_json_keeps_the_hostile_names_exactly(outputs: dict[str, str]) -> None:
    document = json.loads(outputs["json"])
    sql = document["migrations"][0]["sql"]
    assert HTML_TABLE in sql and COMMAND_COLUMN in sql


def test_markdown_renders_no_html_of_theirs(outputs: dict[str, str]) -> None:
    rendered = MarkdownIt("commonmark").enable("table").render(outputs["markdown"])
    assert "<img" not in rendered
    assert rendered.count("<details>") == rendered.count("</details>")


def test_annotations_carry_no_command_of_theirs(outputs: dict[str, str]) -> None:
    for line in outputs["github"].splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice ")), line
        assert "::error file=a.py" not in line
        assert line.count("::") == 2, line  # the command's own two


@pytest.mark.parametrize("output_format", ["sarif", "codequality"])
def test_machine_formats_are_valid_json(outputs: dict[str, str], output_format: str) -> None:
    json.loads(outputs[output_format])
