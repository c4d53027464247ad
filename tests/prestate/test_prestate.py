"""The pre-state on a project shaped like real ones: tables only where Django makes them,
a hand index built past, one app's failing RunSQL holding back only that app, mirrors,
the cache, and deploy phases judged from the state before the whole review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.prestate.project import write_prestate_project
from tests.support.cli import run_sqlreview
from tests.support.reviews import review, verdicts

SETTINGS = "preproj.settings"
TWO_APPS = ("alpha:0003", "beta:0002")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_prestate_project(tmp_path_factory.mktemp("preproj"))


def run(project: Path, pg_server: ScratchServer, *args: str) -> dict[str, Any]:
    return review(project, SETTINGS, *args, "--scratch-url", pg_server.url)


def phases(document: dict[str, Any]) -> dict[str, str]:
    return {f"{m['app']}.{m['name']}": m["phase"] for m in document["migrations"]}


def test_proxy_unmanaged_and_swapped_models_get_no_table_on_the_fast_path(
    project: Path, pg_server: ScratchServer,
) -> None:
    """account.UserToken proxies users.Token and account.Legacy is unmanaged on the same
    table; auth.User is swapped out: creating any of them failed or made a table
    ``migrate`` never makes."""
    fast = run(project, pg_server, *TWO_APPS, "--no-cache")
    exact = run(project, pg_server, *TWO_APPS, "--no-cache", "--pre-state", "replay")
    assert [m["name"] for m in fast["migrations"]] == ["0003_widget_note", "0002_gadget_weight"]
    assert fast["pre_state"]["created_from_state"] > 0
    assert verdicts(fast) == verdicts(exact)


def test_one_apps_runsql_holds_back_that_app_only(project: Path,
                                                  pg_server: ScratchServer) -> None:
    built = run(project, pg_server, *TWO_APPS, "--no-cache")["pre_state"]
    assert set(built["held_back"]) == {"gamma.0001_initial"}
    # alpha's hand index runs after the tables
    assert built["built_past"] == {
        "alpha.0002_hand_index": "RunSQL: CREATE INDEX, run after the tables"}
    # auth, users, account, alpha, beta and delta (its RunSQL only changes rows) were
    # created from the state
    assert built["replayed"] == 1
    assert built["created_from_state"] == built["migrations"] - 1


def test_an_alias_that_mirrors_the_database_needs_no_flag(project: Path,
                                                         pg_server: ScratchServer) -> None:
    """alpha.0002's RunPython counts rows through ``replica`` (TEST MIRROR = default)."""
    document = run(project, pg_server, *TWO_APPS, "--no-cache")
    assert not [w for w in document["warnings"] if "alpha.0002" in w], document["warnings"]


def test_a_warm_run_reports_what_the_cold_one_did(project: Path, pg_server: ScratchServer,
                                                  tmp_path: Path) -> None:
    cache = ("--cache-dir", str(tmp_path / "cache"))
    cold = run(project, pg_server, *TWO_APPS, *cache)
    warm = run(project, pg_server, *TWO_APPS, *cache)
    assert (cold["pre_state"]["cache"], warm["pre_state"]["cache"]) == ("stored", "hit")
    assert any("gamma.0001_initial" in warning for warning in cold["warnings"])
    assert warm["warnings"] == cold["warnings"]
    assert {**warm["pre_state"], "cache": ""} == {**cold["pre_state"], "cache": ""}
    assert verdicts(warm) == verdicts(cold)


def test_each_migration_of_a_two_app_review_gets_the_phase_it_gets_alone(
    project: Path, pg_server: ScratchServer,
) -> None:
    """alpha.0003 comes before beta.0001 in ``migrate`` order: the old code is the state
    before the whole review, which has beta's table, not the parent of alpha.0003."""
    together = phases(run(project, pg_server, *TWO_APPS))
    alone = {**phases(run(project, pg_server, "alpha:0003")),
             **phases(run(project, pg_server, "beta:0002"))}
    assert together == alone
    assert together["beta.0002_gadget_weight"] == "split"


def test_the_table_and_the_deploy_order_give_one_answer(project: Path,
                                                        pg_server: ScratchServer) -> None:
    """beta.0003 could run before the rollout, but it depends on beta.0002, which must
    be split first: the table says split, and says it was moved."""
    document = run(project, pg_server, "beta:0002", "beta:0003")
    plan = document["deploy_plan"]
    colour = document["migrations"][1]
    assert plan["split"] == ["beta.0002_gadget_weight", "beta.0003_gadget_colour"]
    assert colour["phase"] == "split"
    assert "depends on beta.0002_gadget_weight" in colour["phase_moved"]
    assert colour["deploy"]["phase"] == "before-deploy"  # its own verdict is kept
    text = run_sqlreview("beta:0002", "beta:0003", "--settings", SETTINGS, "--pythonpath",
                         str(project), "--scratch-url", pg_server.url, "--fail-on", "never")
    assert "split (moved)" in text.stdout
    order = run_sqlreview("beta:0002", "beta:0003", "--deploy-order", "--settings", SETTINGS,
                          "--pythonpath", str(project), "--scratch-url", pg_server.url)
    split_part = order.stdout.split("Must be split")[1]
    assert "beta.0003_gadget_colour" in split_part
