"""What replay does when the scratch server lacks what a migration needs.

The embedded server is built without ICU and without OpenSSL (so without
``pgcrypto``). A migration that needs them would fail on the scratch
database, and every later one that uses what it creates would fail too. So:

* ``CREATE COLLATION ... provider = icu`` that the server refuses: a libc
  collation of the same name (locale ``C``, deterministic) stands in, so the
  SQL of later migrations (``COLLATE "name"``) renders exactly;
* ``CREATE EXTENSION`` of an extension the server does not have: skipped (no
  empty extension can be faked); later SQL that calls its functions fails.

Each is said in a warning on the migration. ``--scratch-url`` with a server
that has them replays exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ICU_COLLATION = re.compile(
    r"^\s*CREATE\s+COLLATION\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\"(?:[^\"]|\"\")+\"|[\w.]+)"
    r".*\bprovider\s*=\s*['\"]?icu\b", re.IGNORECASE | re.DOTALL)
_EXTENSION = re.compile(
    r"^\s*CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\"(?:[^\"]|\"\")+\"|[\w.]+)",
    re.IGNORECASE)
_NO_ICU = "ICU is not supported"
_NO_EXTENSION = ("is not available", "could not open extension control file")


@dataclass(frozen=True)
class StandIn:
    sql: str  # "" when nothing stands in
    warning: str


def may_need_one(sql: str) -> bool:
    return bool(_ICU_COLLATION.match(sql) or _EXTENSION.match(sql))


def replacement(sql: str, error: str) -> StandIn | None:
    """What to run instead of ``sql``, which failed with ``error``; None: a real failure."""
    collation = _ICU_COLLATION.match(sql)
    if collation is not None and _NO_ICU in error:
        name = collation.group("name")
        shown = name.strip('"')
        return StandIn(
            f"CREATE COLLATION {name} (provider = libc, locale = 'C')",
            f"collation {shown}: the scratch server has no ICU, so a libc collation of the "
            "same name (locale C, deterministic) stands in and later migrations render "
            "exactly; comparisons and sort order on the scratch database are not "
            "production's (use --scratch-url with an ICU-enabled server to replay it exactly)")
    extension = _EXTENSION.match(sql)
    if extension is not None and any(text in error for text in _NO_EXTENSION):
        name = extension.group("name").strip('"')
        return StandIn(
            "",
            f"extension {name} is not available on the scratch server: CREATE EXTENSION was "
            "skipped (nothing can stand in for it); later SQL that calls its functions fails "
            "there (gen_random_uuid() is built into PostgreSQL 13+); use --scratch-url with "
            "a server that has it to replay it exactly")
    return None
