"""Reporters: turn a ``Review`` into text, Markdown, JSON, annotations, SARIF
or GitLab Code Quality.

They read only the dataclasses of ``sqlreview.results``; they know neither
pglast nor Django. Each takes ``show``: the lowest risk whose statements are
listed in detail (None: all of them); the machine formats ignore it.
"""

from __future__ import annotations

from typing import Protocol

from sqlreview.report.machine import render_github, render_json
from sqlreview.report.markdown import COMMENT_LIMIT, render_markdown
from sqlreview.report.scanning import render_codequality, render_sarif
from sqlreview.report.text import DEFAULT_SHOW, render_text
from sqlreview.results import Level, Review


class Renderer(Protocol):
    def __call__(self, review: Review, *, show: Level | None = ...) -> str: ...


FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "markdown": render_markdown,
    "github": render_github,
    "json": render_json,
    "sarif": render_sarif,
    "codequality": render_codequality,
}

__all__ = ["COMMENT_LIMIT", "DEFAULT_SHOW", "FORMATS", "Renderer", "render_codequality",
           "render_github", "render_json", "render_markdown", "render_sarif", "render_text"]
