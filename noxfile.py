"""Sessions: `nox` runs lint and the test suite on every supported Django.

    nox -s tests            the suite on the default Django (Python 3.11)
    nox -s matrix           the suite on Django 4.2 and 5.2 (Python 3.11), 6.x (Python 3.12)
    nox -s lint             ruff and mypy --strict
    nox -s e2e              a new user's first day: the built wheel in a fresh venv, the
                            pre-commit hook, the GitHub Action and the GitLab job on a
                            local git repository against local stand-ins of their APIs
    nox -s bench            the benchmark; its numbers are kept in BENCHMARKS.md
                            (-- --sizes 100,500 | --quick | --update | --prestate-only)
    nox -s calibrate        measure the shipped duration-estimate figures on this machine
                            (writes sqlreview/stats/default_calibration.json; run it on a
                            quiet machine, arguments after -- go to sqlreview calibrate)
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

nox.options.sessions = ["lint", "matrix", "e2e"]
nox.options.reuse_existing_virtualenvs = False

DEFAULT_PYTHON = "3.11"
# (Python, Django requirement): the oldest LTS, the current LTS, the newest release.
DJANGO_MATRIX = [
    ("3.11", "Django>=4.2,<5.0"),
    ("3.11", "Django>=5.2,<6.0"),
    ("3.12", "Django>=6.0,<7.0"),
]


def interpreter(version: str) -> str:
    """`pythonX.Y` from PATH, or from pyenv's versions when its shim is not active."""
    name = f"python{version}"
    found = shutil.which(name)
    if found and subprocess.run([found, "--version"], capture_output=True).returncode == 0:
        return found
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", name)))
    return candidates[-1] if candidates else version


def install_and_test(session: nox.Session, django: str | None = None) -> None:
    session.install("-e", ".[test]", *([django] if django else []))
    session.run("python", "-c", "import django; print('Django', django.get_version())")
    session.run("pytest", *session.posargs)


@nox.session(python=interpreter(DEFAULT_PYTHON))
def tests(session: nox.Session) -> None:
    """The whole suite on the newest Django that supports Python 3.11."""
    install_and_test(session)


@nox.session
@nox.parametrize(
    "python,django",
    [(interpreter(python), django) for python, django in DJANGO_MATRIX],
    ids=[django.split(">=")[1].split(",")[0] for _, django in DJANGO_MATRIX],
)
def matrix(session: nox.Session, django: str) -> None:
    """The whole suite on each supported Django."""
    install_and_test(session, django)


@nox.session(python=interpreter(DEFAULT_PYTHON))
def lint(session: nox.Session) -> None:
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "sqlreview", "tests", "noxfile.py", "benchmarks")
    session.run("mypy", "--strict", "sqlreview")
    # The CI recipes against the schemas GitHub and GitLab publish (vendored by check-jsonschema).
    session.install("check-jsonschema")
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml")
    session.run("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                "ci/gitlab/sqlreview.yml")


@nox.session(python=interpreter(DEFAULT_PYTHON))
def e2e(session: nox.Session) -> None:
    """The CI recipes as a new user meets them (tests/e2e): build the wheel, then install it
    offline from a wheelhouse of its dependencies (built once, kept in nox's cache)."""
    session.install("pytest>=8", "pyyaml>=6", "pre-commit")
    wheelhouse = os.path.abspath(os.path.join(session.cache_dir, "e2e-wheelhouse"))
    dist = os.path.abspath(session.create_tmp())
    for old in glob.glob(os.path.join(dist, "sqlreview-*.whl")):
        os.remove(old)
    session.run("python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, ".")
    session.run("python", "-m", "pip", "wheel", "-q", "-w", wheelhouse, "--find-links",
                wheelhouse, ".[embedded,publish]", "setuptools>=77", "wheel")
    for built in glob.glob(os.path.join(wheelhouse, "sqlreview-*.whl")):
        os.remove(built)  # the wheelhouse holds the dependencies; the wheel is in dist
    session.run("pytest", "--noconftest", "-p", "no:cacheprovider", "tests/e2e",
                *session.posargs, env={"SQLREVIEW_E2E_WHEELHOUSE": wheelhouse,
                                       "SQLREVIEW_E2E_DIST": dist})


@nox.session(python=interpreter(DEFAULT_PYTHON))
def bench(session: nox.Session) -> None:
    """Time sqlreview on synthetic projects and the analyzer; compare with BENCHMARKS.md.

    Arguments after `--` go to benchmarks/bench.py: `--sizes 100,500`, `--quick` (a smoke
    run), `--update` (rewrite the results in BENCHMARKS.md), `--prestate-only` or
    `--no-prestate` (the pre-state sources on the real-shaped project and the sample),
    `--prestate-sizes 1400`.
    """
    session.install("-e", ".[test]")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session(python=interpreter(DEFAULT_PYTHON))
def calibrate(session: nox.Session) -> None:
    """The shipped calibration: `sqlreview calibrate` on the embedded PostgreSQL, each statement
    timed at least three times; the file records the machine. The tables keep the command's
    default size: B-tree builds get slower per row as the sort outgrows the CPU caches, and the
    default size is the one the acceptance test (tests/stats/test_estimates.py) checks."""
    session.install("-e", ".[embedded]")
    session.run("python", "-m", "sqlreview", "calibrate", "--repeat", "3",
                "-o", "sqlreview/stats/default_calibration.json", *session.posargs)
