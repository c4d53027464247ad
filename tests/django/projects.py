"""Small throwaway Django projects, written to a tmp dir, for the edge cases.

``shopproj`` (settings ``shopproj.settings``): the database is PostgreSQL when
``SHOP_DATABASE_URL`` is set, else SQLite at ``SHOP_SQLITE_PATH``; an alias
``unreachable`` points at a port nothing listens on.

* ``shop``: deferred FK/index attribution, RunSQL with params, a non-atomic
  migration, top-level and nested RunPython, a RemoveField whose SQL depends
  on the constraint name found by introspection;
* ``squashy``: two migrations and the squashed one replacing them;
* ``exotic``: migrations that fail to apply on a scratch server (a missing
  module to LOAD, a data migration failing on empty tables) and one after them.

``traceproj`` (settings ``traceproj.settings``, SQLite, replayed only): what
``--trace`` must measure without changing how the migrations run: a
RunPython that catches an IntegrityError in ``atomic()`` and calls
``schema_editor.execute``, an operation that cannot be written as SQL,
statements that refuse a transaction block, and RunSQL that manages the
transaction itself in a non-atomic migration.

``brokenproj``: an app whose migration module fails to import, and a
settings module that fails to import.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import write_files

SHOP_SETTINGS = """
import os
from pathlib import Path

SECRET_KEY = "test"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "shop", "squashy", "exotic"]

if os.environ.get("SHOP_DATABASE_URL"):
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(os.environ["SHOP_DATABASE_URL"])
    default = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.pop("dbname"),
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": params.pop("host", ""),
        "PORT": params.pop("port", ""),
        "OPTIONS": params,
    }
else:
    default = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["SHOP_SQLITE_PATH"],
    }
DATABASES = {
    "default": default,
    "unreachable": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "nothing",
        "HOST": "127.0.0.1",
        "PORT": "1",
        "OPTIONS": {"connect_timeout": 2},
    },
}
"""

SHOP_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=100)),
            ],
        ),
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("customer", models.ForeignKey("shop.Customer", models.CASCADE)),
                ("note", models.CharField(max_length=50, db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("label", models.CharField(max_length=20)),
            ],
        ),
    ]
"""

SHOP_0002 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.RunSQL(
            [
                ("INSERT INTO shop_customer (name) VALUES (%s)", ["O'Brien 100%"]),
                "UPDATE shop_customer SET name = upper(name)",
            ]
        ),
        migrations.RunSQL(
            "CREATE TABLE shop_audit (id integer);"
            "CREATE INDEX shop_audit_id ON shop_audit (id);"
        ),
    ]
"""

SHOP_0003 = """
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("shop", "0002_runsql")]
    operations = [
        AddIndexConcurrently(
            "customer", models.Index(fields=["name"], name="shop_customer_name_idx")
        ),
    ]
"""

SHOP_0004 = """
from django.db import migrations, models


def top_level(apps, schema_editor):
    Customer = apps.get_model("shop", "Customer")
    Customer.objects.using(schema_editor.connection.alias).create(name="top-python-ran")


def nested(apps, schema_editor):
    Customer = apps.get_model("shop", "Customer")
    Customer.objects.using(schema_editor.connection.alias).create(name="nested-python-ran")


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_concurrent")]
    operations = [
        migrations.RunPython(top_level, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(nested, migrations.RunPython.noop),
                migrations.RunSQL("ALTER TABLE shop_tag ADD COLUMN color varchar(7) NULL"),
            ],
            state_operations=[
                migrations.AddField("tag", "color", models.CharField(max_length=7, null=True)),
            ],
        ),
        migrations.AddField("customer", "email", models.EmailField(null=True)),
    ]
"""

SHOP_0005 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_python")]
    operations = [
        migrations.RemoveField("order", "customer"),
    ]
"""

SQUASHY_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[("id", models.AutoField(primary_key=True))],
        ),
    ]
"""

SQUASHY_0002 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("squashy", "0001_initial")]
    operations = [
        migrations.AddField("item", "price", models.IntegerField(default=0)),
    ]
"""

SQUASHY_SQUASHED = """
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [("squashy", "0001_initial"), ("squashy", "0002_item_price")]
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("price", models.IntegerField(default=0)),
            ],
        ),
    ]
"""

EXOTIC_0001 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []
    operations = [
        # A missing extension is skipped with a warning (see stand_ins): a module
        # that does not exist still fails.
        migrations.RunSQL("LOAD 'sqlreview_no_such_extension'"),
    ]
"""

EXOTIC_0002 = """
from django.db import migrations, models


def needs_data(apps, schema_editor):
    Thing = apps.get_model("exotic", "Thing")
    Thing.objects.using(schema_editor.connection.alias).get(pk=1)


