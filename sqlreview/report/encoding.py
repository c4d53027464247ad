"""Reports that any output encoding can carry.

A report is Unicode (``→`` in hold lines, ``—`` for "none", ``…`` where a cell
is shortened); standard output may be ASCII or a Windows code page
(``PYTHONIOENCODING=cp1252``, a ``C`` locale, a CI runner's pipe). Writing must
never fail for that: what the encoding cannot carry degrades to ASCII (arrows
to ``->``, dashes to ``-``, the ellipsis to ``...``) and anything else to
``?``. What it can carry is left as it is (cp1252 keeps ``—`` and ``…``).
"""

from __future__ import annotations

import codecs
from typing import TextIO

ERRORS = "sqlreview-ascii"

ASCII_FALLBACK = {
    "\u2192": "->",  # →
    "\u2190": "<-",  # ←
    "\u2194": "<->",  # ↔
    "\u21d2": "=>",  # ⇒
    "\u2014": "-",  # — em dash
    "\u2013": "-",  # en dash
    "\u2012": "-",  # figure dash
    "\u2212": "-",  # minus sign
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2026": "...",  # …
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2264": "<=",  # ≤
    "\u2265": ">=",  # ≥
    "\u2248": "~",  # ≈
    "\u00d7": "x",  # multiplication sign
    "\u00b7": ".",  # ·
    "\u2022": "*",  # •
    "\u00a0": " ",  # no-break space
    "\u2060": "",  # word joiner (keeps @names from mentioning on GitHub): invisible
    "\u200b": "",  # zero width space
}


def _degrade(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chunk = error.object[error.start:error.end]
    return "".join(ASCII_FALLBACK.get(char, "?") for char in chunk), error.end


codecs.register_error(ERRORS, _degrade)


def encodable(text: str, encoding: str | None) -> str:
    """``text`` as ``encoding`` can carry it (unchanged when it can carry all of it)."""
    if not encoding:
        return text
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode(encoding, ERRORS).decode(encoding)
    except LookupError:  # an encoding Python does not know: leave it to the stream
        return text
    return text


def for_stream(text: str, stream: TextIO) -> str:
    """``text`` as ``stream`` (standard output) can write it."""
    return encodable(text, getattr(stream, "encoding", None))
