"""``[tool.sqlreview]`` in pyproject.toml: defaults for the flags, flags win."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqlreview.config import KEYS
from sqlreview.scratch import ScratchServer
from tests.cli.gitproject import INITIAL, add_field, django_args, sqlreview, write_project
from tests.support.projects import write_files

RISKY = "CREATE INDEX order_placed ON shop_order (placed_at);\n"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_files(tmp_path, {"risky.sql": RISKY})
    return tmp_path


def configure(directory: Path, table: str) -> None:
    write_files(directory,
                {"pyproject.toml": "[project]\nname = 'x'\n\n[tool.sqlreview]\n" + table})


def sql_json(directory: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = sqlreview("sql", "risky.sql", "--format", "json", *args, cwd=directory)
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return result.returncode, document


def test_without_config_the_defaults_hold(workdir: Path) -> None:
    code, document = sql_json(workdir)
    assert code == 1  # SR107 is high, --fail-on defaults to high
    assert document["config"] is None


def test_a_pyproject_without_a_sqlreview_table_is_no_config(workdir: Path) -> None:
    write_files(workdir,
                {"pyproject.toml": "[project]\nname = 'x'\n\n[tool.ruff]\nline-length = 9\n"})
    code, document = sql_json(workdir)
    assert code == 1
    assert document["config"] is None  # not this pyproject.toml: nothing was read from it
    assert document["warnings"] == []


def test_the_toml_reader_exists_on_every_supported_python() -> None:
    """On 3.10 tomli is a dependency: [tool.sqlreview] is read, never skipped with a warning."""
    from sqlreview import config

    reader = config._toml_reader()
    assert reader is not None
    assert reader("[tool.sqlreview]\nfail-on = 'never'\n") == {
        "tool": {"sqlreview": {"fail-on": "never"}}}


def test_fail_on_and_pg_version_from_config(workdir: Path) -> None:
    configure(workdir, 'fail-on = "never"\npg-version = 12\n')
    code, document = sql_json(workdir)
    assert code == 0
    assert document["pg_version"] == 12
    assert document["config"] == str(workdir / "pyproject.toml")


def test_flags_override_config(workdir: Path) -> None:
    configure(workdir, 'fail-on = "never"\npg-version = 12\n')
    code, document = sql_json(workdir, "--fail-on", "high", "--pg-version", "16")
    assert code == 1
    assert document["pg_version"] == 16


def test_config_is_found_upward_from_a_subdirectory(workdir: Path) -> None:
    configure(workdir, 'fail-on = "never"\n')
    sub = workdir / "a" / "b"
    sub.mkdir(parents=True)
    write_files(sub, {"risky.sql": RISKY})
    code, _document = sql_json(sub)
    assert code == 0


def test_ignore_and_assume_lock_timeout(workdir: Path) -> None:
    _code, before = sql_json(workdir)
    assert {f["code"] for f in before["statements"][0]["findings"]} == {"SR107", "SR201"}
    configure(workdir, 'ignore = ["SR107"]\nassume-lock-timeout = true\n')
    code, document = sql_json(workdir)
    assert code == 0
    findings = {f["code"]: f for f in document["statements"][0]["findings"]}
    assert "SR201" not in findings, "a lock_timeout is assumed"
    assert "pyproject.toml" in findings["SR107"]["suppressed"]
    assert document["summary"]["suppressed"] == 1


@pytest.mark.parametrize("table, named", [
    ('fail_on = "high"\n', "fail_on"),
    ('colour = "blue"\n', "colour"),
])
def test_an_unknown_key_is_a_usage_error_listing_the_valid_keys(
        workdir: Path, table: str, named: str) -> None:
    configure(workdir, table)
    result = sqlreview("sql", "risky.sql", cwd=workdir)
    assert result.returncode == 2
    assert named in result.stderr
    assert all(key in result.stderr for key in KEYS)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("table, says", [
    ('pg-version = "nine"\n', "pg-version"),
    ('fail-on = "sometimes"\n', "fail-on"),
    ('ignore = ["SR999"]\n', "SR999"),
    ('assume-lock-timeout = "yes"\n', "true or false"),
    ('start-after = "library"\n', "app_label:migration"),
    ('deploy-model = "yolo"\n', "migrate-then-rollout"),
    ("exclude = [1]\n", "exclude"),
])
def test_a_bad_value_is_a_usage_error(workdir: Path, table: str, says: str) -> None:
    configure(workdir, table)
    result = sqlreview("sql", "risky.sql", cwd=workdir)
    assert result.returncode == 2
    assert says in result.stderr
    assert "valid keys" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_toml_is_a_usage_error(workdir: Path) -> None:
    write_files(workdir, {"pyproject.toml": "[tool.sqlreview\n"})
    result = sqlreview("sql", "risky.sql", cwd=workdir)
    assert result.returncode == 2
    assert "not valid TOML" in result.stderr


# --- the Django keys ---------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("configured"), {
        "0001_initial": INITIAL,
        "0002_customer_email": add_field("0001_initial", "email"),
        "0003_customer_note": add_field("0002_customer_email", "note"),
    })


def reviewed_names(project: Path, directory: Path, *args: str) -> list[str]:
    result = sqlreview(*django_args(project), "--all", "--format", "json", "--fail-on",
                       "never", *args, cwd=directory)
    assert result.returncode == 0, result.stderr
    return [m["name"] for m in json.loads(result.stdout)["migrations"]]


def test_scratch_url_exclude_and_start_after(project: Path, pg_server: ScratchServer,
                                             tmp_path: Path) -> None:
    # No --scratch-url flag: the config's is used (no embedded server is started).
    configure(tmp_path, f'scratch-url = "{pg_server.url}"\nexclude = ["shop:0003"]\n')
    assert reviewed_names(project, tmp_path) == ["0001_initial", "0002_customer_email"]
    configure(tmp_path, f'scratch-url = "{pg_server.url}"\nstart-after = "shop:0001"\n')
    assert reviewed_names(project, tmp_path) == ["0002_customer_email", "0003_customer_note"]
    configure(tmp_path, f'scratch-url = "{pg_server.url}"\nexclude = ["shop"]\n')
    assert reviewed_names(project, tmp_path) == []


def test_a_scratch_url_flag_beats_the_config(project: Path, pg_server: ScratchServer,
                                             tmp_path: Path) -> None:
    configure(tmp_path, 'scratch-url = "postgresql://nobody@127.0.0.1:1/none"\n')
    names = reviewed_names(project, tmp_path, "--scratch-url", pg_server.url)
    assert names == ["0001_initial", "0002_customer_email", "0003_customer_note"]


def test_an_unknown_migration_in_start_after_is_a_usage_error(
        project: Path, tmp_path: Path) -> None:
    configure(tmp_path, 'start-after = "shop:0099"\n')
    result = sqlreview(*django_args(project), "--all", cwd=tmp_path)
    assert result.returncode == 2
    assert "start-after" in result.stderr and "0099" in result.stderr
