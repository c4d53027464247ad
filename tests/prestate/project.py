"""A project shaped like the real ones the pre-state must survive (``preproj``).

* ``users``: the custom user model (so ``auth.User`` is swapped out) and a token;
* ``account``: a proxy of ``users.Token`` and an unmanaged model, which get no table;
* ``alpha``: a ``RunSQL`` (a hand-made index) and a ``RunPython`` that reads through
  the ``replica`` alias (``TEST["MIRROR"]`` = default) in its history, then a
  harmless migration to review;
* ``beta``: a table, then a NOT NULL column the old code does not fill, then a
  nullable one that could run before the rollout but depends on it;
* ``gamma``: a migration that fails on any scratch server (a module to LOAD);
* ``delta``: a table, then a data fix in ``RunSQL`` (rows only: not held back).

Named targets only: the configured database is never reachable.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.projects import write_files

SETTINGS = """
SECRET_KEY = "test"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth",
                  "users", "account", "alpha", "beta", "gamma", "delta"]
AUTH_USER_MODEL = "users.User"
NOWHERE = {"ENGINE": "django.db.backends.postgresql", "NAME": "nothing",
           "HOST": "127.0.0.1", "PORT": "1", "OPTIONS": {"connect_timeout": 2}}
DATABASES = {"default": NOWHERE, "replica": {**NOWHERE, "TEST": {"MIRROR": "default"}}}
"""

USERS_MODELS = """
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models


class User(AbstractBaseUser):
    username = models.CharField(max_length=150, unique=True)
    USERNAME_FIELD = "username"


class Token(models.Model):
    key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey("users.User", on_delete=models.CASCADE)
"""

USERS_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [
        migrations.CreateModel("User", [
            ("id", models.BigAutoField(primary_key=True)),
            ("password", models.CharField(max_length=128)),
            ("last_login", models.DateTimeField(blank=True, null=True)),
            ("username", models.CharField(max_length=150, unique=True)),
        ]),
        migrations.CreateModel("Token", [
            ("key", models.CharField(max_length=40, primary_key=True)),
            ("user", models.ForeignKey(on_delete=models.CASCADE, to="users.user")),
        ]),
    ]
"""

ACCOUNT_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("users", "0001_initial")]
    operations = [
        migrations.CreateModel("UserToken", [], options={"proxy": True},
                               bases=("users.token",)),
        migrations.CreateModel("Legacy", [("id", models.IntegerField(primary_key=True))],
                               options={"managed": False, "db_table": "users_token"}),
    ]
"""

ALPHA_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Widget", [
            ("id", models.BigAutoField(primary_key=True)),
            ("name", models.CharField(max_length=50)),
        ]),
    ]
"""

ALPHA_0002 = """
from django.db import migrations


def count_on_the_replica(apps, schema_editor):
    apps.get_model("alpha", "Widget").objects.using("replica").count()


class Migration(migrations.Migration):
    dependencies = [("alpha", "0001_initial")]
    operations = [
        migrations.RunSQL("CREATE INDEX alpha_widget_name_hand ON alpha_widget (name)",
                          "DROP INDEX alpha_widget_name_hand"),
        migrations.RunPython(count_on_the_replica, migrations.RunPython.noop),
    ]
"""

ALPHA_0003 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alpha", "0002_hand_index"), ("account", "0001_initial"),
                    ("gamma", "0001_initial"), ("delta", "0002_data_fix")]
    operations = [
        migrations.AddField("widget", "note", models.TextField(blank=True, null=True)),
    ]
"""

BETA_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Gadget", [
            ("id", models.BigAutoField(primary_key=True)),
            ("title", models.CharField(max_length=50)),
        ]),
    ]
"""

BETA_0002 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("beta", "0001_initial")]
    operations = [
        migrations.AddField("gadget", "weight", models.IntegerField(default=1),
                            preserve_default=False),
    ]
"""

BETA_0003 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("beta", "0002_gadget_weight")]
    operations = [
        migrations.AddField("gadget", "colour", models.TextField(blank=True, null=True)),
    ]
"""

GAMMA_0001 = """
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    operations = [migrations.RunSQL("LOAD 'sqlreview_no_such_module'", migrations.RunSQL.noop)]
"""


DELTA_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Thing", [
            ("id", models.BigAutoField(primary_key=True)),
            ("n", models.IntegerField(null=True)),
        ]),
    ]
"""

DELTA_0002 = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("delta", "0001_initial")]
    operations = [
        migrations.RunSQL(["UPDATE delta_thing SET n = 0 WHERE n IS NULL",
                           ("DELETE FROM delta_thing WHERE n < %s", [0])],
                          migrations.RunSQL.noop),
    ]
"""


def write_prestate_project(root: Path) -> Path:
    files = {"preproj/__init__.py": "", "preproj/settings.py": SETTINGS,
             "users/models.py": USERS_MODELS}
    migrations = {
        "users": {"0001_initial": USERS_0001},
        "account": {"0001_initial": ACCOUNT_0001},
        "alpha": {"0001_initial": ALPHA_0001, "0002_hand_index": ALPHA_0002,
                  "0003_widget_note": ALPHA_0003},
        "beta": {"0001_initial": BETA_0001, "0002_gadget_weight": BETA_0002,
                 "0003_gadget_colour": BETA_0003},
        "gamma": {"0001_initial": GAMMA_0001},
        "delta": {"0001_initial": DELTA_0001, "0002_data_fix": DELTA_0002},
    }
    for app, named in migrations.items():
        files[f"{app}/__init__.py"] = ""
        files[f"{app}/migrations/__init__.py"] = ""
        files.update({f"{app}/migrations/{name}.py": text for name, text in named.items()})
    return write_files(root, files)
