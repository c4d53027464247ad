"""A project whose production schema is not what its migration files build (``prodproj``).

Production ran ``tags.0001`` as first released (an index named ``tags_tag_name_old``);
the file was later edited to name it ``tags_tag_name_idx``, as a popular app once did.
A DBA renamed the unique constraint of ``code`` and made an index by hand. The branch
adds ``0002`` (renames the index by its edited name) and ``0003`` (drops ``code``'s
unique constraint, found by introspection).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.cli.gitproject import git
from tests.support.projects import write_files

SETTINGS = """
import os

from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "test"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["tags"]
params = conninfo_to_dict(os.environ["PROD_DATABASE_URL"])
DATABASES = {"default": {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": params.pop("dbname"),
    "USER": params.pop("user", ""),
    "PASSWORD": params.pop("password", ""),
    "HOST": params.pop("host", ""),
    "PORT": params.pop("port", ""),
    "OPTIONS": params,
}}
"""

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Tag", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
            ("code", models.CharField(max_length=20, unique=True)),
        ], options={"indexes": [models.Index(fields=["name"], name="{index}")]}),
    ]
"""

RENAME_INDEX = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial")]
    operations = [
        migrations.RenameIndex("tag", new_name="tags_tag_name_v2", old_name="tags_tag_name_idx"),
    ]
"""

DROP_UNIQUE = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tags", "0002_rename_index")]
    operations = [
        migrations.AlterField("tag", "code", models.CharField(max_length=20)),
    ]
"""

UNREACHABLE_URL = "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2"
BY_HAND_INDEX = "CREATE INDEX tags_tag_name_code_hand ON tags_tag (name, code)"
PRODUCTION_NAMES = ("tags_tag_name_old", "tags_tag_code_dba", "tags_tag_name_code_hand")


def write_production_project(root: Path, production_url: str) -> Path:
    """The project as released, migrated on ``production_url`` and changed by hand there;
    0001 edited and committed on ``main``; a branch ``feature`` (checked out) adds 0002
    and 0003."""
    write_files(root, {"prodproj/__init__.py": "", "prodproj/settings.py": SETTINGS,
                 "tags/__init__.py": "", "tags/migrations/__init__.py": "",
                 "tags/migrations/0001_initial.py": INITIAL.replace("{index}",
                                                                    "tags_tag_name_old")})
    migrate(root, production_url)
    with psycopg.connect(production_url, autocommit=True) as connection:
        unique = connection.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'tags_tag'::regclass "
            "AND contype = 'u'").fetchone()
        assert unique is not None
        connection.execute(f"ALTER TABLE tags_tag RENAME CONSTRAINT {unique[0]} "
                           "TO tags_tag_code_dba")
        connection.execute(BY_HAND_INDEX)
    write_files(root, {"tags/migrations/0001_initial.py": INITIAL.replace("{index}",
                                                                    "tags_tag_name_idx")})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "as released, then 0001 edited")
    git(root, "checkout", "-q", "-b", "feature")
    write_files(root, {"tags/migrations/0002_rename_index.py": RENAME_INDEX,
                 "tags/migrations/0003_drop_unique.py": DROP_UNIQUE})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "edit 0001, add 0002 and 0003")
    return root


def migrate(root: Path, url: str) -> None:
    environment = {**os.environ, "PROD_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0",
                    "--settings", "prodproj.settings", "--pythonpath", str(root)],
                   cwd=root, env=environment, check=True, capture_output=True, timeout=120)
