"""The pre-commit hook turns the migration files it is given into review targets."""

from __future__ import annotations

from unittest import mock

from sqlreview.cli import precommit


def test_migration_files_become_app_targets_and_the_rest_is_dropped() -> None:
    options, targets = precommit.split_arguments([
        "--settings", "mysite.settings",
        "shop/migrations/0002_order_note.py", "shop/migrations/__init__.py",
        "backend/billing/migrations/0001_initial.py", "shop/models.py",
        "shop/migrations/0002_order_note.py"])
    assert options == ["--settings", "mysite.settings"]
    assert targets == ["shop:0002_order_note", "billing:0001_initial"]


def test_no_migration_file_reviews_nothing() -> None:
    with mock.patch("sqlreview.cli.precommit.review_command") as sqlreview:
        assert precommit.main(["--settings", "s", "shop/models.py"]) == 0
    sqlreview.assert_not_called()


def test_the_review_gets_the_options_then_the_targets() -> None:
    with mock.patch("sqlreview.cli.precommit.review_command", return_value=1) as sqlreview:
        assert precommit.main(["--settings", "s", "shop/migrations/0003_x.py"]) == 1
    sqlreview.assert_called_once_with(["--settings", "s", "shop:0003_x"])
