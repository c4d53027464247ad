"""Deploy phases of real migrations: one per pattern of issue 9, in tests/deploy/project.

The driver (a fresh process: Django is configured once per process) judges
every migration of the project as the only one of its deploy ("alone"), and
the sets of migrations named here as one deploy each.
"""

from __future__ import annotations

import pytest

from sqlreview.pg.rules import RULES_BY_CODE
from tests.support.deploy import DEPLOY_EXAMPLES, RULE_EXAMPLES, SETS, Result, codes, run_driver


@pytest.fixture(scope="module")
def default_model() -> Result:
    return run_driver(sets=SETS)


@pytest.fixture(scope="module")
def rollout_first() -> Result:
    return run_driver(model="rollout-then-migrate", sets=SETS)


# (migration, phase under migrate-then-rollout, the findings it must have)
PATTERNS = [
    ("0002_customer_level", "split", ["SR401"]),
    ("0005_customer_unique_code", "after-deploy", ["SR402"]),
    ("0032_customer_email_unique", "after-deploy", ["SR402"]),
    ("0007_remove_customer_nickname", "after-deploy", ["SR403"]),
    ("0008_remove_order_status", "split", ["SR404"]),
    ("0009_delete_coupon", "after-deploy", ["SR405"]),
    ("0010_rename_customer_notes", "split", ["SR406"]),
    ("0011_rename_widget", "split", ["SR406"]),
    ("0012_gadget_table", "split", ["SR406"]),
    ("0013_order_note_column", "split", ["SR406"]),
    ("0014_rename_order_total_sql", "split", ["SR406"]),
    ("0015_customer_email_required", "after-deploy", ["SR407"]),
    ("0016_customer_name_shorter", "after-deploy", ["SR408"]),
    ("0017_customer_rank_integer", "split", ["SR409"]),
    ("0024_forget_customer_signup_source", "split", ["SR410"]),
    ("0028_count_customers", "before-deploy", ["SR411", "SR411"]),
    ("0029_fill_customer_city", "before-deploy", ["SR412"]),
    ("0031_blank_cities_sql", "before-deploy", ["SR413"]),
    ("0033_customer_swap_columns", "split", ["SR403", "SR415"]),
    # A NOT NULL column added to a table the old code knows (alone in its deploy).
    ("0035_parcel_carrier", "split", ["SR401"]),
]

# Issue 9, item 4, and the safe halves of the recipes: never flagged.
SAFE = [
    "0001_initial",  # new models
    "0003_customer_tier",  # NOT NULL with db_default (nullable on Django 4.2)
    "0004_customer_phone",  # a nullable column
    "0006_customer_name_index",  # AddIndexConcurrently
    "0018_customer_score_nullable",  # NOT NULL -> NULL
    "0019_customer_city_longer",  # widening a varchar
    "0020_shipment",  # a new model with a NOT NULL FK
    "0021_customer_referrer",  # a new nullable FK
    "0022_forget_customer_legacy_flag",  # state-only removal of a nullable column
    "0023_drop_customer_legacy_flag",  # RunSQL drop of a column the state no longer has
    "0025_forget_customer_region",  # state-only removal, made nullable first
    "0026_forget_legacy",  # state-only DeleteModel
    "0027_drop_legacy_table",  # RunSQL DROP TABLE of a model the state no longer has
    "0030_noop_python",  # RunPython.noop both ways: not a data migration
    "0034_parcel",  # a new model
    "0036_customer_external_id",  # unique but nullable
    "0037_rename_customer_phone_in_models",  # rename in the models, db_column kept
    "0038_customer_score_required",  # NOT NULL where the old code has a Python default
]


@pytest.mark.parametrize(("name", "phase", "expected"), PATTERNS)
def test_each_pattern_gets_its_phase_and_findings(
    default_model: Result, name: str, phase: str, expected: list[str]
) -> None:
    migration = default_model["alone"][name]
    assert migration["phase"] == phase
    assert sorted(codes(migration)) == sorted(expected)


@pytest.mark.parametrize("name", SAFE)
def test_safe_patterns_are_not_flagged(default_model: Result, name: str) -> None:
    migration = default_model["alone"][name]
    assert migration["phase"] == "before-deploy"
    assert codes(migration) == []


def test_every_migration_of_the_project_is_covered(default_model: Result) -> None:
    covered = {name for name, _, _ in PATTERNS} | set(SAFE)
    assert set(default_model["alone"]) == covered


def test_findings_come_with_the_rules_recipe(default_model: Result) -> None:
    for migration in default_model["alone"].values():
        for operation in migration["operations"]:
            for finding in operation["findings"]:
                assert RULES_BY_CODE[finding["code"]].instead in operation["recipe"]
            if operation["phase"] != "before-deploy":
                assert operation["findings"], operation


def test_judge_migration_equals_the_per_operation_walk(default_model: Result) -> None:
    assert default_model["same_as_judge_migration"] is True


