"""A small Django project in a tmp dir, and git to change it as a branch would."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.support.cli import run_sqlreview
from tests.support.projects import write_files

SETTINGS = """
SECRET_KEY = "test"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["shop"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=100)),
            ],
        ),
    ]
"""


def add_field(parent: str, field: str, *, extra: str = "", header: str = "") -> str:
    """A migration adding a nullable text field to Customer (after ``parent``)."""
    return textwrap.dedent(f"""
        from django.db import migrations, models


        class Migration(migrations.Migration):{header}
            dependencies = [("shop", "{parent}")]
            operations = [
                migrations.AddField(
                    model_name="customer",
                    name="{field}",
                    field=models.TextField(null=True),
                ),{extra}
            ]
        """)


def write_project(root: Path, migrations: dict[str, str]) -> Path:
    """``root/proj/settings.py`` and the ``shop`` app with ``migrations`` (name -> source)."""
    files = {
        "proj/__init__.py": "",
        "proj/settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/models.py": "",
        "shop/migrations/__init__.py": "",
    }
    files.update({f"shop/migrations/{name}.py": text for name, text in migrations.items()})
    write_files(root, files)
    return root


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, capture_output=True, text=True, check=True)
    return completed.stdout


def init_repository(root: Path) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


def sqlreview(*args: str, cwd: Path, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    """The CLI in ``cwd``, none of the suite's own SQLREVIEW_ settings leaking in."""
    return run_sqlreview(*args, cwd=cwd, env=env, unset=("SQLREVIEW_",))


def django_args(project: Path) -> list[str]:
    return ["--pythonpath", str(project), "--settings", "proj.settings", "-q"]
