"""The deploy-phase driver (tests/deploy/driver.py) run in a subprocess, and the SR4xx
examples its tests, the rule tests and the documentation check share."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.support.cli import ROOT

Result = dict[str, Any]


SETS = [
    [f"shop.{name}" for name in names]
    for names in (
        ["0022_forget_customer_legacy_flag", "0023_drop_customer_legacy_flag"],
        ["0026_forget_legacy", "0027_drop_legacy_table", "0028_count_customers"],
        ["0034_parcel", "0035_parcel_carrier"],
        ["0004_customer_phone", "0005_customer_unique_code", "0006_customer_name_index"],
    )
]


def run_driver(**arguments: Any) -> Result:
    """The driver's result, with "alone" keyed by migration name (one app: shop)."""
    process = subprocess.run(
        [sys.executable, "-m", "tests.deploy.driver", json.dumps(arguments)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert process.returncode == 0, process.stderr
    result: Result = json.loads(process.stdout.splitlines()[-1])
    if arguments.get("project") != "sample":
        result["alone"] = {
            label.removeprefix("shop."): phase for label, phase in result["alone"].items()
        }
    return result


def codes(migration: Result) -> list[str]:
    found = [f["code"] for op in migration["operations"] for f in op["findings"]]
    return found + [f["code"] for f in migration["findings"]]


# Every SR4xx rule: a migration that breaks it, and the recipe's safe variant.
RULE_EXAMPLES = {
    "SR401": ("0002_customer_level", "0003_customer_tier"),
    "SR402": ("0005_customer_unique_code", "0036_customer_external_id"),
    "SR403": ("0007_remove_customer_nickname", "0022_forget_customer_legacy_flag"),
    "SR404": ("0008_remove_order_status", "0025_forget_customer_region"),
    "SR405": ("0009_delete_coupon", "0026_forget_legacy"),
    "SR406": ("0010_rename_customer_notes", "0037_rename_customer_phone_in_models"),
    "SR407": ("0015_customer_email_required", "0038_customer_score_required"),
    "SR408": ("0016_customer_name_shorter", "0019_customer_city_longer"),
    "SR409": ("0017_customer_rank_integer", "0019_customer_city_longer"),
    "SR410": ("0024_forget_customer_signup_source", "0025_forget_customer_region"),
    "SR411": ("0028_count_customers", "0029_fill_customer_city"),
    "SR412": ("0029_fill_customer_city", "0028_count_customers"),
    "SR413": ("0031_blank_cities_sql", "0023_drop_customer_legacy_flag"),
    "SR415": ("0033_customer_swap_columns", "0004_customer_phone"),
}


# Every code with a bad and a good example (SR414: under rollout-then-migrate).
DEPLOY_EXAMPLES = frozenset(RULE_EXAMPLES) | {"SR414"}


