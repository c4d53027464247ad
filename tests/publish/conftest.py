"""Fixtures of the publishing tests: a fake GitHub/GitLab with a busy thread, and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.publish.fakehub import FakeHub, serve
from tests.support.publish import MR, PR, PROJECT_KEY, REPO, Cli, seed_others


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    for server in serve():
        for body in seed_others():
            server.add_github_comment(REPO, PR, body)
        for n, body in enumerate(seed_others()):
            server.add_gitlab_note(PROJECT_KEY, MR, body)
            if n % 50 == 0:
                server.add_gitlab_note(PROJECT_KEY, MR, "added 1 commit", system=True)
        yield server


@pytest.fixture
def cli(hub: FakeHub, tmp_path: Path) -> Cli:
    return Cli(hub, tmp_path)
