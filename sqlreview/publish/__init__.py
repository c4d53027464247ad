"""Post the Markdown report as one pull/merge request comment, updated in place.

``add_publish_options(parser)`` adds ``--publish``, ``--publish-when-clean``,
``--publish-key`` and ``--pr``; ``publish_review(review, args)`` publishes
(None: done or not asked; 4: publishing failed, the message is on stderr).
The CLI wraps a command in ``publishing(arguments)`` and calls
``emitted(review)`` after writing the report.
"""

from __future__ import annotations

from sqlreview.publish.options import PublishOptions, add_publish_options
from sqlreview.publish.run import (
    EXIT_PUBLISH_FAILED,
    PublishingRun,
    combine_exit_codes,
    emitted,
    publish_review,
    publishing,
)

__all__ = ["EXIT_PUBLISH_FAILED", "PublishOptions", "PublishingRun", "add_publish_options",
           "combine_exit_codes", "emitted", "publish_review", "publishing"]
