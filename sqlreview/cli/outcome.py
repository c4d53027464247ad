"""The exit code of a review, and how a publishing failure shows in it.

A CI job must be able to rely on the review's verdict: a comment that could
not be posted (a fork's pull request: the token may not comment) never hides
a risky migration. The table (README "Exit codes", ``sqlreview --help``):

=============  ======================  ==============================
review         publishing failed       with --publish-required
=============  ======================  ==============================
0 clean        4                       4
1 findings     1                       4
2 usage        2                       2
3 incomplete   3                       3
=============  ======================  ==============================

130 (interrupted) never gets as far as publishing.
"""

from __future__ import annotations

from sqlreview.errors import ExitCode
from sqlreview.results import Level, Review

EXIT_CODES_HELP = """\
Exit codes:
  0    nothing at or above --fail-on
  1    something is
  2    usage, settings or input error
  3    the review is incomplete (a migration could not be rendered or applied on
       the scratch database); the rest is reported
  130  interrupted
When --publish fails (the report is printed anyway):
  the review  exits  with --publish-required
  0           4      4
  1           1      4
  2           2      2
  3           3      3
"""


# What the review itself says, which a publishing failure never replaces.
_REVIEW_FAILED = frozenset({ExitCode.USAGE, ExitCode.INCOMPLETE, ExitCode.INTERRUPTED})


def exit_code(review: Review, fail_on: Level | None) -> ExitCode:
    if any(section.error for section in review.sections):
        return ExitCode.INCOMPLETE
    worst = review.worst_risk()
    if fail_on is not None and worst is not None and worst >= fail_on:
        return ExitCode.FINDINGS
    return ExitCode.OK


def with_publishing(review_code: ExitCode, publish_failed: bool, *,
                    publish_required: bool = False) -> ExitCode:
    """``review_code`` once publishing ran: the table in the module's docstring."""
    if not publish_failed or review_code in _REVIEW_FAILED:
        return review_code
    if review_code == ExitCode.FINDINGS and not publish_required:
        return review_code
    return ExitCode.PUBLISH_FAILED
