"""One review as a CI job step: ``python -m sqlreview.cli.ci_job [OPTIONS] -- SQLREVIEW ARGS``.

The GitHub Action and the GitLab template run this rather than ``sqlreview`` so that one
review (one embedded server, one pre-state) yields everything the job needs:

- the Markdown report in a file (``--markdown``), appended to the job summary
  (``--summary``, e.g. ``$GITHUB_STEP_SUMMARY``) and printed to the log;
- ``--codequality FILE``: the GitLab Code Quality report of the same review;
- ``--outputs FILE`` (e.g. ``$GITHUB_OUTPUT``): ``risk``, ``exit-code`` and ``report-path``;
- the comment (``--publish`` among the sqlreview arguments), published here: a refused
  comment (a fork's read-only token: 403) or a missing token is a warning
  (``--warning-style github`` prints a ``::warning::`` workflow command), and the exit
  code stays the review's own: 0 below ``--fail-on``, 1 at or above it, 2 or 3 when the
  review itself failed. ``--publish-fatal`` makes a publishing failure exit 4.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlreview.cli.main import main as sqlreview_main
from sqlreview.cli.main import run_program
from sqlreview.errors import ExitCode
from sqlreview.publish import publish_review
from sqlreview.publish.options import PublishOptions, add_publish_options
from sqlreview.report import FORMATS, Renderer, render_codequality
from sqlreview.results import Level, Review


@dataclass
class Captured:
    """The review the CLI rendered as Markdown (the last one, should it render several)."""

    reviews: list[Review] = field(default_factory=list)

    @property
    def review(self) -> Review | None:
        return self.reviews[-1] if self.reviews else None


@contextlib.contextmanager
def capturing_markdown() -> Iterator[Captured]:
    """Keep the Review the CLI renders with ``--format markdown`` (the report stays the same)."""
    captured = Captured()
    original: Renderer = FORMATS["markdown"]

    def render(review: Review, *, show: Level | None = Level.MEDIUM) -> str:
        captured.reviews.append(review)
        return original(review, show=show)

    FORMATS["markdown"] = render
    try:
        yield captured
    finally:
        FORMATS["markdown"] = original


def without_publish(arguments: Sequence[str]) -> list[str]:
    """The sqlreview arguments minus ``--publish PLATFORM``: this module publishes itself."""
    kept: list[str] = []
    skip_next = False
    for argument in arguments:
        if skip_next:
            skip_next = False
        elif argument == "--publish":
            skip_next = True
        elif not argument.startswith("--publish="):
            kept.append(argument)
    return kept


def fail_on_level(arguments: Sequence[str]) -> Level | None:
    """The ``--fail-on`` among the arguments (the last one wins, as in argparse)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--fail-on", default="high")
    known, _rest = parser.parse_known_args(list(arguments))
    text = str(known.fail_on).strip().lower()
    return None if text == "never" else Level.parse(text)


def review_exit_code(cli_code: int, review: Review | None, fail_on: Level | None) -> int:
    """The review's own code: the CLI's, unless it is the publishing failure (4)."""
    if cli_code != ExitCode.PUBLISH_FAILED or review is None:
        return cli_code
    worst = review.worst_risk()
    found = fail_on is not None and worst is not None and worst >= fail_on
    return ExitCode.FINDINGS if found else ExitCode.OK


def risk_label(review: Review | None) -> str:
    """The worst risk: low, medium, high, critical; ``none`` with nothing to review,
    ``unknown`` when there is no review (a usage error) or nothing could be reviewed."""
    if review is None:
        return "unknown"
    worst = review.worst_risk()
    if worst is None:
        failed = review.errors or any(section.error for section in review.sections)
        return "unknown" if failed else "none"
    return worst.label


def no_report_note(code: int) -> str:
    """The job summary when sqlreview stopped before a report (a usage or setup error)."""
    return (f"### sqlreview: no report\n\nsqlreview stopped before reviewing anything "
            f"(exit code {code}): the job's log says why.\n")


def warn(message: str, style: str) -> None:
    if style == "github":
        text = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::warning title=sqlreview::{text}")
    else:
        print(f"WARNING: {message}", file=sys.stderr)


def append(path: Path | None, text: str) -> None:
    if path is not None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)


def run_review(arguments: Sequence[str], markdown: Path) -> tuple[int, Review | None]:
    """``sqlreview ARGUMENTS --format markdown -o MARKDOWN`` in this process."""
    with capturing_markdown() as captured:
        try:
            code = sqlreview_main([*arguments, "--format", "markdown", "--output", str(markdown)])
        except SystemExit as error:  # argparse refusing an argument (it said why)
            code = error.code if isinstance(error.code, int) else 2
    return code, captured.review


def publish(review: Review | None, arguments: Sequence[str], style: str) -> bool:
    """Publish per the ``--publish`` flags; False when it was asked and failed."""
    options = parse_publish_options(arguments)
    if options.platform is None or review is None:
        return True
    if not publish_review(review, options):  # True: it failed
        return True
    warn(f"the review could not be posted as a comment on the {options.platform} "
         "pull/merge request (the reason is in the log above); the report is in the job "
         "summary and the log", style)
    return False


def parse_publish_options(arguments: Sequence[str]) -> PublishOptions:
    """The publishing flags among the sqlreview arguments (sqlreview's parser checks them)."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    add_publish_options(parser)
    parser.add_argument("--debug", action="store_true")
    try:
        args, _rest = parser.parse_known_args(list(arguments))
    except (argparse.ArgumentError, SystemExit):  # sqlreview's own parser refuses it too
        return PublishOptions()
    return PublishOptions.from_args(args)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sqlreview.cli.ci_job",
        description="Run one sqlreview review as a CI step: report, summary, outputs, "
                    "comment. Arguments after -- go to sqlreview.")
    parser.add_argument("--markdown", type=Path, required=True, metavar="FILE",
                        help="write the Markdown report here")
    parser.add_argument("--summary", type=Path, metavar="FILE",
                        help="append the Markdown report to this file (the job summary)")
    parser.add_argument("--codequality", type=Path, metavar="FILE",
                        help="write the GitLab Code Quality report of the review here")
    parser.add_argument("--outputs", type=Path, metavar="FILE",
                        help="append risk=, exit-code= and report-path= lines here")
    parser.add_argument("--warning-style", choices=("github", "plain"), default="plain")
    parser.add_argument("--publish-fatal", action="store_true",
                        help="exit 4 when publishing fails (default: the review's code)")
    parser.add_argument("sqlreview_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    options = parser().parse_args(argv)
    arguments = list(options.sqlreview_args)
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    options.markdown.parent.mkdir(parents=True, exist_ok=True)
    cli_code, review = run_review(without_publish(arguments), options.markdown)
    code = review_exit_code(cli_code, review, fail_on_level(arguments))
    report = options.markdown.read_text(encoding="utf-8") if options.markdown.exists() else ""
    print(report, end="")
    append(options.summary, report or no_report_note(code))
    if options.codequality is not None and review is not None:
        options.codequality.write_text(render_codequality(review), encoding="utf-8")
    published = publish(review, arguments, options.warning_style)
    if not published and options.publish_fatal:
        code = ExitCode.PUBLISH_FAILED
    append(options.outputs, f"risk={risk_label(review)}\nexit-code={code}\n"
                            f"report-path={options.markdown.resolve()}\n")
    return code


def entry_point() -> None:
    run_program(main)


if __name__ == "__main__":
    entry_point()


__all__ = ["capturing_markdown", "main", "review_exit_code", "risk_label", "without_publish"]
