"""``sqlreview [targets] --publish``: the Django command publishes like ``sqlreview sql``."""

from __future__ import annotations

from pathlib import Path

from sqlreview.scratch import ScratchServer
from tests.publish.fakehub import FakeHub
from tests.support.publish import PR, REPO, Cli

SAMPLE = Path(__file__).resolve().parents[2] / "sample_migrations"


def test_a_migration_review_is_published_and_a_refusal_keeps_its_exit_1(
        cli: Cli, hub: FakeHub, pg_server: ScratchServer) -> None:
    arguments = ("library:0011", "--pythonpath", str(SAMPLE), "--settings",
                 "sampleproject.settings", "--scratch-url", pg_server.url)
    published = cli.spawn(*arguments, "--publish", "github", env=cli.github_env())
    thread = hub.github[(REPO, PR)]
    [comment] = [c for c in thread if str(c["body"]).startswith("<!-- sqlreview -->\n")]
    thread.remove(comment)  # so that the next run has to write, and is refused
    hub.read_only = True
    refused = cli.spawn(*arguments, "--publish", "github", env=cli.github_env())
    required = cli.spawn(*arguments, "--publish", "github", "--publish-required",
                         env=cli.github_env())

    assert published.code == 1, published.err  # the sample's 0011 rewrites a table
    assert "library_book" in str(comment["body"])
    assert refused.code == 1  # a fork's read-only token never hides a critical migration
    assert required.code == 4
    assert refused.out == published.out
    assert "pull-requests: write" in refused.err
    assert hub.token not in published.err + refused.err + published.out