def test_the_models_later_drop_is_safe_in_a_later_release_only(default_model: Result) -> None:
    # Alone (release N+1), the drop is safe before the rollout; in the same
    # deploy as the state-only removal, the old code still has the field.
    together = default_model["sets"][0]
    assert [m["phase"] for m in together["phases"]] == ["before-deploy", "after-deploy"]
    assert codes(together["phases"][1]) == ["SR403"]
    assert together["plan"]["before_deploy"] == ["shop.0022_forget_customer_legacy_flag"]
    assert together["plan"]["after_deploy"] == ["shop.0023_drop_customer_legacy_flag"]
    assert together["plan"]["commands"]["after_deploy"] == [
        "python manage.py migrate shop 0023_drop_customer_legacy_flag"
    ]


def test_a_dependent_migration_waits_for_an_after_deploy_one(default_model: Result) -> None:
    together = default_model["sets"][1]
    assert [m["phase"] for m in together["phases"]] == [
        "before-deploy", "after-deploy", "before-deploy"
    ]
    assert codes(together["phases"][1]) == ["SR405"]
    plan = together["plan"]
    assert plan["before_deploy"] == ["shop.0026_forget_legacy"]
    assert plan["after_deploy"] == ["shop.0027_drop_legacy_table", "shop.0028_count_customers"]
    assert any("0028_count_customers" in note and "0027" in note for note in plan["notes"])


def test_tables_the_set_creates_are_new_to_the_old_code(default_model: Result) -> None:
    together = default_model["sets"][2]
    assert [m["phase"] for m in together["phases"]] == ["before-deploy", "before-deploy"]
    assert all(codes(m) == [] for m in together["phases"])


def test_plan_text_lists_the_steps(default_model: Result) -> None:
    text = default_model["sets"][3]["text"]
    assert text.index("shop.0004_customer_phone") < text.index("2. Roll out")
    assert text.index("2. Roll out") < text.index("shop.0005_customer_unique_code")
    # 0006 depends on the after-deploy 0005, so it waits too.
    assert text.index("shop.0005_customer_unique_code") < text.index("shop.0006_customer_name")
    assert "$ python manage.py migrate shop 0004_customer_phone" in text


ROLLOUT_FIRST = [
    # The new code runs before the migration: what it needs bites now.
    ("0004_customer_phone", "before-deploy", ["SR414"]),
    ("0018_customer_score_nullable", "before-deploy", ["SR414"]),
    ("0020_shipment", "before-deploy", ["SR414"]),
    ("0019_customer_city_longer", "before-deploy", ["SR414"]),
    # ... and what breaks the old code is the usual order.
    ("0007_remove_customer_nickname", "after-deploy", []),
    ("0005_customer_unique_code", "after-deploy", []),
    ("0022_forget_customer_legacy_flag", "after-deploy", []),
    ("0006_customer_name_index", "after-deploy", []),
    # No moment is safe in either order.
    ("0002_customer_level", "split", ["SR401"]),
    ("0010_rename_customer_notes", "split", ["SR406"]),
]


@pytest.mark.parametrize(("name", "phase", "expected"), ROLLOUT_FIRST)
def test_rollout_then_migrate_flips_which_incompatibility_bites(
    rollout_first: Result, name: str, phase: str, expected: list[str]
) -> None:
    migration = rollout_first["alone"][name]
    assert migration["phase"] == phase
    assert codes(migration) == expected


def test_rollout_then_migrate_plan(rollout_first: Result) -> None:
    plan = rollout_first["sets"][3]["plan"]
    assert plan["deploy_model"] == "rollout-then-migrate"
    assert plan["before_deploy"] == ["shop.0004_customer_phone"]
    assert plan["after_deploy"] == [
        "shop.0005_customer_unique_code", "shop.0006_customer_name_index"
    ]


@pytest.mark.parametrize("code", sorted(RULE_EXAMPLES))
def test_each_rule_has_a_bad_and_a_good_example(default_model: Result, code: str) -> None:
    bad, good = RULE_EXAMPLES[code]
    assert code in codes(default_model["alone"][bad])
    assert code not in codes(default_model["alone"][good])


def test_sr414_bad_and_good_under_rollout_then_migrate(rollout_first: Result) -> None:
    assert "SR414" in codes(rollout_first["alone"]["0004_customer_phone"])
    assert codes(rollout_first["alone"]["0007_remove_customer_nickname"]) == []


def test_every_deploy_rule_has_examples() -> None:
    assert {code for code in RULES_BY_CODE if code.startswith("SR4")} == DEPLOY_EXAMPLES


def test_what_cannot_be_judged_says_so_and_the_review_goes_on(default_model: Result) -> None:
    unreadable = default_model["errors"]["unreadable"]
    assert unreadable["phase"] == "before-deploy"
    assert "cannot read the SQL" in unreadable["notes"][0]
    broken = default_model["errors"]["broken"]
    assert [op["operation_index"] for op in broken["operations"]] == [0, 1]
    assert "the operation fails" in broken["operations"][1]["notes"][0]