class Migration(migrations.Migration):
    dependencies = [("exotic", "0001_extension")]
    operations = [
        migrations.CreateModel(
            name="Thing",
            fields=[("id", models.AutoField(primary_key=True))],
        ),
        migrations.RunPython(needs_data),
    ]
"""

EXOTIC_0003 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exotic", "0002_thing")]
    operations = [
        migrations.AddField("thing", "size", models.IntegerField(null=True)),
    ]
"""

BROKEN_SETTINGS = """
SECRET_KEY = "test"
INSTALLED_APPS = ["broken"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""

TRACE_SETTINGS = """
SECRET_KEY = "test"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["tracey"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""

TRACEY_0001 = """
from django.db import IntegrityError, migrations, models, transaction
from django.db.migrations.operations.base import Operation


def caught(apps, schema_editor):
    Thing = apps.get_model("tracey", "Thing")
    Thing.objects.create(id=1, name="a")
    try:
        with transaction.atomic():
            Thing.objects.create(id=1, name="duplicate")
    except IntegrityError:
        pass
    schema_editor.execute("CREATE INDEX tracey_thing_name ON tracey_thing (name)")


class AddExtra(Operation):
    reduces_to_sql = False

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute("ALTER TABLE tracey_thing ADD COLUMN extra integer")

    def describe(self):
        return "Add a column Django does not know about"


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            "Thing",
            [
                ("id", models.IntegerField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
            ],
        ),
        migrations.RunPython(caught),
        AddExtra(),
        migrations.RunSQL("UPDATE tracey_thing SET name = 'b'"),
    ]
"""

TRACEY_0002 = """
from django.db import migrations


def more(apps, schema_editor):
    schema_editor.execute("ALTER TABLE tracey_thing ADD COLUMN more integer")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tracey", "0001_initial")]
    operations = [
        migrations.RunSQL("VACUUM FULL tracey_thing"),
        migrations.RunSQL("DROP INDEX CONCURRENTLY tracey_thing_name"),
        migrations.RunSQL("BEGIN"),
        migrations.RunSQL("UPDATE tracey_thing SET name = 'c'"),
        migrations.RunSQL("COMMIT"),
        # Leaves its transaction open, as it would in autocommit: SELECT 1 runs in it.
        migrations.RunSQL(
            "UPDATE tracey_thing SET name = 'd'; BEGIN; LOCK tracey_thing IN SHARE MODE"
        ),
        migrations.RunSQL("SELECT 1"),
        migrations.RunSQL("COMMIT"),
        migrations.RunPython(more, atomic=True),
    ]
"""

BROKEN_MIGRATION = """
from django.db import migrations
import sqlreview_no_such_module  # noqa: F401


class Migration(migrations.Migration):
    operations = []
"""


def write_shop_project(root: Path) -> Path:
    return write_files(
        root,
        {
            "shopproj/__init__.py": "",
            "shopproj/settings.py": SHOP_SETTINGS,
            "shop/__init__.py": "",
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": SHOP_0001,
            "shop/migrations/0002_runsql.py": SHOP_0002,
            "shop/migrations/0003_concurrent.py": SHOP_0003,
            "shop/migrations/0004_python.py": SHOP_0004,
            "shop/migrations/0005_remove_order_customer.py": SHOP_0005,
            "squashy/__init__.py": "",
            "squashy/migrations/__init__.py": "",
            "squashy/migrations/0001_initial.py": SQUASHY_0001,
            "squashy/migrations/0002_item_price.py": SQUASHY_0002,
            "squashy/migrations/0001_squashed_0002_item_price.py": SQUASHY_SQUASHED,
            "exotic/__init__.py": "",
            "exotic/migrations/__init__.py": "",
            "exotic/migrations/0001_extension.py": EXOTIC_0001,
            "exotic/migrations/0002_thing.py": EXOTIC_0002,
            "exotic/migrations/0003_thing_size.py": EXOTIC_0003,
        },
    )


def write_trace_project(root: Path) -> Path:
    return write_files(
        root,
        {
            "traceproj/__init__.py": "",
            "traceproj/settings.py": TRACE_SETTINGS,
            "tracey/__init__.py": "",
            "tracey/migrations/__init__.py": "",
            "tracey/migrations/0001_initial.py": TRACEY_0001,
            "tracey/migrations/0002_nonatomic.py": TRACEY_0002,
        },
    )


def write_broken_project(root: Path) -> Path:
    return write_files(
        root,
        {
            "brokenproj/__init__.py": "",
            "brokenproj/settings.py": BROKEN_SETTINGS,
            "brokenproj/badsettings.py": "import sqlreview_no_such_settings_dependency\n",
            "broken/__init__.py": "",
            "broken/migrations/__init__.py": "",
            "broken/migrations/0001_initial.py": BROKEN_MIGRATION,
        },
    )
