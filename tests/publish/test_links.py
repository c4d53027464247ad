"""Links from the comment to each migration file at the pull request's head commit."""

from __future__ import annotations

import json
from pathlib import Path

from sqlreview.publish.links import file_links, repository_path
from sqlreview.publish.options import PublishOptions
from tests.publish.fakehub import FakeHub
from tests.support.publish import MR, PROJECT_KEY, REPO, Cli

HEAD = "0123456789abcdef0123456789abcdef01234567"
MERGE = "fedcba9876543210fedcba9876543210fedcba98"
GITHUB = PublishOptions(platform="github")
GITLAB = PublishOptions(platform="gitlab")


def github_event(tmp_path: Path, head: object = HEAD) -> str:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": head}}}),
                     encoding="utf-8")
    return str(event)


def test_github_links_the_head_commit_not_the_merge_commit(tmp_path: Path) -> None:
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": github_event(tmp_path),
           "GITHUB_SHA": MERGE, "GITHUB_WORKSPACE": str(tmp_path)}
    link = file_links(GITHUB, env, cwd=tmp_path)
    assert link("shop/migrations/0003_total.py", 12) == (
        f"https://github.com/{REPO}/blob/{HEAD}/shop/migrations/0003_total.py#L12")
    assert link("shop/migrations/0003_total.py", None) == (
        f"https://github.com/{REPO}/blob/{HEAD}/shop/migrations/0003_total.py")


def test_github_enterprise_uses_its_server_and_paths_are_from_the_checkout(
        tmp_path: Path) -> None:
    backend = tmp_path / "backend"
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": github_event(tmp_path),
           "GITHUB_SERVER_URL": "https://git.example.com/", "GITHUB_WORKSPACE": str(tmp_path)}
    link = file_links(GITHUB, env, cwd=backend)  # sqlreview ran in a subdirectory
    assert link("shop/migrations/0001 initial.py", 3) == (
        f"https://git.example.com/{REPO}/blob/{HEAD}/backend/shop/migrations/"
        "0001%20initial.py#L3")


def test_no_link_outside_the_checkout_or_without_a_head_commit(tmp_path: Path) -> None:
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": github_event(tmp_path),
           "GITHUB_WORKSPACE": str(tmp_path)}
    link = file_links(GITHUB, env, cwd=tmp_path)
    assert link("/usr/lib/python3/site-packages/taggit/migrations/0001_initial.py", 1) is None
    assert link("../elsewhere/0001_initial.py", 1) is None
    for head in ("not a sha", None, 42):
        env["GITHUB_EVENT_PATH"] = github_event(tmp_path, head)
        assert file_links(GITHUB, env, cwd=tmp_path)("shop/m.py", 1) is None
    assert file_links(PublishOptions(), env, cwd=tmp_path)("shop/m.py", 1) is None


def test_gitlab_links_the_source_branch_commit(tmp_path: Path) -> None:
    env = {"CI_MERGE_REQUEST_SOURCE_PROJECT_URL": "https://gitlab.example/fork/shop",
           "CI_PROJECT_URL": "https://gitlab.example/group/shop",
           "CI_COMMIT_SHA": MERGE, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": HEAD,
           "CI_PROJECT_DIR": str(tmp_path)}
    link = file_links(GITLAB, env, cwd=tmp_path)
    assert link("shop/migrations/0003_total.py", 12) == (
        f"https://gitlab.example/fork/shop/-/blob/{HEAD}/shop/migrations/0003_total.py#L12")
    del env["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"]  # not a merged-results pipeline
    assert f"/-/blob/{MERGE}/" in str(file_links(GITLAB, env, cwd=tmp_path)("a.py", None))


def test_repository_path_stays_inside_the_root(tmp_path: Path) -> None:
    assert repository_path("a/../b.py", tmp_path, tmp_path) == "b.py"
    assert repository_path("../b.py", tmp_path, tmp_path) is None
    assert repository_path(".", tmp_path, tmp_path) is None


def test_the_published_comment_links_the_file(cli: Cli, hub: FakeHub, tmp_path: Path) -> None:
    sql = cli.sql_file("CREATE INDEX shop_order_note_idx ON shop_order (note);\n")
    env = cli.gitlab_env(CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=HEAD,
                         CI_PROJECT_DIR=str(tmp_path))
    result = cli.run("sql", sql, "--publish", "gitlab", env=env)
    assert result.code == 1, result.err
    [body] = [str(note["body"]) for note in hub.gitlab[(PROJECT_KEY, MR)]
              if str(note["body"]).startswith("<!-- sqlreview -->")]
    assert (f"(https://gitlab.example/group/sub/shop/-/blob/{HEAD}/change.sql) — high"
            in body)
    assert "[SR107](https://sqlreview.readthedocs.io/en/latest/rules/SR107/)" in body
    assert f"blob/{HEAD}" not in result.out  # the printed report has no file links
