"""An internal error exits 2 with or without --debug; never 1, the code for risky findings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The real entry point (as the console script runs it), with a bug planted in the analyzer.
PROGRAM = """
import sys
import sqlreview.cli as cli
import sqlreview.cli.sql as sql_command

def broken(*args, **kwargs):
    raise RuntimeError("planted bug")

sql_command.analyze_sql = broken
sys.argv = ["sqlreview", *sys.argv[1:]]
cli.entry_point()
"""


def run(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "a.sql").write_text("CREATE INDEX i ON t (c);\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("SQLREVIEW_")}
    return subprocess.run([sys.executable, "-c", PROGRAM, "sql", "a.sql", *flags],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
                          check=False)


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_an_internal_error_exits_2(tmp_path: Path, debug: bool) -> None:
    result = run(tmp_path, *(["--debug"] if debug else []))
    assert result.returncode == 2, result.stderr
    assert "sqlreview: internal error: RuntimeError: planted bug" in result.stderr
    assert ("Traceback (most recent call last)" in result.stderr) is debug
    assert ("Run again with --debug" in result.stderr) is not debug
    if debug:
        assert ", in broken\n" in result.stderr  # the frame that raised
        assert "RuntimeError: planted bug\nsqlreview: internal error:" in result.stderr
        assert result.stderr.index("Traceback") < result.stderr.index("sqlreview: internal")
