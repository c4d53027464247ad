"""``dbaproj``: a small Django project whose migrations are the cases of issue 12.

Settings ``dbaproj.settings`` (SQLite default database, never touched by
replay, or PostgreSQL at ``$DBA_DATABASE_URL`` for live mode; an alias
``replica`` replay must refuse). Apps:

* ``accounts``: an existing table (0001); a migration pairing a field with
  ``RunPython.noop`` (0002); RunPython code that changes the schema through
  the schema editor and writes through a cursor (0003);
* ``tickets``: a new table with a foreign key to ``accounts`` (0001); a table
  created (0002) then renamed with one of its columns (0003) by the same
  review; a ``DROP TABLE IF EXISTS`` of a table the replay never had (0004); a
  ``UniqueConstraint(nulls_distinct=False)`` (PostgreSQL 15+, 0005);
* ``reports``: a data migration that reads the ``replica`` alias;
* ``inventory``: an ICU collation and ``pgcrypto`` (the embedded server has
  neither), then a table using the collation.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import app_files, write_files

SETTINGS = """
import os

SECRET_KEY = "test"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["accounts", "tickets", "reports", "inventory"]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "replica": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
if os.environ.get("DBA_DATABASE_URL"):  # live mode needs PostgreSQL
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(os.environ["DBA_DATABASE_URL"])
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql", "NAME": params.pop("dbname"),
        "USER": params.pop("user", ""), "HOST": params.pop("host", ""),
        "PORT": params.pop("port", ""),
    }
"""

ACCOUNTS = {
    "0001_initial.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            operations = [migrations.CreateModel("Account", [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=100)),
            ])]
    """,
    "0002_nickname_noop.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("accounts", "0001_initial")]
            operations = [
                migrations.AddField("account", "nickname",
                                    models.CharField(max_length=20, default="x")),
                migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
                migrations.RunPython(code=migrations.RunPython.noop),
            ]
    """,
    "0003_python_renames.py": """
        from django.db import migrations

        def rename_table(apps, schema_editor):
            schema_editor.alter_db_table(apps.get_model("accounts", "Account"),
                                         "accounts_account", "accounts_member")

        def fill_names(apps, schema_editor):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("UPDATE accounts_member SET name = upper(name)")

        class Migration(migrations.Migration):
            dependencies = [("accounts", "0002_nickname_noop")]
            operations = [
                migrations.SeparateDatabaseAndState(
                    database_operations=[migrations.RunPython(rename_table)],
                    state_operations=[migrations.AlterModelTable("account", "accounts_member")],
                ),
                migrations.RunPython(fill_names, migrations.RunPython.noop),
            ]
    """,
}

TICKETS = {
    "0001_initial.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            dependencies = [("accounts", "0001_initial")]
            operations = [migrations.CreateModel("Problem", [
                ("id", models.BigAutoField(primary_key=True)),
                ("title", models.CharField(max_length=100)),
                ("account", models.ForeignKey("accounts.Account", models.CASCADE)),
            ])]
    """,
    "0002_label.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("tickets", "0001_initial")]
            operations = [migrations.CreateModel("Label", [
                ("id", models.BigAutoField(primary_key=True)),
                ("text", models.CharField(max_length=30)),
            ])]
    """,
    "0003_rename_label.py": """
        from django.db import migrations

        class Migration(migrations.Migration):
            dependencies = [("tickets", "0002_label")]
            operations = [
                migrations.RenameModel("Label", "Tag"),
                migrations.RenameField("tag", "text", "caption"),
            ]
    """,
    "0004_drop_admin_log.py": """
        from django.db import migrations

        class Migration(migrations.Migration):
            dependencies = [("tickets", "0003_rename_label")]
            operations = [migrations.RunSQL("DROP TABLE IF EXISTS django_admin_log",
                                            migrations.RunSQL.noop)]
    """,
    "0005_unique_title.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("tickets", "0004_drop_admin_log")]
            operations = [migrations.AddConstraint("problem", models.UniqueConstraint(
                fields=["title"], nulls_distinct=False, name="tickets_problem_title_uniq"))]
    """,
}

REPORTS = {
    "0001_read_replica.py": """
        from django.db import migrations

        def count_on_replica(apps, schema_editor):
            apps.get_model("accounts", "Account").objects.using("replica").count()

        class Migration(migrations.Migration):
            dependencies = [("accounts", "0001_initial")]
            operations = [migrations.RunPython(count_on_replica, migrations.RunPython.noop)]
    """,
}

INVENTORY = {
    "0001_collation_and_crypto.py": """
        from django.contrib.postgres.operations import CreateCollation, CryptoExtension
        from django.db import migrations

        class Migration(migrations.Migration):
            operations = [
                CreateCollation("case_insensitive", provider="icu",
                                locale="und-u-ks-level2", deterministic=False),
                CryptoExtension(),
            ]
    """,
    "0002_device.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("inventory", "0001_collation_and_crypto")]
            operations = [migrations.CreateModel("Device", [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=50, db_collation="case_insensitive")),
            ])]
    """,
}


def write_project(root: Path) -> Path:
    files = {"dbaproj/__init__.py": "", "dbaproj/settings.py": SETTINGS}
    for app, migrations in (("accounts", ACCOUNTS), ("tickets", TICKETS), ("reports", REPORTS),
                            ("inventory", INVENTORY)):
        files.update(app_files(app, {name.removesuffix(".py"): text
                                     for name, text in migrations.items()}))
    return write_files(root, files, keep_leading_newline=True)
