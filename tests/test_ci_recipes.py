"""The CI recipe files parse and say what the README and docs/ci.md say they do."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_the_github_action_runs_in_the_jobs_python() -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"args", "publish", "fail-on", "working-directory", "python-version",
            "version"} <= set(action["inputs"])
    assert set(action["outputs"]) == {"risk", "exit-code", "report-path"}
    steps = action["runs"]["steps"]
    assert all("shell" in step for step in steps if "run" in step)
    setup = [step for step in steps if str(step.get("uses", "")).startswith("actions/setup-python")]
    assert [step.get("if") for step in setup] == ["inputs.python-version != ''"]
    scripts = " ".join(step.get("run", "") for step in steps)
    assert "${GITHUB_ACTION_PATH}[embedded,publish]" in scripts
    review = next(step for step in steps if step.get("id") == "review")
    assert "python -m sqlreview.cli.ci_job" in review["run"]
    assert "github.base_ref" in review["env"]["SQLREVIEW_SINCE"]
    assert review["working-directory"] == "${{ inputs.working-directory }}"


def test_the_github_action_caches_the_pre_states_by_migration_files() -> None:
    steps = load("action.yml")["runs"]["steps"]
    cache = next(step for step in steps if str(step.get("uses", "")).startswith("actions/cache"))
    assert "hashFiles('**/migrations/*.py')" in cache["with"]["key"]
    review = next(step for step in steps if step.get("id") == "review")
    assert review["env"]["SQLREVIEW_CACHE_DIR"] == cache["with"]["path"]


def test_the_gitlab_template_runs_in_merge_request_pipelines_with_full_history() -> None:
    job = load("ci/gitlab/sqlreview.yml")["sqlreview"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = " ".join(job["script"])
    assert "--since" in script and "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" in script


def test_the_gitlab_template_installs_a_tag_and_hands_code_quality_over() -> None:
    job = load("ci/gitlab/sqlreview.yml")["sqlreview"]
    assert re.search(r"@ git\+https://github\.com/\S+@v\d+\.\d+\.\d+$",
                     job["variables"]["SQLREVIEW_PACKAGE"])
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert '--codequality "$CI_PROJECT_DIR/gl-code-quality-report.json"' in " ".join(job["script"])
    assert job["cache"]["key"]["files"] == ["**/migrations/*.py"]
    assert job["variables"]["SQLREVIEW_CACHE_DIR"].endswith(job["cache"]["paths"][0])


def test_the_pre_commit_hooks_review_the_files_they_are_given() -> None:
    hooks = {hook["id"]: hook for hook in load(".pre-commit-hooks.yaml")}
    assert set(hooks) == {"sqlreview", "sqlreview-isolated"}
    assert hooks["sqlreview"]["language"] == "system"
    for hook in hooks.values():
        assert hook["entry"] == "sqlreview-precommit"
        assert hook.get("pass_filenames", True) is True
        assert re.search(hook["files"], "shop/migrations/0002_order_note.py")
        assert not re.search(hook["files"], "shop/models.py")


@pytest.mark.parametrize("schema,name", [("vendor.github-actions", "action.yml"),
                                         ("vendor.gitlab-ci", "ci/gitlab/sqlreview.yml")])
def test_the_recipes_validate_against_the_platforms_schemas(schema: str, name: str) -> None:
    beside = Path(sys.executable).parent / "check-jsonschema"
    checker = str(beside) if beside.exists() else shutil.which("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed (nox -s lint installs it)")
    result = subprocess.run([checker, "--builtin-schema", schema, str(ROOT / name)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def yaml_blocks(name: str) -> list[str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return [block.split("```", 1)[0] for block in text.split("```yaml\n")[1:]]


@pytest.mark.parametrize("name,least", [("README.md", 3), ("docs/ci.md", 6)])
def test_the_documented_workflows_parse(name: str, least: int) -> None:
    """The README has the three recipes in short form; docs/ci.md has them all."""
    blocks = yaml_blocks(name)
    assert len(blocks) >= least
    for text in blocks:
        assert yaml.safe_load(text) is not None, text


def test_the_readme_recipes_are_the_ci_pages_own() -> None:
    documented = set(yaml_blocks("docs/ci.md"))
    assert all(block in documented for block in yaml_blocks("README.md"))
