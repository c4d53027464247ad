"""The CI recipe files parse and say what the README says they do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_the_github_action_is_a_composite_action_with_its_inputs() -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    assert {"args", "publish", "fail-on", "python-version"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    assert all("shell" in step for step in steps if "run" in step)
    scripts = " ".join(step.get("run", "") for step in steps)
    assert "${GITHUB_ACTION_PATH}[embedded,publish]" in scripts
    assert "--since" in scripts and "--publish" in scripts
    env = next(step["env"] for step in steps if "sqlreview --since" in step.get("run", ""))
    assert "github.base_ref" in env["SQLREVIEW_SINCE"]


def test_the_gitlab_template_runs_in_merge_request_pipelines_with_full_history() -> None:
    job = load("ci/gitlab/sqlreview.yml")["sqlreview"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = " ".join(job["script"])
    assert "--since" in script and "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" in script


def test_the_pre_commit_hooks_review_changed_migrations() -> None:
    hooks = {hook["id"]: hook for hook in load(".pre-commit-hooks.yaml")}
    assert set(hooks) == {"sqlreview", "sqlreview-system"}
    for hook in hooks.values():
        assert hook["entry"] == "sqlreview --since HEAD"
        assert hook["pass_filenames"] is False
        assert hook["files"] == "/migrations/"


def test_the_readme_workflows_parse() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```yaml\n")[1:]
    assert len(blocks) >= 6
    for block in blocks:
        text = block.split("```", 1)[0]
        assert yaml.safe_load(text) is not None, text
