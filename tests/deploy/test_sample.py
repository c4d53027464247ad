"""The sample project (the README's quickstart) shows a migration in every deploy phase."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.deploy import Result, codes, run_driver

NEW = ["library.0023_forget_author_bio", "library.0024_drop_author_bio",
       "library.0025_book_subtitle"]


@pytest.fixture(scope="module")
def sample() -> Result:
    return run_driver(project="sample", sets=[NEW])


def test_the_last_migrations_as_one_deploy_show_every_phase(sample: Result) -> None:
    phases: list[dict[str, Any]] = sample["sets"][0]["phases"]
    assert [(p["app"] + "." + p["name"], p["phase"]) for p in phases] == [
        ("library.0023_forget_author_bio", "before-deploy"),
        ("library.0024_drop_author_bio", "after-deploy"),
        ("library.0025_book_subtitle", "split"),
    ]
    assert codes(phases[0]) == []
    assert codes(phases[1]) == ["SR403"]
    assert codes(phases[2]) == ["SR401"]
    plan = sample["sets"][0]["plan"]
    assert plan["before_deploy"] == ["library.0023_forget_author_bio"]
    assert plan["after_deploy"] == ["library.0024_drop_author_bio"]
    assert plan["split"] == ["library.0025_book_subtitle"]


def test_each_migration_as_its_own_release(sample: Result) -> None:
    alone = sample["alone"]
    assert alone["library.0024_drop_author_bio"]["phase"] == "before-deploy"
    assert alone["library.0002_book_pages"]["phase"] == "split"
    assert alone["library.0014_rename_published_on_book_published_date"]["phase"] == "split"
    assert alone["library.0015_remove_book_translator"]["phase"] == "after-deploy"
    assert alone["library.0012_alter_book_title"]["phase"] == "before-deploy"
    assert alone["library.0022_rename_publisher_imprint"]["phase"] == "before-deploy"
    assert {p["phase"] for p in alone.values()} == {"before-deploy", "after-deploy", "split"}
