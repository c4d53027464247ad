"""``sqlreview --since REF`` in real git repositories, through the real CLI.

The branch under review (``feature``, forked from ``main``, which moved on
afterwards) modifies a migration that ``main`` has, renames one, deletes one
and adds one left untracked in the working tree.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.cli.gitproject import (
    INITIAL,
    add_field,
    django_args,
    git,
    init_repository,
    sqlreview,
    write_project,
)
from tests.support.projects import write_files

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

MIGRATIONS = "shop/migrations"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_project(tmp_path_factory.mktemp("since"), {
        "0001_initial": INITIAL,
        "0002_customer_email": add_field("0001_initial", "email"),
        "0003_customer_note": add_field("0002_customer_email", "note"),
        "0004_customer_extra": add_field("0003_customer_note", "extra"),
    })
    init_repository(root)
    git(root, "checkout", "-q", "-b", "feature")
    # Modified: a second operation in a migration main already has.
    phone = ('\n                migrations.AddField("customer", "phone", '
             'models.TextField(null=True)),')
    write_files(root, {f"{MIGRATIONS}/0002_customer_email.py": add_field(
        "0001_initial", "email", extra=phone)})
    git(root, "rm", "-q", f"{MIGRATIONS}/0004_customer_extra.py")
    git(root, "mv", f"{MIGRATIONS}/0003_customer_note.py",
        f"{MIGRATIONS}/0003_customer_remark.py")
    git(root, "commit", "-q", "-am", "feature work")
    # main moves on after the fork: the merge base is not main's tip.
    git(root, "checkout", "-q", "main")
    write_files(root, {"NOTES.txt": "unrelated\n"})
    git(root, "add", "NOTES.txt")
    git(root, "commit", "-q", "-m", "main moves on")
    git(root, "checkout", "-q", "feature")
    # Added and not even staged.
    write_files(root, {f"{MIGRATIONS}/0005_customer_vip.py":
                       add_field("0003_customer_remark", "vip")})
    return root


def review(repository: Path, pg_server: ScratchServer, *args: str, cwd: Path | None = None
           ) -> dict[str, Any]:
    result = sqlreview(*django_args(repository), "--format", "json", "--fail-on", "never",
                       "--scratch-url", pg_server.url, *args, cwd=cwd or repository)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def since_main(repository: Path, pg_server: ScratchServer) -> dict[str, Any]:
    return review(repository, pg_server, "--since", "main")


def test_reviews_added_modified_and_renamed_files_in_migrate_order(
        since_main: dict[str, Any]) -> None:
    names = [item["name"] for item in since_main["migrations"]]
    assert names == ["0002_customer_email", "0003_customer_remark", "0005_customer_vip"]
    assert since_main["since"] == "main"


def test_each_is_reviewed_against_its_exact_parent(since_main: dict[str, Any]) -> None:
    by_name = {item["name"]: item for item in since_main["migrations"]}
    sql = " ".join(s["sql"] for s in by_name["0002_customer_email"]["statements"])
    assert '"email"' in sql and '"phone"' in sql
    vip = " ".join(s["sql"] for s in by_name["0005_customer_vip"]["statements"])
    assert 'ADD COLUMN "vip"' in vip


def test_modifying_a_migration_main_has_is_a_warning(since_main: dict[str, Any]) -> None:
    warnings = [w for w in since_main["warnings"] if "0002_customer_email.py" in w]
    assert len(warnings) == 1
    assert "already exists on main" in warnings[0]
    assert warnings[0].startswith(f"{MIGRATIONS}/0002_customer_email.py")


def test_deleted_and_renamed_files_are_warnings(since_main: dict[str, Any]) -> None:
    warnings = since_main["warnings"]
    deleted = [w for w in warnings if "0004_customer_extra.py" in w]
    assert len(deleted) == 1 and "deleted" in deleted[0]
    renamed = [w for w in warnings if "0003_customer_remark.py" in w]
    assert len(renamed) == 1 and "0003_customer_note.py" in renamed[0]
    # An added file is not a warning.
    assert not [w for w in warnings if "0005_customer_vip" in w]


def test_the_text_report_shows_the_warning(repository: Path, pg_server: ScratchServer) -> None:
    result = sqlreview(*django_args(repository), "--since", "main", "--fail-on", "never",
                       "--scratch-url", pg_server.url, cwd=repository)
    assert result.returncode == 0, result.stderr
    assert "0002_customer_email.py" in result.stdout
    assert "already exists on main" in " ".join(result.stdout.split())  # wrapped text


def test_works_from_a_subdirectory(repository: Path, pg_server: ScratchServer,
                                   since_main: dict[str, Any]) -> None:
    document = review(repository, pg_server, "--since", "main",
                      cwd=repository / MIGRATIONS)
    assert [m["name"] for m in document["migrations"]] == [
        m["name"] for m in since_main["migrations"]]
    # The warnings still name files from the repository's root.
    assert any(w.startswith(f"{MIGRATIONS}/0002_customer_email.py")
               for w in document["warnings"])


def test_since_head_reviews_uncommitted_work_only(repository: Path,
                                                 pg_server: ScratchServer) -> None:
    document = review(repository, pg_server, "--since", "HEAD")
    assert [m["name"] for m in document["migrations"]] == ["0005_customer_vip"]
    assert document["warnings"] == []


def test_a_ref_that_does_not_exist_is_a_usage_error(repository: Path) -> None:
    result = sqlreview(*django_args(repository), "--since", "origin/nope", cwd=repository)
    assert result.returncode == 2
    assert "origin/nope" in result.stderr and "fetch" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_outside_a_repository_is_a_usage_error(repository: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(repository, plain, ignore=shutil.ignore_patterns(".git"))
    result = sqlreview(*django_args(plain), "--since", "main", cwd=plain)
    assert result.returncode == 2
    assert "not inside" in result.stderr and "git repository" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_git_is_a_usage_error(repository: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    result = sqlreview(*django_args(repository), "--since", "main", cwd=repository,
                       env={"PATH": str(empty)})
    assert result.returncode == 2
    assert "needs git" in result.stderr
    assert "Traceback" not in result.stderr


def test_since_with_targets_is_a_usage_error(repository: Path) -> None:
    result = sqlreview(*django_args(repository), "--since", "main", "shop", cwd=repository)
    assert result.returncode == 2
    assert "--since" in result.stderr


def test_nothing_changed_reviews_nothing(repository: Path, pg_server: ScratchServer,
                                        tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shutil.copytree(repository, clean)
    git(clean, "add", "-A")
    git(clean, "commit", "-q", "-m", "vip")
    result = sqlreview(*django_args(clean), "--since", "HEAD", "--format", "json",
                       "--scratch-url", pg_server.url, cwd=clean)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["migrations"] == []
