"""Publish a review: find our comment by its marker, then create, update or delete it."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Mapping

from sqlreview.publish.body import comment_body, is_clean, is_ours, marker
from sqlreview.publish.links import file_links
from sqlreview.publish.options import PublishOptions
from sqlreview.publish.platforms import Comment, Platform, connect
from sqlreview.publish.transport import HttpStatusError, PublishError, Secrets
from sqlreview.report import render_markdown
from sqlreview.report.links import FileUrl
from sqlreview.results import Level, Review

TOKEN_VARIABLES = ("GITHUB_TOKEN", "SQLREVIEW_GITLAB_TOKEN", "GITLAB_TOKEN")


def publish_review(review: Review, args: argparse.Namespace | PublishOptions,
                   env: Mapping[str, str] | None = None, *,
                   show: Level | None = Level.MEDIUM) -> bool:
    """Publish if ``--publish`` asks for it: True when it failed (the reason is on stderr).

    Never raises (but for Ctrl-C): whatever goes wrong, the review was already
    printed and the message on stderr says what to do."""
    options = args if isinstance(args, PublishOptions) else PublishOptions.from_args(args)
    if options.platform is None:
        return False
    secrets = Secrets()
    try:
        outcome = _publish(review, options, os.environ if env is None else env, secrets, show)
    except PublishError as error:
        print(f"sqlreview: publishing failed: {secrets.redact(str(error))}", file=sys.stderr)
        return True
    except Exception as error:  # a bug here must not turn into a traceback with the token
        if options.debug:
            print(secrets.redact("".join(traceback.format_exception(error))), file=sys.stderr)
        hint = ("" if options.debug
                else " (run again with --debug for the traceback, and please report it)")
        print(secrets.redact(f"sqlreview: publishing failed: internal error: "
                             f"{type(error).__name__}: {error}{hint}"), file=sys.stderr)
        return True
    print(f"sqlreview: {secrets.redact(outcome)}", file=sys.stderr)
    return False


def _publish(review: Review, options: PublishOptions, env: Mapping[str, str],
             secrets: Secrets, show: Level | None) -> str:
    for name in TOKEN_VARIABLES:  # redact every token in sight, used or not
        secrets.add(env.get(name, ""))
    platform = connect(options, env, secrets)
    try:
        return _reconcile(platform, review, options, show, file_links(options, env))
    except HttpStatusError as error:
        raise PublishError(platform.explain(error)) from None
    finally:
        platform.close()


def _reconcile(platform: Platform, review: Review, options: PublishOptions,
               show: Level | None, file_url: FileUrl) -> str:
    clean = is_clean(review)
    if clean and options.when_clean == "skip":
        return (f"nothing published on {platform.where}: the review is clean "
                "(--publish-when-clean skip)")
    our_marker = marker(options.key)
    ours = [comment for comment in platform.comments() if is_ours(comment.body, our_marker)]
    if clean and options.when_clean == "delete":
        for comment in ours:
            platform.delete(comment)
        return (f"the review is clean: deleted our comment on {platform.where}" if ours
                else f"the review is clean: no comment of ours on {platform.where} to delete")
    # Each migration's heading links to its file at the pull request's head commit.
    markdown = render_markdown(review, show=show, file_url=file_url)
    body = comment_body(markdown, our_marker, platform.max_body)
    if not ours:
        created = platform.create(body)
        return f"commented on {platform.where}{_at(created)}"
    first, duplicates = ours[0], ours[1:]
    # Two runs racing (or a retried POST the server had carried out) leave a second
    # comment with our marker: keep the oldest, so the thread shows one.
    for comment in duplicates:
        platform.delete(comment)
    if first.body == body:
        return f"our comment on {platform.where} is up to date{_at(first)}"
    updated = platform.update(first, body)
    return f"updated our comment on {platform.where}{_at(updated)}"


def _at(comment: Comment) -> str:
    return f": {comment.url}" if comment.url else ""
