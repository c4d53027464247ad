"""Escaping for every context a reporter writes user text into.

Identifiers, SQL and messages come from the repository under review, which may
be hostile: a table named ``x</details><img src=x onerror=alert(1)>`` must
stay text in a pull-request comment, and a message with a newline must not
start a new GitHub workflow command.
"""

from __future__ import annotations

import re

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_BACKTICK_RUNS = re.compile(r"`+")
_MERMAID_UNSAFE = re.compile(r"[^\w .()/\-]+")
_WHITESPACE = re.compile(r"\s+")
# C0 controls but newline, DEL and C1 controls: a terminal would obey them.
# Bidirectional overrides and isolates reorder what a reader sees ("Trojan
# Source"); C0/C1 controls drive terminals.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}]")
_CONTROLS_BUT_TAB = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def flat(text: str) -> str:
    """One line: every run of whitespace (newlines included) becomes one space."""
    return " ".join(text.split())


def one_line(text: str) -> str:
    """Like ``flat`` but keeps a space at either end: pieces are joined after escaping."""
    return _WHITESPACE.sub(" ", text)


def terminal(text: str) -> str:
    """Text for a terminal: control characters (escape sequences) shown as \ufffd."""
    return _CONTROLS.sub("\ufffd", text) if _CONTROLS.search(text) else text


def visible(text: str) -> str:
    """A Markdown page or annotation: controls and bidi overrides shown as \ufffd
    (one character for one: sizes already measured stay right); tabs kept."""
    return _CONTROLS_BUT_TAB.sub("\ufffd", text) if _CONTROLS_BUT_TAB.search(text) else text


def html(text: str) -> str:
    """Text inside HTML (``<summary>``, raw HTML blocks): no tag, no entity, one line."""
    return (one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def markdown(text: str) -> str:
    """Prose in a Markdown paragraph or table cell: rendered exactly as written.

    HTML-significant characters become entities; Markdown punctuation is
    backslash-escaped (so ``*x*`` is not emphasis and ``|`` does not split a
    table cell); ``@`` is followed by an invisible word joiner, so a name never
    mentions a user or team (GitHub looks for mentions in the rendered text,
    where an entity would be ``@`` again).
    """
    escaped = html(text)
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped)
    return escaped.replace("@", "@\u2060")


def code(text: str, *, in_table: bool = False) -> str:
    """An inline code span that shows ``text`` literally, whatever it contains.

    Code spans show HTML as text, so only their own delimiter matters: the
    fence is one backtick longer than the longest run inside. In a GFM table a
    ``|`` must be escaped even inside a code span (the table is split first)."""
    body = flat(text) or " "
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def fenced(text: str, language: str = "") -> str:
    """A fenced code block: a fence longer than any backtick run in ``text``."""
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{language}\n{body}{fence}"


def mermaid(text: str) -> str:
    """A Mermaid label: letters, digits and a little punctuation only.

    Mermaid's grammar gives ``#``, ``:``, ``;`` and ``%%`` meanings and its
    labels may be drawn as HTML, so anything else becomes ``_``."""
    return _MERMAID_UNSAFE.sub("_", flat(text)).strip() or "_"


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command (the toolkit's escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (the toolkit's escapeProperty)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
