"""The fast pre-state builds renamed tables from the state and gives back the names the
old table left behind: the catalog it builds is the one exact replay builds, at every
point of the history, and the reviewed SQL is the same; where a rename cannot be followed
exactly (a many-to-many field), the migration is replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from sqlreview.django.renamed import pg_name
from sqlreview.scratch import ScratchServer
from tests.prestate.renamed_project import TARGETS, write_renamed_project
from tests.support.django_driver import run_driver
from tests.support.reviews import review, verdicts

SETTINGS = "renproj.settings"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_renamed_project(tmp_path_factory.mktemp("renproj"))


def run(project: Path, pg_server: ScratchServer, *args: str) -> dict[str, Any]:
    return review(project, SETTINGS, *TARGETS, "--no-cache", "--scratch-url", pg_server.url,
                  *args)


def test_renamed_tables_are_built_from_the_state_and_their_old_names_given_back(
    project: Path, pg_server: ScratchServer,
) -> None:
    built = run(project, pg_server)["pre_state"]
    assert built["held_back"] == {
        "catalog.0004_rack": "RenameModel of a model with a many-to-many field",
        "swap.0002_retable": "its renamed table's old names could not be given back "
                             '(relation "swap_old_pkey" already exists)',
        "reuse.0003_pages": "its renamed table's old names could not be given back "
                            '(relation "reuse_page_pkey" already exists)',
        # Its table cannot have its old name back: an index took it (0003 follows it).
        "taken.0002_hand_index": "RunSQL (not built past: its SQL failed after the tables "
                                 '(relation "taken_card" already exists))',
    }
    # extra's SQL runs with its table under its first name, not holding the renames back.
    assert list(built["built_past"]) == ["extra.0002_hand_index", "extra.0005_lower_index",
                                         "reuse.0002_hand_index"]
    # store 0001-0006, catalog 0001-0003, other 0001, extra 0001-0005, swap 0001,
    # reuse 0001-0002, taken 0001
    assert built["created_from_state"] == 19
    assert built["replayed"] == 8
    assert built["renamed_back"] >= 10


def test_the_reviewed_sql_is_the_one_exact_replay_gives(project: Path,
                                                        pg_server: ScratchServer) -> None:
    fast = run(project, pg_server)
    exact = run(project, pg_server, "--pre-state", "replay")
    assert exact["pre_state"]["created_from_state"] == 0
    assert [m["sql"] for m in fast["migrations"]] == [m["sql"] for m in exact["migrations"]]
    assert verdicts(fast) == verdicts(exact)
    assert fast["warnings"] == exact["warnings"]
    sql = {f"{m['app']}.{m['name']}": m["sql"] for m in fast["migrations"]}
    # The slug index was made under the table's second name, and kept it.
    assert 'DROP INDEX IF EXISTS "store_marques_slug_' in sql["store.0007_slug_plain"]
    # Item's unique and index keep the first table's name through both renames.
    assert '"catalog_item_label_' in sql["catalog.0005_label_plain"]
    assert fast["pre_state"]["built_past"] != exact["pre_state"].get("built_past")


def test_the_fast_catalog_is_the_exact_one_at_every_point(project: Path,
                                                          pg_server: ScratchServer) -> None:
    """Every relation with its indexes, constraints and sequences by name."""
    compared = run_driver("prestate_catalogs", project=str(project), settings=SETTINGS,
                          scratch_url=pg_server.url, every=1)
    assert len(compared) >= 12
    for label, (fast, exact) in compared.items():
        assert fast["relations"] == exact["relations"], label
        assert fast["others"] == exact["others"], label
    fast, _ = compared["store.0007_slug_plain"]
    assert fast["built"]["renamed_back"]
    assert "store_brands_pkey" not in fast["relations"]
    assert "store_brand_pkey" in fast["relations"]
    fast, _ = compared["swap.0004_code"]
    assert "swap_old_pkey1" in fast["relations"]


def test_sql_built_past_runs_under_the_table_names_it_had_then(project: Path,
                                                                pg_server: ScratchServer) -> None:
    """The hand SQL's apps alone (in the whole project, catalog's AlterField of a unique,
    replayed before them, holds it back): the fast catalog is the exact one at every point,
    with the hand SQL built past twice renamed tables."""
    compared = run_driver("prestate_catalogs", project=str(project),
                          settings="renproj.hand_settings", scratch_url=pg_server.url, every=1)
    for label, (fast, exact) in compared.items():
        assert fast["relations"] == exact["relations"], label
        assert fast["others"] == exact["others"], label
    fast, _ = compared["extra.0006_size_null"]
    assert list(fast["built"]["built_past"]) == ["extra.0002_hand_index",
                                                 "extra.0005_lower_index"]
    assert fast["built"]["created_from_state"] == 5
    # The index PostgreSQL named while the table was extra_note keeps that name.
    assert {"extra_note_body_hand", "extra_note_upper_idx", "extra_memos_lower_idx",
            "extra_note_bodies"} <= set(fast["relations"])
    fast, _ = compared["taken.0005_code"]
    assert fast["built"]["held_back"]["taken.0002_hand_index"] == (
        'RunSQL (not built past: its SQL failed after the tables (relation "taken_card" '
        "already exists))")
    assert "taken_card_body_idx" in fast["relations"]


@pytest.mark.parametrize("table", ["shop_item", "t" * 60])
def test_names_are_made_as_postgresql_makes_them(pg_database: str, table: str) -> None:
    column = "c" * 40
    with psycopg.connect(pg_database) as connection:
        connection.execute(
            f'CREATE TABLE "{table}" ("id" bigint PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,'
            f' "{column}" integer UNIQUE CHECK ("{column}" >= 0))')
        names = {row[0] for row in connection.execute(
            "SELECT relname FROM pg_class WHERE relkind IN ('i', 'S') "
            "AND relnamespace = 'public'::regnamespace UNION ALL "
            "SELECT conname FROM pg_constraint WHERE contype = 'c' "
            "AND connamespace = 'public'::regnamespace")}
    assert names == {pg_name(table, None, "pkey"), pg_name(table, "id", "seq"),
                     pg_name(table, column, "key"), pg_name(table, column, "check")}
