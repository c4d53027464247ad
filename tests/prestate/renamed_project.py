"""A project whose tables are renamed in the history (``renproj``).

* ``store``: ``Brand`` (an indexed, a unique and a checked column, a foreign key to
  itself, and ``Product``'s to it) re-tabled twice in a row (0002, 0003), indexed under
  the second name (0004: an indexed field, a named index, a foreign key from ``Product``),
  and back to its first table (0005); 0006 widens an indexed column; the reviewed 0007
  drops the index 0004 named after the second table;
* ``catalog``: ``Item`` (with a foreign key to ``store.Brand``, one from ``other``'s
  ``Listing``) renamed to ``Article`` (0002), then re-tabled (0003); ``Shelf``, with a
  many-to-many field, renamed in 0004 (held back: the through table is renamed too); the
  reviewed 0005 drops the unique and the index ``Item`` had;
* ``other``: ``Listing``, whose foreign key to the renamed model the reviewed 0002 alters;
* ``extra``: hand indexes (one PostgreSQL names) and a view on ``Note`` (built past), whose
  table is renamed twice later (0003 ``RenameModel``, 0004 ``AlterModelTable``): the kept SQL
  runs with the table under its first name; a hand index under the last name (0005), and a
  column the kept SQL does not name altered (0006);
* ``swap``: a table re-tabled (0002), and a new model made under its old name (0003): the
  new table takes the old names first, so the re-tabled one's cannot be given back (its
  migration is replayed, and PostgreSQL names the new table's key ``swap_old_pkey1``);
* ``reuse``: a hand index PostgreSQL names on ``Page`` (0002), whose table is re-tabled (0003)
  and whose old name a new model takes (0004): as in ``swap``, the old primary key's name is
  taken, so 0003 is replayed (and the kept SQL meets the table under its old name);
* ``taken``: a hand index PostgreSQL names on ``Card`` (0002), whose table is re-tabled (0003),
  and an index under the table's old name (0004): the kept SQL cannot have its table back
  under the old name, so 0002 goes back to exact replay, and 0003 after it.

``renproj.hand_settings`` installs the last three alone. Named targets only: the
configured database is never reachable.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import app_files, unreachable_settings, write_files

HEADER = "from django.db import migrations, models\n\n\n"

STORE = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Brand", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50, db_index=True)),
            ("code", models.CharField(max_length=10, unique=True)),
            ("rank", models.PositiveIntegerField(default=0)),
            ("parent", models.ForeignKey(null=True, on_delete=models.CASCADE,
                                         to="store.brand")),
        ]),
        migrations.CreateModel("Product", [
            ("id", models.BigAutoField(primary_key=True)),
            ("title", models.CharField(max_length=40)),
            ("brand", models.ForeignKey(on_delete=models.CASCADE, to="store.brand")),
        ]),
    ]
""",
    "0002_brands": """
class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]
    operations = [migrations.AlterModelTable("brand", "store_brands")]
""",
    "0003_marques": """
class Migration(migrations.Migration):
    dependencies = [("store", "0002_brands")]
    operations = [migrations.AlterModelTable("brand", "store_marques")]
""",
    "0004_slug": """
class Migration(migrations.Migration):
    dependencies = [("store", "0003_marques")]
    operations = [
        migrations.AddField("brand", "slug",
                            models.CharField(max_length=20, db_index=True, default="")),
        migrations.AddIndex("brand", models.Index(fields=["name", "rank"],
                                                  name="store_brand_name_rank")),
        migrations.AddField("product", "maker", models.ForeignKey(
            null=True, on_delete=models.SET_NULL, related_name="+", to="store.brand")),
    ]
""",
    "0005_back": """
class Migration(migrations.Migration):
    dependencies = [("store", "0004_slug")]
    operations = [migrations.AlterModelTable("brand", None)]
""",
    "0006_name_width": """
class Migration(migrations.Migration):
    dependencies = [("store", "0005_back")]
    operations = [
        migrations.AlterField("brand", "name", models.CharField(max_length=80, db_index=True)),
    ]
""",
    "0007_slug_plain": """
class Migration(migrations.Migration):
    dependencies = [("store", "0006_name_width")]
    operations = [
        migrations.AlterField("brand", "slug", models.CharField(max_length=20, default="")),
        migrations.RemoveField("product", "maker"),
    ]
""",
}

