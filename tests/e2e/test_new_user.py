"""A new user's first day, end to end (``nox -s e2e``): the built wheel in a fresh venv, a
git repository with the sample project and a branch that adds a risky migration, then
the three CI recipes as their platforms run them:

(a) pre-commit: ``pre-commit run --all-files`` and a commit, with the hook from a
    repository at a release tag;
(b) the GitHub Action (action.yml's steps, as a runner runs them) on a pull request, and
    on a pull request from a fork whose token may not comment (403);
(c) the GitLab template's job on a merge request, with a token and without one.

GitHub and GitLab are local stand-ins (tests/publish/fakehub.py). The session sets
SQLREVIEW_E2E_WHEELHOUSE (the dependencies' wheels) and SQLREVIEW_E2E_DIST (the wheel
just built); without them the module is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.runners import ActionRun, JobRun, run_composite_action, run_gitlab_job
from tests.publish.fakehub import FakeHub, serve

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = os.environ.get("SQLREVIEW_E2E_WHEELHOUSE")
DIST = os.environ.get("SQLREVIEW_E2E_DIST")
pytestmark = pytest.mark.skipif(not (WHEELHOUSE and DIST), reason="run by nox -s e2e")

MARKER = "<!-- sqlreview -->"
SETTINGS = "--settings sampleproject.settings"
RISKY = "library.0026_book_pages_idx"
RISKY_FILE = "library/migrations/0026_book_pages_idx.py"
RISKY_MIGRATION = '''from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("library", "0025_book_subtitle")]

    operations = [
        migrations.AddIndex(
            model_name="book",
            index=models.Index(fields=["pages"], name="library_book_pages_idx"),
        ),
    ]
'''
REPO, PR, FORK_PR = "acme/shop", 7, 8
PROJECT, PROJECT_KEY, MR = "group/shop", "group%2Fshop", 3


# --- the world ---------------------------------------------------------------------------


def git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True,
                          text=True, env=clean_env()).stdout


def clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without any CI's, sqlreview's or a virtualenv's."""
    drop = ("GITHUB_", "CI_", "GITLAB_", "SQLREVIEW_", "VIRTUAL_ENV", "PIP_", "PYTHON",
            "PRE_COMMIT")
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)
           and key != "CI"}
    env.update(GIT_AUTHOR_NAME="New User", GIT_AUTHOR_EMAIL="new@user.example",
               GIT_COMMITTER_NAME="New User", GIT_COMMITTER_EMAIL="new@user.example",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return {**env, **extra}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scratch directory: pytest's, under a 0700 directory (as ~/.cache/pre-commit is
    for root): the embedded server has to start from there too."""
    return tmp_path_factory.mktemp("new-user")


@pytest.fixture(scope="module")
def venv(world: Path) -> Path:
    """A fresh venv with the wheel (no index: the wheelhouse only); its bin directory."""
    wheels = sorted(Path(str(DIST)).glob("sqlreview-*.whl"))
    assert len(wheels) == 1, wheels
    subprocess.run([sys.executable, "-m", "venv", str(world / "venv")], check=True)
    bin_dir = world / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--no-index",
                    "--find-links", str(WHEELHOUSE), f"{wheels[0]}[embedded,publish]"],
                   check=True, env=clean_env())
    return bin_dir


def job_env(venv: Path, world: Path, **extra: str) -> dict[str, str]:
    """A CI job's environment: the venv's Python first on PATH, pip offline (the wheelhouse)."""
    return clean_env(PATH=f"{venv}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(venv.parent),
                     PIP_NO_INDEX="1", PIP_FIND_LINKS=f"{WHEELHOUSE} {DIST}",
                     PIP_DISABLE_PIP_VERSION_CHECK="1", SQLREVIEW_PUBLISH_BACKOFF="0",
                     PRE_COMMIT_HOME=str(world / "pre-commit-home"), **extra)


@pytest.fixture(scope="module")
def origin(world: Path) -> Path:
    """A bare repository: main has the sample project, feature adds a risky migration."""
    seed = world / "seed"
    shutil.copytree(ROOT / "sample_migrations", seed,
                    ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "ruff.toml"))
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "The shop")
    git(seed, "switch", "-q", "-c", "feature")
    (seed / RISKY_FILE).write_text(RISKY_MIGRATION, encoding="utf-8")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "Index the books by pages")
    bare = world / "origin.git"
    git(world, "clone", "-q", "--bare", str(seed), str(bare))
    return bare


def checkout(origin: Path, where: Path, branch: str) -> Path:
    """``actions/checkout`` with fetch-depth 0, GitLab with GIT_DEPTH 0."""
    git(origin.parent, "clone", "-q", "--branch", branch, str(origin), str(where))
    return where


@pytest.fixture(scope="module")
def action_checkout(world: Path) -> Path:
    """This repository as a runner checks the action out (and pre-commit clones it), at a tag."""
    target = world / "sqlreview-action"
    files = git(ROOT, "ls-files", "-z").split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "sqlreview")
    git(target, "tag", "v0.1.0")
    return target


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    for server in serve():
        for number in (PR, FORK_PR):
            server.add_github_comment(REPO, number, "Looks good to me.")
        server.add_gitlab_note(PROJECT_KEY, MR, "Please review.")
        yield server


def ours(comments: list[dict[str, object]]) -> list[str]:
    return [str(c["body"]) for c in comments if str(c["body"]).startswith(MARKER)]


# --- (a) pre-commit ----------------------------------------------------------------------


def pre_commit(repo: Path, env: dict[str, str], *arguments: str
               ) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("pre-commit")
    assert tool, "the e2e session installs pre-commit"
    return subprocess.run([tool, *arguments], cwd=repo, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)


def use_hook(repo: Path, action_checkout: Path, hook: str) -> None:
    """The README's .pre-commit-config.yaml, with the hooks' repository at its tag."""
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {action_checkout}\n"
        "    rev: v0.1.0\n"
        "    hooks:\n"
        f"      - id: {hook}\n"
        f"        args: [{', '.join(SETTINGS.split())}]\n", encoding="utf-8")
    git(repo, "add", ".pre-commit-config.yaml")


def test_pre_commit_reviews_all_files_then_what_a_commit_touches(
        world: Path, venv: Path, origin: Path, action_checkout: Path) -> None:
    repo = checkout(origin, world / "pre-commit-repo", "main")
    use_hook(repo, action_checkout, "sqlreview")
    env = job_env(venv, world)

    everything = pre_commit(repo, env, "run", "--all-files")
    assert everything.returncode == 1, everything.stdout
    assert "library.0011_alter_book_copies_sold" in everything.stdout  # critical, on main
    assert "library.0002_book_pages" in everything.stdout

    installed = pre_commit(repo, env, "install")
    assert installed.returncode == 0, installed.stdout
    (repo / RISKY_FILE).write_text(RISKY_MIGRATION, encoding="utf-8")
    git(repo, "add", RISKY_FILE)
    refused = subprocess.run(["git", "commit", "-m", "Index the books by pages"], cwd=repo,
                             env=env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=600)
    assert refused.returncode == 1, refused.stdout
    assert RISKY in refused.stdout and "SR107" in refused.stdout
    assert "0011_alter_book_copies_sold" not in refused.stdout  # only what the commit touches

    git(repo, "reset", "-q", RISKY_FILE)
    (repo / "README.md").write_text("The shop.\n", encoding="utf-8")
    git(repo, "add", "README.md")
    unrelated = subprocess.run(["git", "commit", "-m", "Docs"], cwd=repo, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    assert unrelated.returncode == 0, unrelated.stdout
    assert "(no files to check)Skipped" in unrelated.stdout.replace(".", "")


def test_the_isolated_hook_installs_its_own_environment_and_reviews(
        world: Path, venv: Path, origin: Path, action_checkout: Path) -> None:
    """pre-commit builds the hook's virtualenv itself (pip offline: the wheelhouse) in
    0700 directories, which as root the embedded server must cope with."""
    repo = checkout(origin, world / "pre-commit-isolated", "feature")
    use_hook(repo, action_checkout, "sqlreview-isolated")
    bare_path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                                if Path(p) != venv)
    env = {**job_env(venv, world), "PATH": bare_path}  # not the project's venv
    run = pre_commit(repo, env, "run", "--files", RISKY_FILE, "library/migrations/__init__.py")
    assert run.returncode == 1, run.stdout
    assert RISKY in run.stdout and "SR107" in run.stdout
    assert "0025_book_subtitle" not in run.stdout.replace("dependencies", "")


# --- (b) the GitHub Action ---------------------------------------------------------------


def pull_request_event(number: int, *, fork: bool) -> dict[str, object]:
    return {"action": "synchronize", "number": number,
            "pull_request": {"number": number, "base": {"ref": "main"},
                             "head": {"ref": "feature", "repo": {"fork": fork}}},
            "repository": {"full_name": REPO, "default_branch": "main"}}


def run_action(world: Path, venv: Path, origin: Path, action_checkout: Path, hub: FakeHub,
               number: int, *, fork: bool) -> ActionRun:
    name = f"gh-{number}"
    workspace = checkout(origin, world / name / "workspace", "feature")
    runner_temp = world / name / "runner-temp"
    runner_temp.mkdir()
    github = {"token": hub.token, "repository": REPO, "event_name": "pull_request",
              "base_ref": "main", "head_ref": "feature", "api_url": hub.url,
              "ref": f"refs/pull/{number}/merge", "sha": git(workspace, "rev-parse", "HEAD"),
              "action_repository": "sqlreview/sqlreview", "action_ref": "v0.1.0"}
    return run_composite_action(
        action_checkout, workspace=workspace, runner_temp=runner_temp, github=github,
        event=pull_request_event(number, fork=fork), env=job_env(venv, world),
        inputs={"args": SETTINGS, "publish": "github"})


def test_the_action_comments_summarises_and_fails_a_risky_pull_request(
        world: Path, venv: Path, origin: Path, action_checkout: Path, hub: FakeHub) -> None:
    run = run_action(world, venv, origin, action_checkout, hub, PR, fork=False)
    assert run.code == 1, run.log
    assert run.skipped == ["actions/cache@v4"], run.log  # no setup-python: the job's Python
    assert run.outputs["risk"] == "high" and run.outputs["exit-code"] == "1"
    report = Path(run.outputs["report-path"]).read_text(encoding="utf-8")
    assert RISKY in report and "SR107" in report
    assert run.summary == report
    [comment] = ours(hub.github[(REPO, PR)])
    assert RISKY in comment and "SR107" in comment
    assert "::warning" not in run.log


def test_the_action_on_a_fork_warns_keeps_the_summary_and_the_exit_code(
        world: Path, venv: Path, origin: Path, action_checkout: Path, hub: FakeHub) -> None:
    hub.read_only = True  # a fork's GITHUB_TOKEN: 403 on every write
    try:
        run = run_action(world, venv, origin, action_checkout, hub, FORK_PR, fork=True)
    finally:
        hub.read_only = False
    assert run.code == 1, run.log
    assert run.outputs["risk"] == "high" and run.outputs["exit-code"] == "1"
    assert "::warning title=sqlreview::the review could not be posted" in run.log
    assert "403" in run.log
    assert RISKY in run.summary and "SR107" in run.summary
    assert ours(hub.github[(REPO, FORK_PR)]) == []


# --- (c) the GitLab template -------------------------------------------------------------


def run_merge_request_job(world: Path, venv: Path, origin: Path, hub: FakeHub, name: str,
                          **secrets: str) -> tuple[JobRun, Path]:
    project_dir = checkout(origin, world / name, "feature")
    wheel = next(Path(str(DIST)).glob("sqlreview-*.whl"))
    predefined = {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_PROJECT_DIR": str(project_dir),
                  "CI_API_V4_URL": f"{hub.url}/api/v4", "CI_PROJECT_ID": PROJECT,
                  "CI_MERGE_REQUEST_IID": str(MR), "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                  "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example/group/shop"}
    run = run_gitlab_job(ROOT / "ci" / "gitlab" / "sqlreview.yml", "sqlreview",
                         predefined=predefined, project_dir=project_dir,
                         overrides={"SQLREVIEW_ARGS": SETTINGS,
                                    "SQLREVIEW_PACKAGE": f"{wheel}[embedded,publish]"},
                         env=job_env(venv, world, **secrets))
    assert run is not None
    return run, project_dir


def test_the_gitlab_job_notes_the_merge_request_and_hands_over_code_quality(
        world: Path, venv: Path, origin: Path, hub: FakeHub) -> None:
    run, project_dir = run_merge_request_job(world, venv, origin, hub, "gl-token",
                                             SQLREVIEW_GITLAB_TOKEN=hub.token)
    assert run.code == 1, run.log
    assert RISKY in run.log and "SR107" in run.log
    [note] = ours(hub.gitlab[(PROJECT_KEY, MR)])
    assert RISKY in note
    issues = json.loads((project_dir / "gl-code-quality-report.json").read_text("utf-8"))
    assert {(i["check_name"], i["location"]["path"]) for i in issues} >= {("SR107", RISKY_FILE)}
    assert (project_dir / ".cache" / "sqlreview").is_dir()  # the cached pre-states


def test_the_gitlab_job_without_a_token_warns_and_keeps_the_exit_code(
        world: Path, venv: Path, origin: Path, hub: FakeHub) -> None:
    before = len(hub.writes())
    run, project_dir = run_merge_request_job(world, venv, origin, hub, "gl-no-token")
    assert run.code == 1, run.log
    assert "WARNING: no SQLREVIEW_GITLAB_TOKEN" in run.log
    assert RISKY in run.log
    assert len(hub.writes()) == before
    assert (project_dir / "gl-code-quality-report.json").exists()


def test_the_gitlab_job_stays_out_of_branch_pipelines(world: Path, hub: FakeHub) -> None:
    run = run_gitlab_job(ROOT / "ci" / "gitlab" / "sqlreview.yml", "sqlreview",
                         predefined={"CI_PIPELINE_SOURCE": "push"}, overrides={},
                         env=clean_env(), project_dir=world)
    assert run is None
