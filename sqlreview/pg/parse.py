"""Split SQL text into statements and parse each one with pglast.

Every statement keeps its source text and position. A statement that pglast
cannot parse is kept too, with the parser's message, so the rest of the input
is still analysed and the report still has a row for it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pglast
from pglast import ast
from pglast.parser import ParseError, scan


@dataclass(frozen=True)
class ParsedStatement:
    text: str
    offset: int  # character offset of the statement in the input
    line: int  # 1-based line where the statement starts
    node: ast.Node | None
    error: str | None = None
    # Where in the input the parser gave up (1-based line, 1-based column).
    error_line: int | None = None
    error_column: int | None = None
    meta_command: bool = False  # a psql meta-command line (\\set, \\connect, \\restrict)

    def error_message(self, line_offset: int = 0) -> str:
        """The parser's reason, short, with the position of the error in the input."""
        message = self.error or "could not parse"
        if self.error_line is None or self.error_column is None:
            return message
        return f"{message} (line {self.error_line + line_offset}, column {self.error_column})"


# How much of the SQL the parser quotes ("at or near ...") a message keeps: an
# unterminated quote makes the parser quote the whole rest of the input.
NEAR_LIMIT = 40
MESSAGE_LIMIT = 200


def parse_statements(sql: str) -> list[ParsedStatement]:
    """All statements of ``sql`` in input order; comments and blank ones are skipped."""
    return list(iter_statements(sql))


def iter_statements(sql: str) -> Iterator[ParsedStatement]:
    """The statements of ``sql`` in input order, one at a time: a syntax tree
    lives only while its statement is analysed, not for the whole input."""
    lines = _Lines(sql)
    try:
        # The parser finds where statements end (a BEGIN ATOMIC body has
        # semicolons of its own) without building Python trees for them all.
        pieces = pglast.split(sql, with_parser=True, only_slices=True)
    except ParseError:
        yield from _parse_one_by_one(sql, lines)
        return
    for piece in pieces:
        parsed = _parse_piece(sql[piece.start:piece.stop], piece.start, lines)
        if parsed is not None:
            yield parsed


_NEWLINE = re.compile("\n")


class _Lines:
    """Line numbers of character offsets, without rescanning the input each time."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.starts.extend(match.end() for match in _NEWLINE.finditer(text))

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of an offset, both 1-based."""
        line = self.of(offset)
        return line, offset - self.starts[line - 1] + 1


def _parse_one_by_one(sql: str, lines: _Lines) -> Iterator[ParsedStatement]:
    """The fallback when the whole input does not parse: split on top-level
    semicolons with the scanner, then parse each piece on its own."""
    for span_start, end, meta_command in _statement_spans(sql):
        if meta_command:
            yield _meta_command(sql, span_start, end, lines)
            continue
        chunk = sql[span_start:end]
        if chunk.lstrip().startswith(("--", "/*")):
            skipped = _leading_comments_length(chunk)
            span_start, chunk = span_start + skipped, chunk[skipped:]
        text = chunk.strip().rstrip(";").strip()
        parsed = _parse_piece(text, span_start + len(chunk) - len(chunk.lstrip()), lines)
        if text and parsed is not None:
            yield parsed


def _parse_piece(text: str, offset: int, lines: _Lines) -> ParsedStatement | None:
    """One statement's text, found at ``offset`` of the input; None: only comments."""
    try:
        nodes = pglast.parse_sql(text)
    except ParseError as error:
        return _unparsed(lines, offset, text, error)
    if not nodes:
        return None
    node = nodes[0].stmt if len(nodes) == 1 else None
    problem = None if node is not None else "several statements where one was expected"
    return ParsedStatement(text=text, offset=offset, line=lines.of(offset), node=node,
                           error=problem)


def _meta_command(sql: str, start: int, end: int, lines: _Lines) -> ParsedStatement:
    text = sql[start:end].strip()
    name = _cut(text.split()[0], NEAR_LIMIT)
    offset = start + (len(sql[start:end]) - len(sql[start:end].lstrip()))
    return ParsedStatement(text=text, offset=offset, line=lines.of(offset), node=None,
                           error=f"{_visible(name)} is a psql meta-command, not SQL: not analysed",
                           meta_command=True)


def _unparsed(lines: _Lines, offset: int, text: str, error: ParseError) -> ParsedStatement:
    message = error.args[0] if error.args else str(error)
    location = error.args[1] if len(error.args) > 1 else None
    if not isinstance(location, int) or not 0 <= location <= len(text):
        location = len(text)  # "at end of input": the end of the statement
    error_line, error_column = lines.position(offset + location)
    return ParsedStatement(text=text, offset=offset, line=lines.of(offset), node=None,
                           error=short_parser_message(str(message)), error_line=error_line,
                           error_column=error_column)


_NEAR = re.compile(r'(?P<reason>.*?) at or near "(?P<near>.*)"\Z', re.DOTALL)