CATALOG = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    dependencies = [("store", "0001_initial")]
    operations = [
        migrations.CreateModel("Item", [
            ("id", models.BigAutoField(primary_key=True)),
            ("label", models.CharField(max_length=30, unique=True)),
            ("kind", models.CharField(max_length=10, db_index=True)),
            ("brand", models.ForeignKey(null=True, on_delete=models.SET_NULL,
                                        to="store.brand")),
        ]),
        migrations.CreateModel("Tag", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=20)),
        ]),
        migrations.CreateModel("Shelf", [
            ("id", models.BigAutoField(primary_key=True)),
            ("tags", models.ManyToManyField(to="catalog.tag")),
        ]),
    ]
""",
    "0002_article": """
class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("other", "0001_initial")]
    operations = [migrations.RenameModel("Item", "Article")]
""",
    "0003_articles_table": """
class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_article")]
    operations = [migrations.AlterModelTable("article", "catalog_articles")]
""",
    "0004_rack": """
class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_articles_table")]
    operations = [migrations.RenameModel("Shelf", "Rack")]
""",
    "0005_label_plain": """
class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_rack")]
    operations = [
        migrations.AlterField("article", "label", models.CharField(max_length=30)),
        migrations.AlterField("article", "kind", models.CharField(max_length=10)),
    ]
""",
}

OTHER = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    dependencies = [("catalog", "0001_initial")]
    operations = [
        migrations.CreateModel("Listing", [
            ("id", models.BigAutoField(primary_key=True)),
            ("price", models.IntegerField()),
            ("item", models.ForeignKey(on_delete=models.CASCADE, to="catalog.item")),
        ]),
    ]
""",
    "0002_item_optional": """
class Migration(migrations.Migration):
    dependencies = [("other", "0001_initial"), ("catalog", "0003_articles_table")]
    operations = [
        migrations.AlterField("listing", "item", models.ForeignKey(
            null=True, on_delete=models.CASCADE, to="catalog.article")),
    ]
""",
}

EXTRA = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Note", [
            ("id", models.BigAutoField(primary_key=True)),
            ("body", models.CharField(max_length=20)),
            ("size", models.IntegerField(default=0)),
        ]),
    ]
""",
    "0002_hand_index": """
class Migration(migrations.Migration):
    dependencies = [("extra", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE INDEX extra_note_body_hand ON extra_note (body);"
                          "CREATE INDEX ON extra_note (upper(body));"
                          "CREATE VIEW extra_note_bodies AS SELECT id, body FROM extra_note",
                          "DROP VIEW extra_note_bodies; DROP INDEX extra_note_body_hand"),
    ]
""",
    "0003_memo": """
class Migration(migrations.Migration):
    dependencies = [("extra", "0002_hand_index")]
    operations = [migrations.RenameModel("Note", "Memo")]
""",
    "0004_memos": """
class Migration(migrations.Migration):
    dependencies = [("extra", "0003_memo")]
    operations = [migrations.AlterModelTable("memo", "extra_memos")]
""",
    "0005_lower_index": """
class Migration(migrations.Migration):
    dependencies = [("extra", "0004_memos")]
    operations = [
        migrations.RunSQL("CREATE INDEX ON extra_memos (lower(body))",
                          "DROP INDEX extra_memos_lower_idx"),
    ]
""",
    "0006_size_null": """
class Migration(migrations.Migration):
    dependencies = [("extra", "0005_lower_index")]
    operations = [migrations.AlterField("memo", "size", models.IntegerField(null=True))]
