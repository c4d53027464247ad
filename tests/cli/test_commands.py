"""The commands beside the review: their --help, `sqlreview rule`, and --ignore/--select."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqlreview.cli import main
from tests.support.cli import run_main

# A blocking index build (SR107) without a lock_timeout (SR201).
BLOCKING_INDEX = "CREATE INDEX shop_order_note_idx ON shop_order (note);\n"


def counted_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path, *flags: str
                  ) -> tuple[int, set[str]]:
    """Exit code and the codes of the findings that count (not suppressed)."""
    script = tmp_path / "index.sql"
    script.write_text(BLOCKING_INDEX, encoding="utf-8")
    code, out, _err = run_main(capsys, "sql", str(script), "--format", "json", *flags)
    document: dict[str, Any] = json.loads(out)
    found = {finding["code"] for statement in document["statements"]
             for finding in statement["findings"] if not finding.get("suppressed")}
    return code, found


def test_the_review_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    help_text = capsys.readouterr().out
    assert exited.value.code == 0
    for command in ("sqlreview sql", "sqlreview stats dump", "sqlreview calibrate",
                    "sqlreview rule"):
        assert command in " ".join(help_text.split())


def test_stats_alone_is_a_group_with_its_own_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_main(capsys, "stats", "--help")
    assert code == 0 and "dump" in out and "stats:0001" in out
    code, _out, err = run_main(capsys, "stats")
    assert code == 2 and "needs a subcommand: dump" in err


def test_rule_explains_a_code_and_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_main(capsys, "rule", "sr107")
    assert code == 0
    assert out.startswith("SR107 create-index-blocks-writes")
    assert "CONCURRENTLY" in out and "/rules/SR107/" in out
    code, listing, _err = run_main(capsys, "rule")
    assert code == 0 and "SR107" in listing and "SR001" in listing
    code, _out, err = run_main(capsys, "rule", "SR999")
    assert code == 2 and "SR999" in err


def test_ignore_and_select_decide_which_findings_count(
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    code, everything = counted_codes(capsys, tmp_path)
    assert {"SR107", "SR201"} <= everything and code == 1
    _code, without = counted_codes(capsys, tmp_path, "--ignore", "SR201")
    assert "SR201" not in without and "SR107" in without
    _code, only = counted_codes(capsys, tmp_path, "--select", "SR201")
    assert only == {"SR201"}
    code, _ = counted_codes(capsys, tmp_path, "--ignore", "SR107,SR201,SR205", "--fail-on",
                            "medium")
    assert code == 0


def test_an_unknown_code_in_ignore_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    script = tmp_path / "index.sql"
    script.write_text(BLOCKING_INDEX, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["sql", str(script), "--ignore", "SR999"])
    assert exited.value.code == 2
    assert "SR999: no such sqlreview code" in capsys.readouterr().err


@pytest.mark.parametrize(("flags", "value"), [
    (("sql", "-", "--pr"), "0"),
    (("sql", "-", "--pr"), "twelve"),
    (("calibrate", "--repeat"), "-3"),
    (("calibrate", "--size-mb"), "1.5"),
])
def test_a_count_flag_says_the_same_when_it_is_not_a_count(
    capsys: pytest.CaptureFixture[str], flags: tuple[str, ...], value: str,
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*flags, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flags[-1]}: {value!r} is not a whole number of 1 or more" in err
