"""Calibration files and `sqlreview calibrate` on a staging database, run for real.

Bad files must give a one-line message that names the file and says what to
do (exit 2 from ``sqlreview calibrate --check``), never a traceback. Against
``--database-url`` calibrate refuses a database that holds tables, and on an
empty one it leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sqlreview.stats.calibration import (
    DEFAULT_CALIBRATION,
    CalibrationError,
    calibration_from_json,
    calibration_to_json,
    load_calibration,
)
from sqlreview.stats.estimate import OPTIONAL_FIGURES
from tests.support.cli import run_sqlreview, sqlreview_argv
from tests.support.waiting import wait_for


def calibrate(*args: str) -> subprocess.CompletedProcess[str]:
    return run_sqlreview("calibrate", *args)


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_CALIBRATION.read_text(encoding="utf-8"))
    return data


def test_the_shipped_calibration_is_measured_and_says_where() -> None:
    calibration = load_calibration()
    assert calibration.measured_at is not None
    for key in ("cpu", "cores", "postgresql"):
        assert calibration.extra[key], key
    assert all(figure in shipped()["figures"] for figure in OPTIONAL_FIGURES)


def test_a_calibration_survives_the_round_trip() -> None:
    calibration = load_calibration()
    assert calibration_from_json(calibration_to_json(calibration)) == calibration


def test_a_file_without_the_newer_figures_still_loads() -> None:
    data = shipped()
    for name in OPTIONAL_FIGURES:
        del data["figures"][name]
    calibration = calibration_from_json(data)
    assert calibration.scan_rows_per_s is None
    assert calibration.scan_mb_per_s == data["figures"]["scan_mb_per_s"]


def bad_files() -> dict[str, tuple[str | bytes, str]]:
    """name: (file content, what the message must say)."""
    data = shipped()
    wrong_version = {**data, "calibration_version": 99}
    negative = {**data, "figures": {**data["figures"], "scan_mb_per_s": -3}}
    zero = {**data, "figures": {**data["figures"], "update_rows_per_s": 0}}
    text = {**data, "figures": {**data["figures"], "rewrite_rows_per_s": "fast"}}
    missing = {**data, "figures": {k: v for k, v in data["figures"].items()
                                   if k != "index_entries_per_s"}}
    return {
        "not json": ("{ not json", "is not JSON"),
        "binary": (b"\xff\xfe\x00garbage", "not a text file"),
        "a list": ("[1, 2]", "is not a version 1 calibration"),
        "wrong version": (json.dumps(wrong_version), "is not a version 1 calibration"),
        "no figures": (json.dumps({"calibration_version": 1}), "has no \"figures\""),
        "missing figure": (json.dumps(missing), "lacks index_entries_per_s"),
        "negative": (json.dumps(negative), "scan_mb_per_s must be positive"),
        "zero": (json.dumps(zero), "update_rows_per_s must be positive"),
        "not a number": (json.dumps(text), "rewrite_rows_per_s must be positive"),
    }


@pytest.mark.parametrize("case", sorted(bad_files()))
def test_a_bad_file_is_refused_with_a_clear_message(case: str, tmp_path: Path) -> None:
    content, expected = bad_files()[case]
    path = tmp_path / "calibration.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CalibrationError) as raised:
        load_calibration(path)
    message = str(raised.value)
    assert expected in message and str(path) in message and "\n" not in message
    assert "sqlreview calibrate" in message


def test_check_exit_codes(tmp_path: Path) -> None:
    good = calibrate("--check", str(DEFAULT_CALIBRATION))
    assert good.returncode == 0, good.stderr
    assert "scan_mb_per_s" in good.stdout and "PostgreSQL" in good.stdout
    missing = calibrate("--check", str(tmp_path / "nowhere.json"))
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "cannot read calibration" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({**shipped(), "calibration_version": 0}), encoding="utf-8")
    wrong = calibrate("--check", str(broken))
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "not a version 1 calibration" in wrong.stderr


def test_an_unwritable_output_fails_before_measuring(tmp_path: Path) -> None:
    completed = calibrate("-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert completed.returncode == 2
    assert "does not exist" in completed.stderr and "Traceback" not in completed.stderr


def test_refuses_a_database_that_holds_tables(pg_database: str) -> None:
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE customer (id int)")
    completed = calibrate("--database-url", pg_database, "-o", "-")
    assert completed.returncode == 2
    assert "holds 1 table" in completed.stderr and "never production" in completed.stderr
    assert completed.stdout == ""


def test_unreachable_server(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/postgres?host={tmp_path}"
    completed = calibrate("--database-url", url, "-o", str(tmp_path / "c.json"))
    assert completed.returncode == 2
    assert completed.stderr.startswith("sqlreview calibrate: cannot connect to")
    assert not (tmp_path / "c.json").exists()


def test_calibrates_an_empty_staging_database_and_leaves_nothing(pg_database: str,
                                                                  tmp_path: Path) -> None:
    output = tmp_path / "staging.json"
    completed = calibrate("--database-url", pg_database, "--size-mb", "2", "--repeat", "1",
                          "-o", str(output))
    assert completed.returncode == 0, completed.stderr
    calibration = load_calibration(output)
    assert calibration.extra["server"] == "staging server"
    assert set(calibration.extra["samples"]) >= {"scan", "rewrite", "index_build", "update"}
    with psycopg.connect(pg_database) as conn:
        left = conn.execute("SELECT nspname FROM pg_namespace "
                            "WHERE nspname LIKE 'sqlreview_calibrate%'").fetchall()
        tables = conn.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE n.nspname = 'public'").fetchone()
    assert left == [] and tables == (0,)


def calibrate_schemas(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT nspname FROM pg_namespace "
                            "WHERE nspname LIKE 'sqlreview_calibrate%'").fetchall()
    return [str(row[0]) for row in rows]


def test_ctrl_c_on_staging_drops_the_schema(pg_database: str, tmp_path: Path) -> None:
    output = tmp_path / "c.json"
    process = subprocess.Popen(
        sqlreview_argv("calibrate", "--database-url", pg_database, "--size-mb", "30",
                       "-o", str(output)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: bool(calibrate_schemas(pg_database)), interval=0.1)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr == "sqlreview: interrupted\n"
    assert calibrate_schemas(pg_database) == [] and not output.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the death signal is Linux's")
def test_sigterm_on_the_embedded_server_leaves_no_server(tmp_path: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sqlreview-calibrate-"))
    try:
        process = subprocess.Popen(
            sqlreview_argv("calibrate", "-o", str(tmp_path / "c.json")),
            env={**os.environ, "TMPDIR": str(tmp)}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        wait_for(lambda: any(tmp.glob("sqlreview-pg-*/server.log")), interval=0.1)
        time.sleep(2.0)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert list(tmp.glob("sqlreview-pg-*")) == []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
