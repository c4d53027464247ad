"""Tables a reviewed migration created hold no rows: working on them is not slow.

A real Django project: 0002 creates ``inventory_device`` and adds foreign keys
from it and to it; 0003, reviewed in the same deploy, adds two more to the
table 0002 created empty. Only the index built on ``inventory_site`` (which
has rows) while the same transaction holds it is slow work under a lock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import run_sqlreview
from tests.support.projects import unreachable_settings, write_files

SETTINGS = unreachable_settings(["inventory"], big_auto_field=True)

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Site", [("id", models.BigAutoField(primary_key=True)),
                                        ("name", models.TextField())]),
    ]
"""

DEVICE = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [
        migrations.CreateModel("Device", [("id", models.BigAutoField(primary_key=True)),
                                          ("name", models.TextField())]),
        migrations.AddField("device", "site", models.ForeignKey(
            "inventory.site", on_delete=models.CASCADE, related_name="+")),
        migrations.AddField("device", "owner", models.ForeignKey(
            "inventory.site", null=True, on_delete=models.SET_NULL, related_name="+")),
        migrations.AddField("site", "primary_device", models.ForeignKey(
            "inventory.device", null=True, on_delete=models.SET_NULL, related_name="+")),
    ]
"""

DEVICE_BACKUP = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_device")]
    operations = [
        migrations.AddField("device", "backup_site", models.ForeignKey(
            "inventory.site", null=True, on_delete=models.SET_NULL, related_name="+")),
        migrations.AddField("device", "spare_site", models.ForeignKey(
            "inventory.site", null=True, on_delete=models.SET_NULL, related_name="+")),
    ]
"""

FILL_DEVICES = """
from django.db import migrations


def fill(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_device")]
    operations = [migrations.RunPython(fill)]
"""


def write_project(root: Path, *, fill_between: bool) -> Path:
    files = {
        "inventoryproj/__init__.py": "",
        "inventoryproj/settings.py": SETTINGS,
        "inventory/__init__.py": "",
        "inventory/migrations/__init__.py": "",
        "inventory/migrations/0001_initial.py": INITIAL,
        "inventory/migrations/0002_device.py": DEVICE,
        "inventory/migrations/0003_device_backup.py": DEVICE_BACKUP,
    }
    if fill_between:
        files["inventory/migrations/0003_device_backup.py"] = DEVICE_BACKUP.replace(
            '"0002_device"', '"0002_fill"')
        files["inventory/migrations/0002_fill.py"] = FILL_DEVICES
    return write_files(root, files, keep_leading_newline=True)


def review(project: Path, pg_server: ScratchServer, *targets: str) -> dict[str, Any]:
    result = run_sqlreview(*targets, "--settings", "inventoryproj.settings", "--format", "json",
                           "--fail-on", "never", "--assume-lock-timeout",
                           "--scratch-url", pg_server.url, cwd=project)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def sr202_rows(document: dict[str, Any], name: str) -> list[str]:
    section = next(m for m in document["migrations"] if m["name"] == name)
    return [s["sql"] for s in section["statements"]
            if any(f["code"] == "SR202" for f in s["findings"])]


@pytest.fixture(scope="module")
def reviewed(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Any]:
    project = write_project(tmp_path_factory.mktemp("created"), fill_between=False)
    return review(project, pg_server, "inventory:0002", "inventory:0003")


def test_foreign_keys_on_a_table_the_migration_created_are_not_slow(
    reviewed: dict[str, Any],
) -> None:
    flagged = sr202_rows(reviewed, "0002_device")
    # The one real case: an index built on inventory_site, which has rows,
    # while the transaction holds inventory_site ACCESS EXCLUSIVE.
    assert len(flagged) == 1 and flagged[0].startswith(
        'CREATE INDEX "inventory_site_primary_device_id'), flagged


def test_a_table_an_earlier_reviewed_migration_created_is_still_empty(
    reviewed: dict[str, Any],
) -> None:
    assert sr202_rows(reviewed, "0003_device_backup") == []


def test_python_between_may_have_filled_it(
    pg_server: ScratchServer, tmp_path: Path,
) -> None:
    project = write_project(tmp_path, fill_between=True)
    document = review(project, pg_server, "inventory:0002_device", "inventory:0002_fill",
                      "inventory:0003")
    flagged = sr202_rows(document, "0003_device_backup")
    assert flagged and all(sql.startswith('CREATE INDEX "inventory_device_') for sql in flagged)
