"""Golden files: each case of ``cases.py`` rendered, compared byte for byte.

When a change to a reporter is meant, regenerate them and read the diff:

    python -m tests.report.update_golden && git diff tests/report/golden
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from sqlreview.report import markdown
from tests.report.cases import CASES, GOLDEN, golden_path, render

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
PAIRS = [(case, output_format) for case, formats in GOLDEN.items() for output_format in formats]


@pytest.mark.parametrize(("case", "output_format"), PAIRS)
def test_output_matches_its_golden_file(case: str, output_format: str) -> None:
    path = golden_path(case, output_format)
    assert path.exists(), "run: python -m tests.report.update_golden"
    assert render(case, output_format) == path.read_text(encoding="utf-8"), (
        f"{path.name} differs: if the change is meant, run python -m tests.report.update_golden "
        "and review the diff")


@pytest.mark.parametrize("case", sorted(CASES))
def test_markdown_fits_one_github_comment(case: str) -> None:
    text = render(case, "markdown")
    assert markdown.measure(text) <= markdown.DEFAULT_LIMIT < markdown.COMMENT_LIMIT


def test_the_big_cases_have_2000_statements_and_say_what_was_left_out() -> None:
    for case in ("many_migrations", "risky_script"):
        review = CASES[case]()
        assert len(review.statements) >= 2_000
        assert "**Left out to keep this comment short**" in render(case, "markdown")
    assert "Left out" not in render("shop_migrations", "markdown")


@pytest.mark.parametrize("output_format", ["text", "markdown", "sarif", "codequality", "github",
                                           "json"])
def test_rendering_twice_gives_the_same_bytes(output_format: str) -> None:
    assert render("shop_migrations", output_format) == render("shop_migrations", output_format)


def test_output_does_not_depend_on_the_hash_seed() -> None:
    """Sets iterate in a different order under another PYTHONHASHSEED: nothing may show it."""
    script = ("import sys; from tests.report.cases import render; "
              "sys.stdout.write(''.join(render(c, f) for c, f in "
              "[('shop_migrations', 'text'), ('shop_migrations', 'markdown'), "
              "('shop_migrations', 'sarif'), ('shop_migrations', 'codequality'), "
              "('shop_migrations', 'github'), ('shop_migrations', 'json')]))")
    outputs = set()
    for seed in ("1", "2", "12345"):
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        completed = subprocess.run([sys.executable, "-c", script], capture_output=True,
                                   text=True, env=environment, cwd=ROOT, timeout=120,
                                   check=True)
        outputs.add(completed.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("case", ["one_statement", "shop_migrations", "risky_script"])
def test_sarif_is_valid_against_the_published_schema(case: str) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = json.loads(render(case, "sarif"))
    validator = jsonschema.Draft4Validator(schema)
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(document)]
    assert errors == []
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len({rule["id"] for rule in rules}) == len(rules)
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["help"]["text"] and "Instead:" in rule["help"]["text"]


def test_sarif_results_point_at_the_operation_line_with_stable_fingerprints() -> None:
    document = json.loads(render("shop_migrations", "sarif"))
    results = document["runs"][0]["results"]
    index_build = next(r for r in results if r["ruleId"] == "SR107")
    location = index_build["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "shop/migrations/0004_product_sku.py"
    assert location["region"]["startLine"] == 22  # the CreateIndex operation's line
    fingerprints = [r["partialFingerprints"]["sqlreview/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    moved = CASES["shop_migrations"]()
    for statement in moved.statements:
        statement.line += 7  # lines above the operations were edited
    from sqlreview.report import render_sarif
    again = json.loads(render_sarif(moved))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in again] == [r["partialFingerprints"]
                                                         for r in results]


def test_code_quality_issues_have_what_gitlab_requires() -> None:
    issues = json.loads(render("shop_migrations", "codequality"))
    assert issues
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["check_name"].startswith("SR")
        assert issue["location"]["path"].startswith("shop/migrations/")
        assert isinstance(issue["location"]["lines"]["begin"], int)
    by_code = {issue["check_name"]: issue["severity"] for issue in issues}
    assert by_code["SR103"] == "blocker" and by_code["SR201"] == "major"
