"""Hostile SQL through the real ``sqlreview sql``, in every output format.

A repository under review decides what the SQL contains: identifiers made of
HTML or GitHub workflow commands, newlines, CR, NUL bytes, 10,000-character
names, quotes that never end, nesting deeper than Python's recursion limit.
Whatever it is, sqlreview must end normally (exit 0, 1, 2 or 3, no
traceback), print valid JSON, keep names exact in JSON and keep messages
short. Whether Markdown and GitHub output neutralise what they echo is
checked at the end, separately.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sqlreview.report import FORMATS
from tests.support.cli import run_sqlreview_bytes

HTML = "x</details><img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
WORKFLOW = "::error file=app.py,line=1::pwned"
ENCODED = "a%0A::warning::b"
LONG = "n" * 10_000


def _deep_and(depth: int) -> str:
    condition = "id = 1"
    for i in range(depth):
        condition = f"(a{i} = 1 AND {condition})"
    return condition


CORPUS: dict[str, str | bytes] = {
    "html identifiers": (
        f'ALTER TABLE "{HTML}" ADD COLUMN "{SCRIPT}" integer NOT NULL;\n'
        f'CREATE INDEX "<b>idx</b>" ON "{HTML}" ("{SCRIPT}");\n'
        f'ALTER TABLE "{HTML}" ALTER COLUMN "{SCRIPT}" TYPE bigint;\n'
        f'UPDATE "{HTML}" SET "{SCRIPT}" = \'</td></tr></table><h1>x</h1>\';\n'
        f'DROP TABLE "{HTML}";\n'
    ),
    "workflow commands": (
        f'ALTER TABLE "{WORKFLOW}" ADD COLUMN "{ENCODED}" integer NOT NULL;\n'
        f'CREATE INDEX "i,j:k" ON "{WORKFLOW}" ("{ENCODED}");\n'
        f'TRUNCATE "%25{WORKFLOW}%";\n'
    ),
    "newlines in identifiers": (
        'ALTER TABLE "line1\nline2" ADD COLUMN "cr\rhere" integer NOT NULL;\n'
        f'CREATE INDEX "x\n{WORKFLOW}" ON "t\r\n::warning::injected" (a);\n'
        'ALTER TABLE "\n\n| a | b |\n|---|---|\n" RENAME TO "t\n# heading";\n'
    ),
    "control characters": (
        'ALTER TABLE "\x1b[2J\x1b[31mred" ADD COLUMN "\u202eevil" integer NOT NULL;\n'
        'CREATE INDEX "\x07bell" ON "\x08\x7f" (a);\n'
    ),
    "long names": (
        f'ALTER TABLE "{LONG}" ADD COLUMN "{LONG}" integer NOT NULL;\n'
        f"ALTER TABLE {LONG} ALTER COLUMN c TYPE {LONG};\n"
        f"UPDATE t SET c = '{LONG * 10}';\n"
        f"CREATE INDEX {LONG}i ON {LONG}t ({LONG}c);\n"
    ),
    "unterminated quote": "SELECT 1;\nALTER TABLE t ADD c int;\nSELECT 'never closed;\n"
                          + "INSERT INTO t VALUES (1);\n" * 2000,
    "unterminated dollar quote": "CREATE INDEX i ON t (a);\nDO $body$ BEGIN\n"
                                 + "PERFORM 1;\n" * 2000,
    "unterminated identifier and comment": 'SELECT "abc;\n/* never closed\n' + "x;\n" * 500,
    "deep nesting": (
        "CREATE TABLE t (id int PRIMARY KEY, a int);\n"
        f"UPDATE t SET a = 1 WHERE {_deep_and(2000)};\n"
        "SELECT " + "(" * 20_000 + "1" + ")" * 20_000 + ";\n"
        "SELECT 1" + "::int" * 3000 + ";\n"
        "ALTER TABLE t ADD COLUMN b int[] DEFAULT " + "ARRAY[" * 3000 + "1" + "]" * 3000 + ";\n"
    ),
    "psql and garbage": "\\set x '\n\\i /etc/passwd\n;;;\n ab cd ;\n\\\\\nSELECT 1;\n",
    "empty": "",
    "only comments and semicolons": "-- nothing\n/* here */ ;;\n;\n",
    "NUL bytes": b"ALTER TABLE t ADD c int;\x00DROP TABLE \"a\x00b\";\n",
    "invalid UTF-8": b"ALTER TABLE \"caf\xe9\" ADD c int NOT NULL;\n",
    "UTF-16": "ALTER TABLE t ADD c int;\n".encode("utf-16"),
}

UNREADABLE = {"NUL bytes", "invalid UTF-8", "UTF-16"}
MESSAGE_BOUND = 1_000  # characters; the long names above are 10,000


def write_corpus(directory: Path, name: str) -> Path:
    path = directory / (re.sub(r"\W+", "_", name) + ".sql")
    content = CORPUS[name]
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def sqlreview_sql(path: Path, output_format: str) -> subprocess.CompletedProcess[bytes]:
    return run_sqlreview_bytes("sql", "--format", output_format, str(path),
                               env={"PYTHONIOENCODING": "utf-8"})


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory
            ) -> dict[tuple[str, str], subprocess.CompletedProcess[bytes]]:
    """Every corpus entry through every format, run once for all the tests below."""
    directory = tmp_path_factory.mktemp("hostile")
    runs = {}
    for name in CORPUS:
        path = write_corpus(directory, name)
        for output_format in FORMATS:
            runs[name, output_format] = sqlreview_sql(path, output_format)
    return runs


@pytest.mark.parametrize("output_format", sorted(FORMATS))
@pytest.mark.parametrize("name", list(CORPUS))
def test_sqlreview_ends_normally(outputs: dict[tuple[str, str], Any], name: str,
                                 output_format: str) -> None:
    completed = outputs[name, output_format]
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode in (0, 1, 2, 3), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    if name in UNREADABLE:
        assert completed.returncode == 2
        assert stderr.startswith("sqlreview: ") and len(stderr.splitlines()) == 1, stderr
    else:
        assert stderr == "", stderr
    completed.stdout.decode("utf-8")  # the report is UTF-8, whatever the input was


@pytest.mark.parametrize("name", list(CORPUS))
def test_json_is_valid_and_bounded(outputs: dict[tuple[str, str], Any], name: str) -> None:
    completed = outputs[name, "json"]
    document = json.loads(completed.stdout)
    assert document["summary"]["statements"] == len(document["statements"])
    if name in UNREADABLE:
        assert document["errors"] and document["statements"] == []
        return
    assert document["errors"] == []
    for statement in document["statements"]:
        messages = [f["message"] for f in statement["findings"]] + [statement["error"] or ""]
        assert all(len(message) < MESSAGE_BOUND for message in messages), statement["index"]


def test_json_keeps_hostile_names_exactly(outputs: dict[tuple[str, str], Any]) -> None:
    """JSON is data: names are not escaped there, only encoded as JSON strings."""
    relations = {lock["relation"]
                 for name in ("html identifiers", "workflow commands", "newlines in identifiers")
                 for statement in json.loads(outputs[name, "json"].stdout)["statements"]
                 for lock in statement["locks"]}
    assert {HTML, WORKFLOW, "line1\nline2", "t\r\n::warning::injected"} <= relations


def test_every_statement_of_a_broken_input_is_reported(outputs: dict[tuple[str, str], Any]
                                                      ) -> None:
    statements = json.loads(outputs["unterminated quote", "json"].stdout)["statements"]
    assert [s["kind"] for s in statements] == ["SELECT", "ALTER TABLE", "UNPARSED"]
    assert statements[2]["line"] == 3
    deep = json.loads(outputs["deep nesting", "json"].stdout)["statements"]
    assert len(deep) == 5
    assert deep[1]["kind"] == "UPDATE" and deep[2]["kind"] == "UNPARSED"
    garbage = json.loads(outputs["psql and garbage", "json"].stdout)["statements"]
    assert [s["sql"] for s in garbage][-1] == "SELECT 1"
    assert any(s["sql"] == "ab cd" for s in garbage)


# --- escaping of what is echoed (the reporters' part of issue 7) ----------------------------


@pytest.mark.parametrize("name", ["html identifiers", "newlines in identifiers"])
def test_markdown_has_no_raw_html_from_the_input(outputs: dict[tuple[str, str], Any],
                                                 name: str) -> None:
    """Rendered as GitHub would: HTML from the input may only stand in code (inert)."""
    from markdown_it import MarkdownIt

    markdown = outputs[name, "markdown"].stdout.decode("utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in rendered and "<script" not in rendered and "<b>" not in rendered
    assert "<h1>" not in rendered and "</table><h1>" not in rendered
    assert rendered.count("</details>") == rendered.count("<details>")


@pytest.mark.parametrize("name", ["workflow commands", "newlines in identifiers",
                                  "html identifiers"])
def test_github_annotations_cannot_inject_commands(outputs: dict[tuple[str, str], Any],
                                                   name: str) -> None:
    github = outputs[name, "github"].stdout.decode("utf-8")
    assert github
    assert "\r" not in github
    for line in github.splitlines():
        match = re.fullmatch(r"::(error|warning|notice) ([^:]*)::(.*)", line)
        assert match is not None, line
        for item in match.group(2).split(","):
            assert re.fullmatch(r"(file|line|title|col|endLine|endColumn)=[^,:]*", item), item


def test_github_encodes_a_literal_percent_sequence(outputs: dict[tuple[str, str], Any]
                                                   ) -> None:
    """GitHub decodes %0A in a message into a new line: a name spelling it must not."""
    github = outputs["workflow commands", "github"].stdout.decode("utf-8")
    assert "a%250A::warning::b" in github
    assert "a%0A::warning::b" not in github


@pytest.mark.parametrize("output_format", ["text", "markdown", "github"])
def test_no_terminal_control_characters_are_echoed(outputs: dict[tuple[str, str], Any],
                                                   output_format: str) -> None:
    out = outputs["control characters", output_format].stdout.decode("utf-8")
    assert out
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e]", out), repr(out)
