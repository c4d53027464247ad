"""The fast pre-state builds past additive hand SQL and stays exact: the catalog it builds
is the one exact replay builds, at every point of the history, and the reviewed SQL is
the same; where the hand SQL would not apply the same at the end, the blocker is replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.prestate.past_project import write_past_project
from tests.support.catalogs import differences, fast_and_exact
from tests.support.projects import write_files
from tests.support.reviews import review, verdicts

SETTINGS = "pastproj.settings"
TARGET = "shop:0006"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_past_project(tmp_path_factory.mktemp("pastproj"))


def run(project: Path, pg_server: ScratchServer, *args: str) -> dict[str, Any]:
    return review(project, SETTINGS, TARGET, "--no-cache", "--scratch-url", pg_server.url,
                  *args)


def test_the_fast_path_reports_what_it_built_past_and_what_it_held_back(
    project: Path, pg_server: ScratchServer,
) -> None:
    built = run(project, pg_server)["pre_state"]
    assert built["built_past"] == {
        "shop.0002_hand_objects": "RunSQL: CREATE INDEX, CREATE VIEW, COMMENT, CREATE "
                                  "FUNCTION, CREATE TRIGGER, run after the tables",
        "shop.0003_item_stock": "SeparateDatabaseAndState: its SQL adds the columns its "
                                "AddField describes, built from the state",
    }
    held = built["held_back"]
    assert set(held) == {"early.0001_initial", "late.0002_raw_view", "mid.0002_memo_stamp",
                         "shop.0004_code_index"}
    # The index on shop_item.code would keep its name through the rename in 0005.
    assert held["shop.0004_code_index"] == (
        "RunSQL (not built past: RenameField in shop.0005_rename_code changes what its SQL "
        "names)")
    # early_raw is made by a migration replayed after the kept SQL: the view must wait.
    assert held["late.0002_raw_view"] == (
        "RunSQL (not built past: early.0001_initial changes what its SQL names and is "
        "replayed)")
    # The function the trigger calls is not there yet after the tables: exact replay.
    assert held["mid.0002_memo_stamp"] == (
        "RunSQL (not built past: its SQL failed after the tables (function early_stamp() "
        "does not exist))")
    assert built["created_from_state"] == 5  # shop 0001-0003, late 0001, mid 0001
    assert built["replayed"] == 5  # early 0001, late 0002, mid 0002, shop 0004-0005


def test_the_reviewed_sql_is_the_one_exact_replay_gives(project: Path,
                                                        pg_server: ScratchServer) -> None:
    fast = run(project, pg_server)
    exact = run(project, pg_server, "--pre-state", "replay")
    assert exact["pre_state"]["created_from_state"] == 0
    assert verdicts(fast) == verdicts(exact)
    assert [m["sql"] for m in fast["migrations"]] == [m["sql"] for m in exact["migrations"]]
    assert fast["warnings"] == exact["warnings"]


def test_the_fast_catalog_is_the_exact_one_at_every_point(project: Path,
                                                          pg_server: ScratchServer) -> None:
    """Relations with every index and constraint by name, views' text, functions,
    triggers and comments: the hand index on the renamed column once, under its name."""
    compared = fast_and_exact(project, SETTINGS, pg_server.url, every=1)
    assert len(compared) >= 10
    assert differences(compared) == []
    fast, _ = compared["shop.0006_sku_index"]
    assert "shop.0002_hand_objects" in fast["built"]["built_past"]
    assert "shop_item_code_hand" in fast["relations"]
    assert fast["relations"]["shop_item_code_hand"]["index_columns"] == ["sku"]
    assert "view shop_item_names" in fast["others"]
    assert "trigger shop_order_touch" in fast["others"]


def test_a_backend_whose_editor_refuses_transactions_is_built_and_undone_alike(
    project: Path, pg_server: ScratchServer,
) -> None:
    """django-pg-zero-downtime-migrations builds every index CONCURRENTLY, outside any
    transaction: the fast build runs in autocommit, and the kept SQL that fails after the
    tables (mid.0002) is undone by emptying the scratch database instead of a rollback."""
    pytest.importorskip("django_zero_downtime_migrations",
                        reason="django-pg-zero-downtime-migrations comes with the test extra")
    write_files(project, {"pastproj/zero_downtime.py": """
        from pastproj.settings import *  # noqa: F403

        DATABASES["default"]["ENGINE"] = "django_zero_downtime_migrations.backends.postgres"
    """})
    arguments = ("pastproj.zero_downtime", TARGET, "--no-cache", "--scratch-url", pg_server.url)
    fast = review(project, *arguments)
    exact = review(project, *arguments, "--pre-state", "replay")
    assert fast["pre_state"]["held_back"]["mid.0002_memo_stamp"].startswith(
        "RunSQL (not built past: its SQL failed after the tables")
    assert "shop.0002_hand_objects" in fast["pre_state"]["built_past"]
    assert [m["sql"] for m in fast["migrations"]] == [m["sql"] for m in exact["migrations"]]
    assert verdicts(fast) == verdicts(exact)
