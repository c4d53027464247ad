"""A statement's risk is what its own findings and its locks and cost say.

A real Django project reviewed as one deploy: a ``RenameField`` (the deploy verdict
judges what running code breaks, so the analyzer does not raise SR118 from the SQL
alone, and the rename's risk is its lock's), and a ``RemoveField`` of a foreign key,
whose first statement is ``SET CONSTRAINTS ... IMMEDIATE`` (no lock, no cost): the
verdict's finding goes on the statement that does the work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import run_sqlreview
from tests.support.projects import unreachable_settings, write_files

SETTINGS = unreachable_settings(["shop"], big_auto_field=True)

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Customer", [("id", models.BigAutoField(primary_key=True)),
                                            ("nickname", models.TextField())]),
        migrations.CreateModel("Order", [
            ("id", models.BigAutoField(primary_key=True)),
            ("customer", models.ForeignKey("shop.customer", on_delete=models.CASCADE)),
            ("courier", models.ForeignKey("shop.customer", on_delete=models.CASCADE,
                                          related_name="+")),
        ]),
    ]
"""

RENAME = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RenameField("order", "customer", "buyer")]
"""

REMOVE_FOREIGN_KEY = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_rename_order_customer")]
    operations = [migrations.RemoveField("order", "courier")]
"""


def write_project(root: Path) -> Path:
    files = {
        "shopproj/__init__.py": "",
        "shopproj/settings.py": SETTINGS,
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        "shop/migrations/0001_initial.py": INITIAL,
        "shop/migrations/0002_rename_order_customer.py": RENAME,
        "shop/migrations/0003_remove_order_courier.py": REMOVE_FOREIGN_KEY,
    }
    return write_files(root, files, keep_leading_newline=True)


@pytest.fixture(scope="module")
def reviewed(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Any]:
    project = write_project(tmp_path_factory.mktemp("grading"))
    result = run_sqlreview("shop:0002", "shop:0003", "--settings", "shopproj.settings",
                           "--format", "json", "--fail-on", "never", "--assume-lock-timeout",
                           "--scratch-url", pg_server.url, cwd=project)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def migration(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in document["migrations"] if m["name"] == name)
    return found


def codes(statement: dict[str, Any]) -> list[str]:
    return [finding["code"] for finding in statement["findings"]]


def statement_starting(section: dict[str, Any], text: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in section["statements"] if s["sql"].startswith(text))
    return found


def test_a_rename_reviewed_in_a_deploy_is_graded_by_what_explains_it(
    reviewed: dict[str, Any],
) -> None:
    section = migration(reviewed, "0002_rename_order_customer")
    rename = statement_starting(section, 'ALTER TABLE "shop_order" RENAME COLUMN')
    # The deploy verdict judges the rename (SR406): the analyzer raises no SR118 from
    # the SQL alone, so nothing taken away leaves the rename rated high: ACCESS
    # EXCLUSIVE for a metadata change is medium.
    assert codes(rename) == []
    assert rename["risk"] == "medium"
    assert "SR118" not in {code for s in section["statements"] for code in codes(s)}


def test_a_deploy_finding_skips_set_constraints_for_the_statement_that_works(
    reviewed: dict[str, Any],
) -> None:
    for name, code in (("0002_rename_order_customer", "SR406"),
                       ("0003_remove_order_courier", "SR404")):
        section = migration(reviewed, name)
        set_constraints = statement_starting(section, "SET CONSTRAINTS")
        assert (codes(set_constraints), set_constraints["risk"]) == ([], "low")
        drop_constraint = statement_starting(section, 'ALTER TABLE "shop_order" DROP CONSTRAINT')
        assert codes(drop_constraint) == [code]
        assert drop_constraint["risk"] == "high"
        assert section["findings"] == []
