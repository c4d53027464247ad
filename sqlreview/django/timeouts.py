"""Timeouts every connection of a database alias starts with, read from the settings.

``DATABASES[alias]["OPTIONS"]["options"]`` (or, without it, ``$PGOPTIONS``) is
libpq's ``options`` parameter: server settings applied when the connection
opens, e.g. ``"-c lock_timeout=3s -c statement_timeout=60s"``. A migration run
through that alias starts with them set, so SR201/SR205 must not ask for them.

What the server applies on its own is not visible here: ``ALTER ROLE ... SET``,
``ALTER DATABASE ... SET`` and ``postgresql.conf`` (``--assume-lock-timeout``
says so instead).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlreview.pg.rules.transactions import SR201
from sqlreview.results import Review

TIMEOUTS = ("lock_timeout", "statement_timeout")
# -c name=value, -cname=value, --name=value (libpq passes them to the server
# as its command-line switches; '-' and '_' are the same in a setting's name).
_SWITCH = re.compile(r"^(?:-c|--)(?P<name>[A-Za-z0-9_.-]+)=(?P<value>.*)$")
_OFF = frozenset({"0", "0ms", "0s", "0min", "0h", "0d", ""})


@dataclass(frozen=True)
class ConnectionTimeouts:
    """The timeouts a connection starts with: their values as written, None when unset."""

    lock_timeout: str | None = None
    statement_timeout: str | None = None
    source: str = ""  # where they were read, as the user would look it up

    def to_json(self) -> dict[str, Any]:
        return {"lock_timeout": self.lock_timeout,
                "statement_timeout": self.statement_timeout, "source": self.source}

    @property
    def any(self) -> bool:
        return self.lock_timeout is not None or self.statement_timeout is not None


def configured_timeouts(alias: str) -> ConnectionTimeouts:
    """What the user's settings say for ``alias`` (Django must be set up)."""
    from django.conf import settings

    configured = settings.DATABASES.get(alias) or {}
    return timeouts_of(configured, os.environ)


def timeouts_of(configured: Mapping[str, Any], environ: Mapping[str, str]) -> ConnectionTimeouts:
    """The timeouts of one ``DATABASES`` entry; libpq reads ``$PGOPTIONS`` when
    the connection names no ``options`` of its own."""
    options = (configured.get("OPTIONS") or {}).get("options")
    source = "DATABASES OPTIONS['options']"
    if options is None:
        options, source = environ.get("PGOPTIONS"), "$PGOPTIONS"
    if not isinstance(options, str):
        return ConnectionTimeouts()
    settings = server_settings(options)
    found = {name: settings[name] for name in TIMEOUTS
             if name in settings and settings[name].strip().lower() not in _OFF}
    if not found:
        return ConnectionTimeouts()
    return ConnectionTimeouts(found.get("lock_timeout"), found.get("statement_timeout"), source)


def server_settings(options: str) -> dict[str, str]:
    """The ``-c name=value`` settings of a libpq ``options`` string, by name."""
    words = _split(options)
    found: dict[str, str] = {}
    for position, word in enumerate(words):
        if word == "-c" and position + 1 < len(words):
            word = "-c" + words[position + 1]
        match = _SWITCH.match(word)
        if match:
            found[match.group("name").replace("-", "_").lower()] = match.group("value")
    return found


def _split(options: str) -> list[str]:
    """libpq's rule: whitespace separates arguments unless escaped with a backslash."""
    words: list[str] = []
    current: list[str] = []
    escaped = False
    for char in options:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char.isspace():
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


# Shown at most this many migrations by name where the folded SR201s were.
_NAMED = 5


def lock_timeout_recipe(alias: str = "default") -> str:
    """How a Django project sets lock_timeout for all its migrations."""
    return (f"set it for every migration with \"options\": \"-c lock_timeout=5s\" in "
            f"DATABASES[{json.dumps(alias)}][\"OPTIONS\"] (and -c statement_timeout=... for "
            "SR205), or start each migration with "
            "migrations.RunSQL(\"SET lock_timeout = '5s'\", migrations.RunSQL.noop)")


def report_lock_timeout_once(review: Review, alias: str = "default") -> None:
    """SR201 once for a review of migrations, not on every statement.

    When no timeout is set it is missing everywhere alike, and the fix is one
    setting: the first statement keeps the finding, which names where else it
    applies and the Django recipe; the others lose it (the review's last step
    grades them without it). Run after suppressions: one a migration made still
    stands for that migration.
    """
    found = [(section, statement, finding) for section in review.sections
             for statement in section.statements for finding in statement.findings
             if finding.code == SR201.code and not finding.suppressed]
    if not found:
        return
    (_, first, finding), *others = found
    for _, statement, other in others:
        statement.findings.remove(other)
    where = Counter(section.title for section, _, _ in others)
    # The recipe before the list: a terminal report shortens long findings.
    message = f"{finding.message}{_how_many(where)}; {lock_timeout_recipe(alias)}{_list(where)}"
    first.findings[first.findings.index(finding)] = dataclasses.replace(finding, message=message)


def _how_many(where: Counter[str]) -> str:
    count = sum(where.values())
    if not count:
        return ""
    return f", nor before {count} more {'statement' if count == 1 else 'statements'} of this review"


def _list(where: Counter[str]) -> str:
    if not where:
        return ""
    named = [title if n == 1 else f"{title} ({n} statements)"
             for title, n in list(where.items())[:_NAMED]]
    if len(where) > _NAMED:
        named.append(f"{len(where) - _NAMED} more migrations")
    return f" (also missing in {', '.join(named)})"
