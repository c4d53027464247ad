"""The command-line flags of publishing, shared by ``sqlreview`` and ``sqlreview sql``."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any

from sqlreview.errors import positive_int_argument

PLATFORMS = ("github", "gitlab")
WHEN_CLEAN = ("update", "delete", "skip")
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class PublishOptions:
    """What the user asked for; the rest comes from the CI environment."""

    platform: str | None = None  # None: do not publish
    when_clean: str = "update"
    pr: int | None = None
    key: str | None = None
    debug: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> PublishOptions:
        return cls(platform=getattr(args, "publish", None),
                   when_clean=getattr(args, "publish_when_clean", "update"),
                   pr=getattr(args, "pr", None),
                   key=getattr(args, "publish_key", None),
                   debug=bool(getattr(args, "debug", False)))

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "when_clean": self.when_clean, "pr": self.pr,
                "key": self.key}


def publish_key(text: str) -> str:
    # The key ends up inside an HTML comment: keep it to characters that cannot close it.
    if not KEY_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r}: use letters, digits, '.', '_' or '-' (at most 64, starting with a "
            "letter or digit)")
    return text


def add_publish_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "pull request comment",
        "post the Markdown report as one comment on the pull/merge request, updated in place "
        "on later runs (if publishing fails the report is printed anyway, and the exit code "
        "is the review's, or 4 when the review passed: see Exit codes)")
    group.add_argument("--publish", choices=PLATFORMS, default=None,
                       help="github (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH) or "
                            "gitlab (CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, "
                            "SQLREVIEW_GITLAB_TOKEN or GITLAB_TOKEN)")
    group.add_argument("--publish-when-clean", choices=WHEN_CLEAN, default="update",
                       help="when no statement has a finding and nothing failed: update (post "
                            "or update the comment, default), delete (remove our comment), "
                            "skip (leave everything as it is)")
    group.add_argument("--publish-key", type=publish_key, default=None, metavar="NAME",
                       help="keep a separate comment for this job when several sqlreview jobs "
                            "comment on the same pull request")
    group.add_argument("--publish-required", action="store_true", default=False,
                       help="exit 4 whenever publishing fails, even when the review found "
                            "something at or above --fail-on (default: the review's exit 1 "
                            "wins; config key publish-required)")
    group.add_argument("--pr", type=positive_int_argument, default=None, metavar="N",
                       help="the GitHub pull request or GitLab merge request (IID) number "
                            "(default: from the CI environment)")