""",
}

REUSE = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Page", [
            ("id", models.BigAutoField(primary_key=True)),
            ("body", models.CharField(max_length=20)),
        ]),
    ]
""",
    "0002_hand_index": """
class Migration(migrations.Migration):
    dependencies = [("reuse", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE INDEX ON reuse_page (body)", "DROP INDEX reuse_page_body_idx"),
    ]
""",
    "0003_pages": """
class Migration(migrations.Migration):
    dependencies = [("reuse", "0002_hand_index")]
    operations = [migrations.AlterModelTable("page", "reuse_pages")]
""",
    "0004_fresh": """
class Migration(migrations.Migration):
    dependencies = [("reuse", "0003_pages")]
    operations = [
        migrations.CreateModel("Fresh", [("id", models.BigAutoField(primary_key=True))],
                               options={"db_table": "reuse_page"}),
    ]
""",
    "0005_code": """
class Migration(migrations.Migration):
    dependencies = [("reuse", "0004_fresh")]
    operations = [migrations.AddField("fresh", "code", models.IntegerField(null=True))]
""",
}

SWAP = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Old", [("id", models.BigAutoField(primary_key=True))]),
    ]
""",
    "0002_retable": """
class Migration(migrations.Migration):
    dependencies = [("swap", "0001_initial")]
    operations = [migrations.AlterModelTable("old", "swap_new")]
""",
    "0003_fresh": """
class Migration(migrations.Migration):
    dependencies = [("swap", "0002_retable")]
    operations = [
        migrations.CreateModel("Fresh", [("id", models.BigAutoField(primary_key=True))],
                               options={"db_table": "swap_old"}),
    ]
""",
    "0004_code": """
class Migration(migrations.Migration):
    dependencies = [("swap", "0003_fresh")]
    operations = [migrations.AddField("fresh", "code", models.IntegerField(null=True))]
""",
}

TAKEN = {
    "0001_initial": """
class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Card", [
            ("id", models.BigAutoField(primary_key=True)),
            ("body", models.CharField(max_length=20)),
        ]),
    ]
""",
    "0002_hand_index": """
class Migration(migrations.Migration):
    dependencies = [("taken", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE INDEX ON taken_card (body)", "DROP INDEX taken_card_body_idx"),
    ]
""",
    "0003_cards": """
class Migration(migrations.Migration):
    dependencies = [("taken", "0002_hand_index")]
    operations = [migrations.AlterModelTable("card", "taken_cards")]
""",
    "0004_old_name_index": """
class Migration(migrations.Migration):
    dependencies = [("taken", "0003_cards")]
    operations = [
        migrations.AddIndex("card", models.Index(fields=["body"], name="taken_card")),
    ]
""",
    "0005_code": """
class Migration(migrations.Migration):
    dependencies = [("taken", "0004_old_name_index")]
    operations = [migrations.AddField("card", "code", models.IntegerField(null=True))]
""",
}

APPS = ("store", "catalog", "other", "extra", "swap", "reuse", "taken")
# Only the apps with hand SQL (renproj.hand_settings): nothing else in their walk.
HAND_APPS = ("extra", "reuse", "taken")
TARGETS = ("store:0007", "catalog:0005", "other:0002", "extra:0006", "swap:0004", "reuse:0005",
           "taken:0005")


def write_renamed_project(root: Path) -> Path:
    files = {"renproj/__init__.py": "", "renproj/settings.py": unreachable_settings(APPS),
             "renproj/hand_settings.py": unreachable_settings(HAND_APPS)}
    for app, migrations in (("store", STORE), ("catalog", CATALOG), ("other", OTHER),
                            ("extra", EXTRA), ("swap", SWAP), ("reuse", REUSE),
                            ("taken", TAKEN)):
        files.update(app_files(app, {name: HEADER + text.lstrip()
                                     for name, text in migrations.items()}))
    return write_files(root, files)
