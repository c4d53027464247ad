"""``--publish``, end to end: the real CLI against a local fake GitHub and GitLab.

The acceptance scenarios run ``python -m sqlreview`` as a subprocess
(``cli.spawn``); the others call ``sqlreview.cli.main`` in this process
(``cli.run``), which is the same code and much faster.

The pull request and the merge request each have 150 comments by others
(among them another bot's, a human quoting our marker, another sqlreview
job's), so our comment lands on the second page of 100.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.publish.fakehub import FakeHub
from tests.support.publish import (
    CLEAN_SQL,
    CRITICAL_SQL,
    HIGH_SQL,
    MR,
    OTHERS,
    PR,
    PROJECT_KEY,
    REPO,
    Cli,
    Result,
)

MARKER = "<!-- sqlreview -->"


def ours(hub: FakeHub, platform: str = "github") -> list[dict[str, object]]:
    thread = hub.github[(REPO, PR)] if platform == "github" else hub.gitlab[(PROJECT_KEY, MR)]
    return [c for c in thread if str(c["body"]).startswith(MARKER + "\n")]


def others(hub: FakeHub, platform: str = "github") -> dict[object, object]:
    thread = hub.github[(REPO, PR)] if platform == "github" else hub.gitlab[(PROJECT_KEY, MR)]
    return {c["id"]: c["body"] for c in thread if c not in ours(hub, platform)}


def assert_secret_kept(result: Result, hub: FakeHub) -> None:
    assert hub.token not in result.out
    assert hub.token not in result.err
    assert "Traceback" not in result.err


def report_alone(cli: Cli, sql_file: str) -> Result:
    """The same review without publishing: what stdout must still show."""
    return cli.run("sql", sql_file, env={})


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_first_run_creates_one_comment_and_the_next_updates_it(cli: Cli, hub: FakeHub,
                                                               platform: str) -> None:
    env = cli.github_env() if platform == "github" else cli.gitlab_env()
    before = others(hub, platform)
    assert len(before) >= OTHERS  # and GitLab's system notes
    first = cli.spawn("sql", cli.sql_file(HIGH_SQL), "--publish", platform, env=env)

    assert first.code == 1, first.err  # the review's own verdict: a high statement
    assert first.out == report_alone(cli, cli.sql_file(HIGH_SQL)).out
    [comment] = ours(hub, platform)
    assert "shop_order" in str(comment["body"])
    creates = [entry for entry in hub.writes() if entry.method == "POST"]
    assert len(creates) == 1
    # The comments were listed in pages of 100, and the second page was read.
    pages = [entry.query.get("page", "1") for entry in hub.log if entry.method == "GET"]
    assert pages == ["1", "2"]
    assert all(entry.query["per_page"] == "100" for entry in hub.log if entry.method == "GET")

    second = cli.spawn("sql", cli.sql_file(HIGH_SQL + CLEAN_SQL), "--show", "all",
                       "--publish", platform,
                       env=env)

    assert second.code == 1, second.err
    [updated] = ours(hub, platform)
    assert updated["id"] == comment["id"]
    assert "shop\\_order\\_status\\_idx" in str(updated["body"])  # Markdown-escaped
    assert len([entry for entry in hub.writes() if entry.method == "POST"]) == 1
    assert others(hub, platform) == before
    assert_secret_kept(first, hub)
    assert_secret_kept(second, hub)


def test_github_requests_carry_the_documented_headers(cli: Cli, hub: FakeHub) -> None:
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=cli.github_env())

    assert result.code == 1, result.err
    for entry in hub.log:
        assert entry.headers["authorization"] == f"Bearer {hub.token}"
        assert entry.headers["accept"] == "application/vnd.github+json"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.headers["x-github-api-version"])
        assert hub.token not in entry.path and hub.token not in str(entry.query)


def test_gitlab_sends_the_token_header_and_encodes_a_project_path(cli: Cli, hub: FakeHub
                                                                   ) -> None:
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "gitlab", env=cli.gitlab_env())

    assert result.code == 1, result.err
    assert hub.log and all(entry.path.startswith(f"/api/v4/projects/{PROJECT_KEY}/")
                           for entry in hub.log)
    assert all(entry.headers["private-token"] == hub.token for entry in hub.log)
    assert "gitlab.example/group/sub/shop/-/merge_requests/3#note_" in result.err


def test_gitlab_follows_link_headers_too(cli: Cli, hub: FakeHub) -> None:
    hub.gitlab_links = True
    env = cli.gitlab_env()
    cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "gitlab", env=env)
    cli.run("sql", cli.sql_file(HIGH_SQL + CLEAN_SQL), "--publish", "gitlab", env=env)

    assert len(ours(hub, "gitlab")) == 1
    assert [e.method for e in hub.writes()] == ["POST", "PUT"]


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_server_errors_are_retried(cli: Cli, hub: FakeHub, platform: str) -> None:
    env = cli.github_env() if platform == "github" else cli.gitlab_env()
    hub.fail(500, method="GET")
    hub.fail(502, method="GET")
    hub.fail(503, method="POST")

    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", platform, env=env)

    assert result.code == 1, result.err
    assert [entry.status for entry in hub.log] == [500, 502, 200, 200, 503, 201]
    assert len(ours(hub, platform)) == 1


def test_retry_after_is_honoured(cli: Cli, hub: FakeHub) -> None:
    hub.fail(429, method="GET", headers={"Retry-After": "1"})
    started = time.monotonic()

    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=cli.github_env())

    assert result.code == 1, result.err
    assert time.monotonic() - started >= 1.0  # the base backoff is 0 in these tests
    assert len(ours(hub)) == 1


def test_persistent_server_errors_give_up_after_four_attempts(cli: Cli, hub: FakeHub) -> None:
    hub.fail(503, times=10)
    sql = cli.sql_file(HIGH_SQL)

    result = cli.run("sql", sql, "--publish", "github", "--publish-required",
                     env=cli.github_env())

    assert result.code == 4
    assert len(hub.log) == 4
    assert result.out == report_alone(cli, sql).out
    assert "HTTP 503" in result.err and "4 attempts" in result.err
    assert_secret_kept(result, hub)


def test_an_unreachable_api_is_retried_then_reported(cli: Cli, hub: FakeHub) -> None:
    closed = "http://127.0.0.1:9"  # discard port: nothing listens there
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env(GITHUB_API_URL=closed))

    assert result.code == 4
    assert "did not answer after 4 attempts" in result.err
    assert_secret_kept(result, hub)


@pytest.mark.parametrize(("platform", "permission"), [
    ("github", "pull-requests: write"),
    ("gitlab", "`api` scope"),
])
def test_forbidden_keeps_the_reviews_exit_1_with_the_report_printed(
        cli: Cli, hub: FakeHub, platform: str, permission: str) -> None:
    # A fork's pull request: the token may not comment. A CI job tolerating the
    # publishing failure must still fail on the risky migration.
    hub.read_only = True
    env = cli.github_env() if platform == "github" else cli.gitlab_env()
    sql = cli.sql_file(CRITICAL_SQL)

    result = cli.spawn("sql", sql, "--publish", platform, env=env)

    assert result.code == 1
    assert result.out == report_alone(cli, sql).out
    [message] = [line for line in result.err.splitlines() if "publishing failed" in line]
    assert "403" in message and permission in message
    assert ours(hub, platform) == []
    assert_secret_kept(result, hub)


def test_forbidden_on_a_clean_review_exits_4(cli: Cli, hub: FakeHub) -> None:
    hub.read_only = True
    result = cli.run("sql", cli.sql_file(CLEAN_SQL), "--publish", "github", env=cli.github_env())

    assert result.code == 4
    assert "publishing failed" in result.err and "403" in result.err


def test_forbidden_with_publish_required_exits_4_over_findings(cli: Cli, hub: FakeHub) -> None:
    hub.read_only = True
    result = cli.run("sql", cli.sql_file(CRITICAL_SQL), "--publish", "github",
                     "--publish-required", env=cli.github_env())

    assert result.code == 4
    assert "critical" in result.out


def test_publish_required_from_the_config(cli: Cli, hub: FakeHub,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (cli.tmp / "pyproject.toml").write_text("[tool.sqlreview]\npublish-required = true\n",
                                            encoding="utf-8")
    monkeypatch.chdir(cli.tmp)
    hub.read_only = True
    result = cli.run("sql", cli.sql_file(CRITICAL_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env())

    assert result.code == 4


def test_a_failed_publish_does_not_replace_an_input_error(cli: Cli, hub: FakeHub) -> None:
    hub.read_only = True
    result = cli.run("sql", cli.sql_file(HIGH_SQL), str(cli.tmp / "missing.sql"),
                     "--publish", "github", env=cli.github_env())

    assert result.code == 2
    assert "publishing failed" in result.err


def test_a_wrong_token_is_reported_without_showing_it(cli: Cli, hub: FakeHub) -> None:
    wrong = "ghp_" + "x1y2" * 9
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--debug",
                     "--publish-required", env=cli.github_env(GITHUB_TOKEN=wrong))

    assert result.code == 4
    assert "401" in result.err and "GITHUB_TOKEN" in result.err
    assert wrong not in result.err and wrong not in result.out


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_debug_logs_requests_but_never_the_token(cli: Cli, hub: FakeHub, platform: str) -> None:
    env = cli.github_env() if platform == "github" else cli.gitlab_env()
    ok = cli.spawn("sql", cli.sql_file(HIGH_SQL), "--publish", platform, "--debug", env=env)
    hub.read_only = True
    hub.fail(500)
    failed = cli.spawn("sql", cli.sql_file(HIGH_SQL + CLEAN_SQL), "--publish", platform,
                       "--debug", "--publish-required", env=env)

    assert ok.code == 1 and failed.code == 4
    assert "GET " in ok.err and "retrying" in failed.err
    assert_secret_kept(ok, hub)
    assert_secret_kept(failed, hub)


def test_a_token_echoed_by_the_server_is_redacted(cli: Cli, hub: FakeHub) -> None:
    hub.read_only = True
    original = hub._github

    def echo(*args: object) -> tuple[int, dict[str, str], object]:
        status, headers, document = original(*args)  # type: ignore[arg-type]
        if status == 403:
            document = {"message": f"token {hub.token} may not write"}
        return status, headers, document

    hub._github = echo  # type: ignore[method-assign, assignment]
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--debug",
                     "--publish-required", env=cli.github_env())

    assert result.code == 4
    assert "may not write" in result.err
    assert_secret_kept(result, hub)


def test_clean_review_with_delete_removes_our_comment(cli: Cli, hub: FakeHub) -> None:
    env = cli.github_env()
    before = others(hub)
    cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=env)
    assert len(ours(hub)) == 1

    result = cli.run("sql", cli.sql_file(CLEAN_SQL), "--publish", "github",
                     "--publish-when-clean", "delete", env=env)

    assert result.code == 0, result.err
    assert ours(hub) == []
    assert others(hub) == before
    assert [entry.method for entry in hub.writes()] == ["POST", "DELETE"]


def test_clean_review_with_delete_and_no_comment_writes_nothing(cli: Cli, hub: FakeHub) -> None:
    result = cli.run("sql", cli.sql_file(CLEAN_SQL), "--publish", "gitlab",
                     "--publish-when-clean", "delete", env=cli.gitlab_env())

    assert result.code == 0, result.err
    assert hub.writes() == []


def test_clean_review_with_skip_posts_nothing(cli: Cli, hub: FakeHub) -> None:
    env = cli.github_env()
    cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=env)
    [kept] = ours(hub)
    body = kept["body"]

    result = cli.run("sql", cli.sql_file(CLEAN_SQL), "--publish", "github",
                     "--publish-when-clean", "skip", env=env)

    assert result.code == 0, result.err
    assert [entry.method for entry in hub.writes()] == ["POST"]
    assert ours(hub) == [kept] and kept["body"] == body


def test_clean_review_updates_the_comment_by_default(cli: Cli, hub: FakeHub) -> None:
    env = cli.github_env()
    cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=env)

    result = cli.run("sql", cli.sql_file(CLEAN_SQL), "--show", "all", "--publish", "github",
                     env=env)

    assert result.code == 0, result.err
    [comment] = ours(hub)
    assert "shop\\_order\\_status\\_idx" in str(comment["body"])
    assert "shop_order_note_idx" not in str(comment["body"])


def test_a_review_with_a_finding_below_fail_on_is_not_clean(cli: Cli, hub: FakeHub) -> None:
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--fail-on", "never", "--publish", "github",
                     "--publish-when-clean", "skip", env=cli.github_env())

    assert result.code == 0
    assert len(ours(hub)) == 1


def test_publish_keys_keep_separate_comments(cli: Cli, hub: FakeHub) -> None:
    env = cli.github_env()
    cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=env)
    cli.run("sql", cli.sql_file(CLEAN_SQL), "--show", "all", "--publish", "github",
            "--publish-key", "reporting", env=env)
    cli.run("sql", cli.sql_file(HIGH_SQL + CLEAN_SQL), "--show", "all", "--publish", "github",
            "--publish-key", "reporting", env=env)

    [default] = ours(hub)
    keyed = [c for c in hub.github[(REPO, PR)]
             if str(c["body"]).startswith("<!-- sqlreview:reporting -->\n")]
    assert len(keyed) == 1
    assert "shop\\_order\\_status\\_idx" not in str(default["body"])
    assert "shop\\_order\\_status\\_idx" in str(keyed[0]["body"])
    assert [entry.method for entry in hub.writes()] == ["POST", "POST", "PATCH"]


def test_a_duplicate_of_our_comment_is_removed(cli: Cli, hub: FakeHub) -> None:
    first = hub.add_github_comment(REPO, PR, f"{MARKER}\nold review", author="sqlreview-bot")
    hub.add_github_comment(REPO, PR, f"{MARKER}\nolder run's duplicate", author="sqlreview-bot")

    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=cli.github_env())

    assert result.code == 1, result.err
    assert [c["id"] for c in ours(hub)] == [first["id"]]
    assert "shop_order" in str(ours(hub)[0]["body"])
    assert len(others(hub)) == OTHERS


def test_pr_flag_overrides_the_event(cli: Cli, hub: FakeHub) -> None:
    hub.add_github_comment(REPO, 12, "first!")
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--pr", "12",
                     env=cli.github_env(GITHUB_EVENT_PATH=""))

    assert result.code == 1, result.err
    assert [str(c["body"]).startswith(MARKER) for c in hub.github[(REPO, 12)]] == [False, True]
    assert ours(hub) == []


def test_a_long_report_is_fitted_into_one_comment(cli: Cli, hub: FakeHub) -> None:
    """The Markdown fits itself into one comment; the body is posted whole."""
    statements = "".join(f"CREATE INDEX shop_order_note_{n}_idx ON shop_order (note);\n"
                         for n in range(600))
    sql = cli.sql_file(statements)
    full = cli.run("sql", sql, "--format", "markdown", env={})

    result = cli.run("sql", sql, "--publish", "github", env=cli.github_env())

    assert result.code == 1, result.err
    [comment] = ours(hub)
    body = str(comment["body"])
    assert len(body) <= 65_536
    assert body == f"{MARKER}\n{full.out}"
    assert "**Left out to keep this comment short**" in body  # 600 rows do not all fit


@pytest.mark.parametrize(("platform", "drop", "named"), [
    ("github", "GITHUB_TOKEN", "GITHUB_TOKEN"),
    ("github", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY"),
    ("github", "GITHUB_EVENT_PATH", "--pr N"),
    ("gitlab", "SQLREVIEW_GITLAB_TOKEN", "SQLREVIEW_GITLAB_TOKEN or GITLAB_TOKEN"),
    ("gitlab", "CI_API_V4_URL", "CI_API_V4_URL"),
    ("gitlab", "CI_PROJECT_ID", "CI_PROJECT_ID"),
    ("gitlab", "CI_MERGE_REQUEST_IID", "--pr N"),
])
def test_missing_environment_names_the_variable(cli: Cli, hub: FakeHub, platform: str,
                                                drop: str, named: str) -> None:
    env = cli.github_env() if platform == "github" else cli.gitlab_env()
    env[drop] = ""
    sql = cli.sql_file(HIGH_SQL)

    result = cli.run("sql", sql, "--publish", platform, "--publish-required", env=env)

    assert result.code == 4
    assert result.out == report_alone(cli, sql).out
    [message] = result.err.splitlines()
    assert drop in message and named in message
    assert hub.log == []


def test_gitlab_token_falls_back_to_gitlab_token(cli: Cli, hub: FakeHub) -> None:
    env = cli.gitlab_env(SQLREVIEW_GITLAB_TOKEN="", GITLAB_TOKEN=hub.token)
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "gitlab", env=env)

    assert result.code == 1, result.err
    assert len(ours(hub, "gitlab")) == 1


def test_an_event_without_a_pull_request_says_so(cli: Cli, hub: FakeHub) -> None:
    event = cli.tmp / "push.json"
    event.write_text('{"ref": "refs/heads/main"}', encoding="utf-8")
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env(GITHUB_EVENT_PATH=str(event), GITHUB_EVENT_NAME="push"))

    assert result.code == 4
    assert "push event" in result.err and "--pr N" in result.err


def test_an_issue_comment_event_gives_the_pull_request(cli: Cli, hub: FakeHub) -> None:
    event = cli.tmp / "issue_comment.json"
    event.write_text(f'{{"issue": {{"number": {PR}, "pull_request": {{}}}}}}', encoding="utf-8")
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github",
                     env=cli.github_env(GITHUB_EVENT_PATH=str(event)))

    assert result.code == 1, result.err
    assert len(ours(hub)) == 1


def test_a_bad_publish_key_is_a_usage_error(cli: Cli, hub: FakeHub) -> None:
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github",
                     "--publish-key", "x -->", env=cli.github_env())

    assert result.code == 2
    assert "--publish-key" in result.err
    assert hub.log == []


def test_output_file_and_publish_together(cli: Cli, hub: FakeHub) -> None:
    out = cli.tmp / "report.json"
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--format", "json", "--output", str(out),
                     "--publish", "github", env=cli.github_env())

    assert result.code == 1, result.err
    assert result.out == ""
    assert out.read_text(encoding="utf-8").startswith("{")
    [comment] = ours(hub)
    assert "shop_order" in str(comment["body"]) and not str(comment["body"]).endswith("}")
