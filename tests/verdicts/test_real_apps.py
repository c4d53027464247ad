"""Verdicts on migrations nobody here wrote: Django's contrib apps and popular apps from
PyPI (django-taggit, Django REST framework's authtoken, django-reversion,
django-guardian, django-allauth), all installed with the test extra.

Each claim is checked against what decides it, never against a list we wrote:

- the SQL is what Django's own ``sqlmigrate`` prints for each migration, and sqlreview
  fails only where Django itself does;
- the fast pre-state of every tenth migration has the catalog of the exact replay;
- ``--trace`` runs every statement on PostgreSQL, and the estimated locks and rewrites
  agree with what the server did (no SR004 anywhere);
- every statement's risk is explained by a finding at that level or by what its lock
  and cost say (the review stage's rule, ``review/finish.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.catalogs import differences, fast_and_exact
from tests.support.cli import ROOT, run_sqlreview
from tests.support.django_driver import run_driver
from tests.support.projects import write_files

PACKAGES = {"taggit": "django-taggit", "rest_framework": "djangorestframework",
            "reversion": "django-reversion", "guardian": "django-guardian",
            "allauth": "django-allauth"}
for _module, _distribution in PACKAGES.items():
    pytest.importorskip(_module, reason=f"{_distribution} comes with the test extra")

APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.admin",
    "django.contrib.sessions", "django.contrib.sites", "django.contrib.flatpages",
    "django.contrib.redirects",
    "taggit", "rest_framework", "rest_framework.authtoken", "reversion", "guardian",
    "allauth", "allauth.account", "allauth.socialaccount", "allauth.usersessions",
]

# The database is the configured one only for the sqlmigrate walk, which migrates it
# along as Django would; the review never needs it.
SETTINGS = f"""
import os

from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "test"
INSTALLED_APPS = {json.dumps(APPS)}
MIDDLEWARE = ["allauth.account.middleware.AccountMiddleware"]  # allauth refuses to load without
SITE_ID = 1
_params = conninfo_to_dict(os.environ.get("REALAPPS_DATABASE_URL",
                                          "host=127.0.0.1 port=1 dbname=nothing"))
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql",
    "NAME": _params.pop("dbname", ""), "USER": _params.pop("user", ""),
    "PASSWORD": _params.pop("password", ""), "HOST": _params.pop("host", ""),
    "PORT": _params.pop("port", ""), "OPTIONS": {{"connect_timeout": 2, **_params}},
}}}}
"""

LEVELS = ("low", "medium", "high", "critical")
SLOW_COSTS = ("rewrite", "full scan", "index build", "data change")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("realapps"),
                       {"realproj/__init__.py": "", "realproj/settings.py": SETTINGS})


def driver_env(project: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(ROOT), str(project)]), **extra}


@pytest.fixture(scope="module")
def traced(project: Path, pg_server: ScratchServer) -> dict[str, Any]:
    result = run_sqlreview("--all", "--include-third-party", "--trace", "--settings",
                           "realproj.settings", "--pythonpath", str(project), "--scratch-url",
                           pg_server.url, "--no-cache", "--format", "json", "--fail-on",
                           "never")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def walk(project: Path, pg_server: ScratchServer) -> Iterator[dict[str, Any]]:
    with pg_server.temporary_database(prefix="sqlreview_test") as configured:
        env = driver_env(project, REALAPPS_DATABASE_URL=configured)
        yield run_driver("sqlmigrate_walk", env=env, project=str(project),
                         settings="realproj.settings",
                         scratch_url=pg_server.url, include_third_party=True)


def statements(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for migration in document["migrations"]:
        for statement in migration["statements"]:
            yield f"{migration['app']}.{migration['name']}", statement


def test_every_app_is_reviewed_without_an_error(traced: dict[str, Any]) -> None:
    apps = {migration["app"] for migration in traced["migrations"]}
    assert {"auth", "contenttypes", "admin", "sessions", "sites", "flatpages", "redirects",
            "taggit", "authtoken", "reversion", "guardian", "account", "socialaccount",
            "usersessions"} <= apps
    assert len(traced["migrations"]) >= 50
    assert [m["name"] for m in traced["migrations"] if m["error"]] == []
    assert traced["errors"] == []
    assert [label for label, s in statements(traced) if s["risk"] is None] == []


def test_the_sql_is_what_sqlmigrate_prints(walk: dict[str, Any]) -> None:
    assert len(walk["labels"]) >= 50
    assert walk["mismatches"] == []
    assert walk["errors"] == walk["django_errors"] == {}


def test_the_estimates_agree_with_postgresql(traced: dict[str, Any]) -> None:
    measured = [s for _, s in statements(traced) if s["measured"] is not None]
    assert len(measured) >= 100
    disagreements = [(label, s["sql"], s["measured"]["disagreements"])
                     for label, s in statements(traced)
                     if s["measured"] is not None and s["measured"]["disagreements"]]
    assert disagreements == []
    assert [label for label, s in statements(traced)
            if any(f["code"] == "SR004" for f in s["findings"])] == []


def unexplained(statement: dict[str, Any]) -> bool:
    """A risk above every finding that its lock and cost do not account for: critical
    and high come from slow work under a lock that blocks writes, medium from a lock
    that blocks reads (ACCESS EXCLUSIVE) or from not knowing what the statement does."""
    risk = statement["risk"]
    counted = [LEVELS.index(f["severity"]) for f in statement["findings"]
               if not f.get("suppressed")]
    if LEVELS.index(risk) <= max(counted, default=0):
        return False
    new = set(statement["new_relations"])
    modes = {lock["mode"] for lock in statement["locks"] if lock["relation"] not in new}
    if risk == "medium":
        return "AccessExclusiveLock" not in modes and statement["cost"] != "unknown"
    return statement["cost"] not in SLOW_COSTS


def test_every_risk_is_explained(traced: dict[str, Any]) -> None:
    assert [(label, s["sql"], s["risk"]) for label, s in statements(traced)
            if unexplained(s)] == []
    risks = {s["risk"] for _, s in statements(traced)}
    assert {"low", "medium", "high"} <= risks  # the rule was put to the test


def test_the_fast_pre_state_has_the_catalog_of_the_exact_replay(
        project: Path, pg_server: ScratchServer) -> None:
    compared = fast_and_exact(project, "realproj.settings", pg_server.url, every=10,
                              env=driver_env(project), include_third_party=True)
    assert len(compared) >= 5
    assert differences(compared) == []
