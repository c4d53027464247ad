"""Output for machines: JSON, and GitHub Actions annotations."""

from __future__ import annotations

import json

from sqlreview.results import Review


def render_json(review: Review) -> str:
    return json.dumps(review.to_json(), indent=2) + "\n"


def render_github(review: Review) -> str:
    """One workflow command per finding, so GitHub shows it on the diff."""
    lines = []
    for statement in review.statements:
        for finding in statement.findings:
            level = "error" if finding.severity.value >= 3 else "warning"
            message = _escape(f"{finding.code} {finding.message}")
            title = _escape_property(f"sqlreview {finding.code} ({finding.severity.label})")
            properties = [f"title={title}"]
            if statement.file != "-":
                properties[:0] = [f"file={_escape_property(statement.file)}",
                                  f"line={statement.line}"]
            lines.append(f"::{level} {','.join(properties)}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")