def short_parser_message(message: str) -> str:
    """The parser's message with the SQL it quotes cut to its first line and
    ``NEAR_LIMIT`` characters, control characters made visible."""
    match = _NEAR.match(message)
    if match is None:
        return _visible(_cut(message, MESSAGE_LIMIT))
    near = match.group("near")
    first_line = re.split(r"[\r\n]", near, maxsplit=1)[0]
    cut = _cut(first_line, NEAR_LIMIT)
    if first_line != near and not cut.endswith("…"):
        cut += "…"
    return f'{_visible(_cut(match.group("reason"), MESSAGE_LIMIT))} at or near "{_visible(cut)}"'


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _visible(text: str) -> str:
    """Control characters as escapes, so a message stays one harmless line."""
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1]
                   for char in text)


# A line psql runs itself (pg_dump writes \\restrict and \\unrestrict lines): it
# ends at the end of the line, not at a semicolon.
_META_COMMAND = re.compile(r"^[ \t]*\\[^\r\n]*", re.MULTILINE)


def _statement_spans(sql: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_meta_command) of the statements and psql meta-command lines.

    Meta-command lines are blanked out before splitting at semicolons, so that
    one does not swallow the statement after it. A line counts only where a
    statement could start (after comments): one inside a string or a query is
    given back and the split redone, a few times at most."""
    candidates = [match.span() for match in _META_COMMAND.finditer(sql)]
    for _attempt in range(3):
        if not candidates:
            break
        spans, rejected = _split_around(sql, candidates)
        if not rejected:
            return spans
        candidates = [span for span in candidates if span[0] not in rejected]
    return [(start, end, False) for start, end in _split_spans(sql)]


def _split_around(sql: str, metas: list[tuple[int, int]]
                  ) -> tuple[list[tuple[int, int, bool]], set[int]]:
    masked = _blank_out(sql, metas)
    spans: list[tuple[int, int, bool]] = []
    rejected: set[int] = set()
    pending = 0
    for start, end in _split_spans(masked):
        while pending < len(metas) and metas[pending][1] <= start:  # between statements
            spans.append((*metas[pending], True))
            pending += 1
        cursor = start
        while pending < len(metas) and metas[pending][0] < end:
            meta_start, meta_end = metas[pending]
            pending += 1
            if meta_start >= cursor and _only_comments(masked[cursor:meta_start]):
                spans += [(cursor, meta_start, False), (meta_start, meta_end, True)]
                cursor = meta_end
            else:
                rejected.add(meta_start)
        spans.append((cursor, end, False))
    spans.extend((*meta, True) for meta in metas[pending:])
    return spans, rejected


def _blank_out(sql: str, spans: list[tuple[int, int]]) -> str:
    """``sql`` with the spans replaced by spaces: offsets are unchanged."""
    pieces = []
    previous = 0
    for start, end in spans:
        pieces += [sql[previous:start], " " * (end - start)]
        previous = end
    pieces.append(sql[previous:])
    return "".join(pieces)


def _only_comments(chunk: str) -> bool:
    return _leading_comments_length(chunk) == len(chunk)


def _split_spans(sql: str) -> list[tuple[int, int]]:
    """(start, end) of the statements, split at ``;`` by PostgreSQL's scanner
    (in C); a statement's span may start with comments and may end with ``;``."""
    try:
        pieces = pglast.split(sql, with_parser=False, only_slices=True)
    except ParseError as error:
        return _split_before_scan_error(sql, error)
    spans: list[tuple[int, int]] = []
    previous = 0
    for piece in pieces:
        spans += _left_out(sql, previous, piece.start)
        spans.append((piece.start, piece.stop))
        previous = piece.stop
    spans += _left_out(sql, previous, len(sql))
    return spans


def _left_out(sql: str, start: int, end: int) -> list[tuple[int, int]]:
    """Statements between two the C splitter found: it silently drops those
    without a keyword (``ab cd;``), which must still get a row."""
    gap = sql[start:end]
    if not gap.strip(" \t\r\n;"):
        return []
    try:
        tokens = scan(gap)
    except ParseError:
        return [(start, end)]
    spans = []
    cursor = start
    for token in tokens:
        if token.name == "ASCII_59":  # ';'
            spans.append((cursor, start + token.end + 1))
            cursor = start + token.end + 1
    spans.append((cursor, end))
    return spans


def _split_before_scan_error(sql: str, error: ParseError) -> list[tuple[int, int]]:
    """An unterminated quote or comment stops the scanner where it starts: split
    what comes before it as usual; from its statement on, the rest is one
    (unparseable) statement."""
    location = error.args[1] if len(error.args) > 1 else None
    if not isinstance(location, int) or not 0 < location < len(sql):
        return [(0, len(sql))]
    spans = _split_spans(sql[:location])
    if not spans:
        return [(0, len(sql))]
    last_start, last_end = spans[-1]
    if _ends_a_statement(sql[last_end:location]):
        return [*spans, (location, len(sql))]
    return [*spans[:-1], (last_start, len(sql))]


def _ends_a_statement(between: str) -> bool:
    """Whether the text after a statement (a ``;``, blanks, comments) ends it."""
    try:
        return any(token.name == "ASCII_59" for token in scan(between))
    except ParseError:
        return False


def _leading_comments_length(chunk: str) -> int:
    try:
        tokens = scan(chunk)
    except ParseError:
        return 0
    for token in tokens:
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            return int(token.start)
    return len(chunk)
