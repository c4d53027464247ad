"""Settings for the sqlreview sample project.

Production would run PostgreSQL: set SAMPLE_DATABASE_URL (a libpq URL or
key=value string, e.g. postgresql://user@localhost/sample) to use it. Without
it the project runs on SQLite, as many teams do in local development;
sqlreview renders the PostgreSQL SQL either way.
"""

import importlib.util
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "sample-project-not-secret"
DEBUG = True
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "library",
    "legacy",
]
# `python manage.py sqlreview` works once sqlreview is installed.
if importlib.util.find_spec("sqlreview") is not None:
    INSTALLED_APPS.append("sqlreview")

MIDDLEWARE: list[str] = []
ROOT_URLCONF = "sampleproject.urls"


def postgres_from_url(url: str) -> dict[str, object]:
    """Django's DATABASES entry for a libpq connection string."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": params.pop("dbname", ""),
        "USER": params.pop("user", ""),
        "PASSWORD": params.pop("password", ""),
        "HOST": params.pop("host", ""),
        "PORT": params.pop("port", ""),
        "OPTIONS": params,
    }


if os.environ.get("SAMPLE_DATABASE_URL"):
    DATABASES = {"default": postgres_from_url(os.environ["SAMPLE_DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
