"""The pure parts of publishing: fitting a body in a comment, cleanliness, waiting."""

from __future__ import annotations

import email.utils
import sys

import pytest

from sqlreview.locking import LockMode
from sqlreview.publish.body import comment_body, fit, is_clean, is_ours, marker
from sqlreview.publish.transport import MAX_WAIT_SECONDS, retry_after
from sqlreview.results import (
    Finding,
    Level,
    LockEntry,
    Review,
    Section,
    SqlAnalysis,
    StatementResult,
)
from tests.publish.fakehub import FakeHub
from tests.support.publish import HIGH_SQL, Cli


def review_with(*statements: StatementResult, error: str | None = None) -> Review:
    section = Section(title="a.sql", analysis=SqlAnalysis(file="a.sql", pg_version=16,
                                                          statements=list(statements)),
                      error=error)
    return Review(pg_version=16, sections=[section])


def statement(*findings: Finding) -> StatementResult:
    return StatementResult(index=0, sql="ALTER TABLE t ADD COLUMN c int", risk=Level.LOW,
                           locks=[LockEntry("t", LockMode.ACCESS_EXCLUSIVE)],
                           findings=list(findings))


def test_clean_means_no_finding_and_nothing_failed() -> None:
    finding = Finding("SR201", Level.LOW, "no lock_timeout")
    assert is_clean(review_with(statement()))
    assert is_clean(Review(pg_version=16))
    assert not is_clean(review_with(statement(finding)))
    assert not is_clean(review_with(statement(), error="could not render"))
    unreadable = review_with(statement())
    unreadable.errors.append("cannot read b.sql")
    assert not is_clean(unreadable)


def test_markers_are_exact_and_per_key() -> None:
    assert marker(None) != marker("docs")
    body = comment_body("# report\n", marker("docs"))
    assert is_ours(body, marker("docs"))
    assert not is_ours(body, marker(None))
    assert not is_ours(f"> {marker(None)}\n", marker(None))
    assert not is_ours(f"text\n{marker(None)}\n", marker(None))
    assert is_ours(f"{marker(None)}\r\nreport", marker(None))


def test_a_short_body_is_left_alone() -> None:
    body = "line\n" * 10
    assert fit(body, limit=len(body)) == body


@pytest.mark.parametrize("limit", [500, 1_000, 65_536])
def test_a_long_body_is_cut_at_a_line_with_a_note(limit: int) -> None:
    lines = [f"| row {n} | {'x' * (n % 37)} |" for n in range(limit // 5)]
    body = "\n".join(lines) + "\n"
    cut = fit(body, limit=limit)
    assert len(cut) <= limit
    kept, note = cut.split("\n\n---\n", 1)
    assert body.startswith(kept + "\n")
    assert f"{len(body):,} characters" in note


def test_a_cut_inside_a_code_block_or_details_closes_them() -> None:
    body = "<details><summary>SQL</summary>\n\n```sql\n" + "SELECT 1;\n" * 500 + "```\n</details>\n"
    cut = fit(body, limit=1_000)
    assert len(cut) <= 1_000
    assert sum(1 for line in cut.splitlines() if line.startswith("```")) % 2 == 0
    assert cut.count("<details>") == cut.count("</details>")


def test_retry_after_in_seconds_and_as_a_date() -> None:
    now = 1_700_000_000.0
    assert retry_after({"retry-after": "7"}, now=now) == 7
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after({"retry-after": date}, now=now) == pytest.approx(30)
    assert retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)},
                       now=now) == 0
    assert retry_after({"retry-after": "soon"}, now=now) is None
    assert retry_after({}, now=now) is None
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 12)}
    assert retry_after(spent, now=now) == 12
    assert retry_after({**spent, "x-ratelimit-remaining": "5"}, now=now) is None


def test_the_longest_wait_asked_for_is_waited(cli: Cli, hub: FakeHub,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("sqlreview.publish.transport.time.sleep", waits.append)
    hub.fail(403, headers={"Retry-After": str(int(MAX_WAIT_SECONDS))})  # a secondary limit
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", env=cli.github_env())

    assert result.code == 1, result.err
    assert waits == [MAX_WAIT_SECONDS]


def test_a_longer_wait_gives_up_at_once(cli: Cli, hub: FakeHub,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("sqlreview.publish.transport.time.sleep", waits.append)
    hub.fail(429, headers={"Retry-After": "86400"})
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env())

    assert result.code == 4
    assert waits == [] and len(hub.log) == 1
    assert "rate limited" in result.err and "86400 seconds" in result.err


def test_backoff_grows_between_attempts(cli: Cli, hub: FakeHub,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("sqlreview.publish.transport.time.sleep", waits.append)
    hub.fail(502, times=3)
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github",
                     env=cli.github_env(SQLREVIEW_PUBLISH_BACKOFF="0.5"))

    assert result.code == 1, result.err
    assert len(waits) == 3
    assert waits == sorted(waits) and waits[0] >= 0.5 and waits[-1] >= 2.0


def test_a_bad_backoff_setting_is_named(cli: Cli, hub: FakeHub) -> None:
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env(SQLREVIEW_PUBLISH_BACKOFF="fast"))
    assert result.code == 4
    assert "SQLREVIEW_PUBLISH_BACKOFF" in result.err


def test_a_next_page_on_another_host_is_not_followed(cli: Cli, hub: FakeHub) -> None:
    real = hub.url
    hub.url = "http://elsewhere.invalid:8080"  # where the fake writes its Link headers
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env(GITHUB_API_URL=real))

    assert result.code == 4
    assert "elsewhere.invalid" in result.err and "another host" in result.err
    assert len(hub.log) == 1


def test_without_httpx_the_message_names_the_extra(cli: Cli, hub: FakeHub,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # import httpx now raises ImportError
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env())

    assert result.code == 4
    assert "pip install 'sqlreview[publish]'" in result.err
    assert "shop_order" in result.out


def test_a_token_with_a_newline_is_refused_without_showing_it(cli: Cli, hub: FakeHub) -> None:
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env(GITHUB_TOKEN=f"{hub.token}\nsecond-line"))
    assert result.code == 4
    assert "GITHUB_TOKEN contains" in result.err
    assert hub.token not in result.err and hub.log == []


@pytest.mark.parametrize("debug", [False, True])
def test_an_internal_error_while_publishing_exits_4_redacted(
        cli: Cli, hub: FakeHub, monkeypatch: pytest.MonkeyPatch, debug: bool) -> None:
    def broken(review: object, **options: object) -> str:
        raise RuntimeError(f"boom near {hub.token}")

    monkeypatch.setattr("sqlreview.publish.run.render_markdown", broken)
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     *(["--debug"] if debug else []), env=cli.github_env())

    assert result.code == 4
    assert "shop_order" in result.out
    assert "internal error: RuntimeError: boom near ***" in result.err
    assert ("Traceback" in result.err) is debug
    assert hub.token not in result.err


def test_an_answer_that_is_not_a_comment_is_reported(cli: Cli, hub: FakeHub) -> None:
    original = hub._github

    def no_id(*args: object) -> tuple[int, dict[str, str], object]:
        status, headers, document = original(*args)  # type: ignore[arg-type]
        return (status, headers, {"ok": True}) if args[0] == "POST" else (status, headers,
                                                                          document)

    hub._github = no_id  # type: ignore[method-assign, assignment]
    result = cli.run("sql", cli.sql_file(HIGH_SQL), "--publish", "github", "--publish-required",
                     env=cli.github_env())

    assert result.code == 4
    assert "not a comment" in result.err
