"""Post the Markdown report as one pull/merge request comment, updated in place.

``add_publish_options(parser)`` adds ``--publish``, ``--publish-when-clean``,
``--publish-key``, ``--publish-required`` and ``--pr``; the commands that
publish call ``publish_review(review, args)`` after writing the report (True:
publishing failed, the message is on stderr). How a failure shows in the exit
code is the CLI's to decide (``sqlreview.cli.outcome``).
"""

from __future__ import annotations

from sqlreview.publish.options import PublishOptions, add_publish_options
from sqlreview.publish.run import publish_review

__all__ = ["PublishOptions", "add_publish_options", "publish_review"]
