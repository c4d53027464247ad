"""A project whose blockers the fast pre-state builds past, or must not (``pastproj``).

* ``shop``: hand SQL the state does not describe, kept and run after the tables
  (0002: an index, a view read by an unmanaged model, a comment, a trigger and its
  function); a column added by hand SQL that its ``AddField`` describes (0003); a
  hand index on a column
  renamed later (0004, renamed in 0005: held back, or the rename would leave the
  index behind); the reviewed 0006 alters and indexes what the hand SQL is on;
* ``early``: a table and a function made by hand SQL (held back: replayed after the
  fast part, and after the kept SQL of the migrations that come after it in history);
* ``late``: a view on ``early``'s table, in a migration that does not depend on
  ``early`` (held back: replayed after it, ``early`` would come first);
* ``mid``: a trigger calling ``early``'s function, in a migration that does not depend
  on ``early`` (built past, its SQL fails after the tables: back to exact replay).

The walk to ``shop.0006`` applies ``early.0001`` before ``late.0002`` and ``mid.0002``.
Named targets only: the configured database is never reachable.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import app_files, unreachable_settings, write_files

SHOP_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Item", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
            ("code", models.CharField(max_length=20)),
        ]),
        migrations.CreateModel("Order", [
            ("id", models.BigAutoField(primary_key=True)),
            ("item", models.ForeignKey(on_delete=models.CASCADE, to="shop.item")),
            ("quantity", models.IntegerField()),
        ]),
    ]
"""

SHOP_0002 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.RunSQL([
            "CREATE INDEX shop_item_name_hand ON shop_item (upper(name))",
            "CREATE VIEW shop_item_names AS SELECT id, name FROM shop_item",
            "COMMENT ON TABLE shop_order IS 'one line of an order'",
            "CREATE FUNCTION shop_touch() RETURNS trigger LANGUAGE plpgsql "
            "AS $$BEGIN RETURN NEW; END$$",
            "CREATE TRIGGER shop_order_touch BEFORE UPDATE OF quantity ON shop_order "
            "FOR EACH ROW EXECUTE FUNCTION shop_touch()",
        ], migrations.RunSQL.noop),
        migrations.CreateModel("ItemName", [
            ("id", models.BigIntegerField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
        ], options={"managed": False, "db_table": "shop_item_names"}),
    ]
"""

SHOP_0003 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_hand_objects")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL('ALTER TABLE "shop_item" ADD COLUMN "stock" integer NULL',
                                  migrations.RunSQL.noop),
            ],
            state_operations=[
                migrations.AddField("item", "stock", models.IntegerField(null=True)),
            ],
        ),
    ]
"""

SHOP_0004 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_item_stock")]
    operations = [
        migrations.RunSQL("CREATE INDEX shop_item_code_hand ON shop_item (code)",
                          "DROP INDEX shop_item_code_hand"),
    ]
"""

SHOP_0005 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_code_index")]
    operations = [
        migrations.RenameField("item", "code", "sku"),
        migrations.AddField("order", "note", models.TextField(null=True)),
    ]
"""

SHOP_0006 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0005_rename_code"), ("early", "0001_initial"),
                    ("late", "0002_raw_view"), ("mid", "0002_memo_stamp")]
    operations = [
        migrations.AlterField("item", "sku", models.CharField(max_length=40, db_index=True)),
        migrations.AddIndex("order", models.Index(fields=["quantity"], name="shop_qty_idx")),
    ]
"""

EARLY_0001 = """
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.RunSQL([
            "CREATE TABLE early_raw (id integer PRIMARY KEY, v integer)",
            "CREATE FUNCTION early_stamp() RETURNS trigger LANGUAGE plpgsql "
            "AS $$BEGIN RETURN NEW; END$$",
        ], migrations.RunSQL.noop),
    ]
"""

LATE_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Note", [
            ("id", models.BigAutoField(primary_key=True)),
            ("body", models.TextField()),
        ]),
    ]
"""

LATE_0002 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("late", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE VIEW late_raw_view AS SELECT id, v FROM early_raw",
                          "DROP VIEW late_raw_view"),
    ]
"""

MID_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Memo", [
            ("id", models.BigAutoField(primary_key=True)),
            ("text", models.TextField()),
        ]),
    ]
"""

MID_0002 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("mid", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE TRIGGER mid_memo_stamp BEFORE INSERT ON mid_memo "
                          "FOR EACH ROW EXECUTE FUNCTION early_stamp()",
                          migrations.RunSQL.noop),
    ]
"""

APPS = ("early", "late", "mid", "shop")


def write_past_project(root: Path) -> Path:
    files = {"pastproj/__init__.py": "", "pastproj/settings.py": unreachable_settings(APPS)}
    files.update(app_files("shop", {
        "0001_initial": SHOP_0001, "0002_hand_objects": SHOP_0002,
        "0003_item_stock": SHOP_0003, "0004_code_index": SHOP_0004,
        "0005_rename_code": SHOP_0005, "0006_sku_index": SHOP_0006,
    }))
    files.update(app_files("early", {"0001_initial": EARLY_0001}))
    files.update(app_files("late", {"0001_initial": LATE_0001, "0002_raw_view": LATE_0002}))
    files.update(app_files("mid", {"0001_initial": MID_0001, "0002_memo_stamp": MID_0002}))
    return write_files(root, files)
