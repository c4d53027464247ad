"""The comment's body: a hidden marker, then the Markdown report, cut to fit if need be."""

from __future__ import annotations

from sqlreview.results import Review

# GitHub refuses comment bodies longer than this (GitLab allows 1,000,000 characters).
MAX_BODY_CHARS = 65_536
MARKER_PREFIX = "<!-- sqlreview"


def marker(key: str | None) -> str:
    """The first line of our comment; another key is another comment (two jobs, one PR)."""
    return f"{MARKER_PREFIX}:{key} -->" if key else f"{MARKER_PREFIX} -->"


def is_ours(body: str, our_marker: str) -> bool:
    """Whether a comment carries exactly our marker on its first line."""
    first_line = body.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    return first_line.strip() == our_marker


def comment_body(markdown: str, our_marker: str, limit: int = MAX_BODY_CHARS) -> str:
    return fit(f"{our_marker}\n{markdown}", limit)


def is_clean(review: Review) -> bool:
    """No statement has a finding, no input failed to read and no migration failed to render."""
    if review.errors or any(section.error for section in review.sections):
        return False
    return not any(statement.findings for statement in review.statements)


def fit(body: str, limit: int = MAX_BODY_CHARS) -> str:
    """``body``, or its first lines and a note saying the rest was cut, within ``limit``."""
    if len(body) <= limit:
        return body
    note = (f"\n\n---\n**sqlreview:** the report was cut here: it is {len(body):,} characters "
            f"and a comment holds at most {limit:,}. The job's log has the whole report.\n")
    budget = limit - len(note) - len(_CLOSERS_MAX)
    cut = body.rfind("\n", 0, budget + 1)
    kept = body[:cut if cut > 0 else budget]
    return kept + _closers(kept) + note


# The longest text _closers() can add, reserved from the budget.
_CLOSERS_MAX = "\n```" + "\n</details>" * 20


def _closers(kept: str) -> str:
    """Close a code fence and <details> blocks left open by the cut, so the note renders."""
    text = ""
    lines = kept.split("\n")
    if sum(1 for line in lines if line.lstrip().startswith("```")) % 2:
        text += "\n```"
    open_details = kept.count("<details") - kept.count("</details>")
    text += "\n</details>" * max(0, min(open_details, 20))
    return text
