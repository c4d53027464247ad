"""The truth harness's template database, built once per session for every truth test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sqlreview.scratch import ScratchServer
from tests.truth.runner import TruthDatabase


@pytest.fixture(scope="session")
def truth(pg_server: ScratchServer) -> Iterator[TruthDatabase]:
    """The loaded template database and the clone transaction cases share."""
    database = TruthDatabase(pg_server)
    try:
        database.start()
        yield database
    finally:
        database.stop()
