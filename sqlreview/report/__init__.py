"""Reporters: turn a ``Review`` into text, Markdown, JSON or annotations.

They read only the dataclasses of ``sqlreview.results``; they know neither
pglast nor Django.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlreview.report.machine import render_github, render_json
from sqlreview.report.text import render_markdown, render_text
from sqlreview.results import Review

FORMATS: dict[str, Callable[[Review], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "github": render_github,
    "json": render_json,
}

__all__ = ["FORMATS", "render_github", "render_json", "render_markdown", "render_text"]
