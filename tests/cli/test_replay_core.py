"""The replay core end to end: fast pre-state, the cache, failures as rows, timeouts.

Every run is the real CLI in a subprocess on a real project, replaying on the
session's PostgreSQL (``--scratch-url``) unless the test is about the embedded
server itself.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.catalogs import differences, fast_and_exact
from tests.support.cli import SAMPLE, run_sqlreview
from tests.support.projects import write_files
from tests.support.reviews import review, verdicts, write_synthetic

# -- fast pre-state == exact replay ------------------------------------------------------


@pytest.mark.parametrize("targets", [
    ("library:0005",), ("library:0011", "library:0012"), ("library:0016",),
    ("library:0021", "library:0022"), ("legacy",),
])
def test_fast_pre_state_gives_the_verdicts_of_exact_replay_on_the_sample(
    targets: tuple[str, ...], pg_server: ScratchServer,
) -> None:
    common = (*targets, "--scratch-url", pg_server.url, "--no-cache")
    fast = review(SAMPLE, "sampleproject.settings", *common, "--pre-state", "fast")
    exact = review(SAMPLE, "sampleproject.settings", *common, "--pre-state", "replay")
    assert fast["migrations"], "nothing was reviewed"
    assert verdicts(fast) == verdicts(exact)
    assert exact["pre_state"]["built"] in ("replay", "fast")  # "fast" when nothing precedes
    assert exact["pre_state"]["created_from_state"] == 0


def test_fast_pre_state_agrees_on_a_generated_project(tmp_path: Path,
                                                      pg_server: ScratchServer) -> None:
    names = write_synthetic(tmp_path, 80)
    targets = [f"{app}:{name}" for app, name in names[-4:]]
    common = (*targets, "--scratch-url", pg_server.url, "--no-cache")
    fast = review(tmp_path, "synthproject.settings", *common)
    exact = review(tmp_path, "synthproject.settings", *common, "--pre-state", "replay")
    assert len(fast["migrations"]) == 4
    assert verdicts(fast) == verdicts(exact)
    built = fast["pre_state"]
    assert built["created_from_state"] > 0, built
    assert built["created_from_state"] + built["replayed"] == built["migrations"]


def test_fast_pre_state_stops_where_names_would_differ(pg_server: ScratchServer) -> None:
    """library.0014 renames a column: exact replay takes over before it."""
    document = review(SAMPLE, "sampleproject.settings", "library:0016", "--scratch-url",
                      pg_server.url, "--no-cache")
    built = document["pre_state"]
    assert built["built"] in ("mixed", "replay")
    assert "library.00" in built["replayed_from"]


# -- the cache ------------------------------------------------------------------------------


def test_cache_hits_invalidates_and_never_trusts_a_damaged_entry(
    tmp_path: Path, pg_server: ScratchServer,
) -> None:
    project, cache = tmp_path / "project", tmp_path / "cache"
    names = write_synthetic(project, 40)
    targets = [f"{app}:{name}" for app, name in names[-2:]]
    run = (*targets, "--scratch-url", pg_server.url, "--cache-dir", str(cache))

    cold = review(project, "synthproject.settings", *run)
    assert cold["pre_state"]["cache"] == "stored"
    warm = review(project, "synthproject.settings", *run)
    assert warm["pre_state"]["cache"] == "hit"
    assert verdicts(warm) == verdicts(cold)

    (archive,) = cache.glob("*.dump")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])  # truncated
    damaged = review(project, "synthproject.settings", *run)
    assert damaged["pre_state"]["cache"] == "stored"
    assert verdicts(damaged) == verdicts(cold)

    for record in cache.glob("*.json"):
        record.unlink()  # a run killed after writing the archive, before its record
    half = review(project, "synthproject.settings", *run)
    assert half["pre_state"]["cache"] == "stored"

    app = names[-1][0]  # the first migration of the target's app is in every walk to it
    earlier = project / app / "migrations" / "0001_initial.py"
    earlier.write_text(earlier.read_text() + "\n# edited\n")
    edited = review(project, "synthproject.settings", *run)
    assert edited["pre_state"]["cache"] == "stored"  # a new key: the edit invalidated it
    assert len(list(cache.glob("*.dump"))) == 2

    uncached = review(project, "synthproject.settings", *targets, "--scratch-url",
                      pg_server.url, "--no-cache")
    assert "cache" not in uncached["pre_state"]
    assert verdicts(uncached) == verdicts(cold)


# -- one broken migration never sinks the review -----------------------------------------

STATE_SETTINGS = """
SECRET_KEY = "test"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["shaky"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""

SHAKY = {
    "0001_initial.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            operations = [migrations.CreateModel("Thing", [
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
            ])]
    """,
    "0002_remove_missing.py": """
        from django.db import migrations

        class Migration(migrations.Migration):
            dependencies = [("shaky", "0001_initial")]
            operations = [migrations.RemoveField("thing", "no_such_field")]
    """,
    "0003_python_fails.py": """
        from django.db import migrations

        def explode(apps, schema_editor):
            apps.get_model("shaky", "Thing").objects.get(pk=1)

        class Migration(migrations.Migration):
            dependencies = [("shaky", "0002_remove_missing")]
            operations = [migrations.RunPython(explode, migrations.RunPython.noop)]
    """,
    "0004_import_fails.py": """
        from django.db import migrations
        1 / 0

        class Migration(migrations.Migration):
            dependencies = [("shaky", "0003_python_fails")]
    """,
    "0005_after.py": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("shaky", "0004_import_fails")]
            operations = [migrations.AddField("thing", "size", models.IntegerField(null=True))]
    """,
}


@pytest.fixture
def shaky_project(tmp_path: Path) -> Path:
    return write_files(tmp_path, {
        "shakyproj/__init__.py": "", "shakyproj/settings.py": STATE_SETTINGS,
        "shaky/__init__.py": "", "shaky/migrations/__init__.py": "",
        **{f"shaky/migrations/{name}": text for name, text in SHAKY.items()},
    })


@pytest.mark.parametrize("output_format", ["json", "text", "markdown", "github"])
def test_each_failure_is_a_row_and_the_rest_is_reviewed(
    shaky_project: Path, pg_server: ScratchServer, output_format: str,
) -> None:
    result = run_sqlreview("--all", "--settings", "shakyproj.settings", "--pythonpath",
                           str(shaky_project), "--scratch-url", pg_server.url,
                           "--format", output_format, "--fail-on", "never")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if output_format != "json":
        assert "0005_after" in result.stdout or output_format == "github"
        return
    document = json.loads(result.stdout)
    rows = {m["name"]: m for m in document["migrations"]}
    assert set(rows) == {name[:-3] for name in SHAKY}
    assert rows["0001_initial"]["error"] is None
    assert "KeyError" in rows["0002_remove_missing"]["error"]
    assert "DoesNotExist" in rows["0003_python_fails"]["error"]
    assert "ZeroDivisionError" in rows["0004_import_fails"]["error"]
    assert "0004_import_fails.py" in rows["0004_import_fails"]["error"]
    for name in ("0002_remove_missing", "0003_python_fails", "0004_import_fails"):
        codes = [f["code"] for s in rows[name]["statements"] for f in s["findings"]]
        assert "SR002" in codes, name
    after = rows["0005_after"]
    assert after["error"] is None
    assert 'ADD COLUMN "size" integer NULL' in after["sql"]


# -- no hang on a database that never answers ------------------------------------------------

SILENT_SETTINGS = """
SECRET_KEY = "test"
INSTALLED_APPS = ["shaky"]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": "x",
                          "HOST": "127.0.0.1", "PORT": "{port}"}}}}
"""


def test_a_database_that_accepts_and_never_answers_times_out(shaky_project: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # and never answer
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    (shaky_project / "shakyproj" / "silent.py").write_text(SILENT_SETTINGS.format(port=port))
    try:
        started = time.monotonic()
        result = run_sqlreview("--settings", "shakyproj.silent", "--pythonpath", str(shaky_project),
                               "--connect-timeout", "2")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
    assert result.returncode == 2, result.stderr
    assert "cannot read which migrations are applied" in result.stderr
    assert elapsed < 60


# -- the fast path builds the catalog exact replay builds ---------------------------------


@pytest.mark.parametrize("project_name", ["sample", "generated", "real-shaped"])
def test_fast_pre_state_builds_the_catalog_exact_replay_builds(
    project_name: str, tmp_path: Path, pg_server: ScratchServer,
) -> None:
    """Names included: every index and constraint, at many points of the history; and
    the functions, triggers, comments and views the real-shaped history's hand SQL makes
    (the fast path builds past most of it)."""
    if project_name == "sample":
        project, settings, every = SAMPLE, "sampleproject.settings", 3
    elif project_name == "generated":
        project, settings, every = tmp_path, "synthproject.settings", 50
        write_synthetic(tmp_path, 200)
    else:
        project, settings, every = tmp_path, "synthproject.settings", 100
        write_synthetic(tmp_path, 300, "real")
    compared = fast_and_exact(project, settings, pg_server.url, every=every)
    assert compared
    assert differences(compared) == []
    assert all(exact["built"]["created_from_state"] == 0 for _, exact in compared.values())
    renamed = sum(fast["built"].get("renamed_back", 0) for fast, _ in compared.values())
    if project_name == "real-shaped":
        assert any(f["built"].get("built_past") for f, _ in compared.values())
    if project_name == "generated":
        assert any(f["built"]["created_from_state"] for f, _ in compared.values())
        assert renamed, "the generated history renames indexed fields: nothing was renamed back"


SQUASHED = """
from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Pair", [
            ("id", models.BigAutoField(primary_key=True)),
            ("a", models.IntegerField()),
            ("b", models.IntegerField()),
        ]),
        migrations.AlterUniqueTogether("pair", {("a", "b")}),
        migrations.AlterUniqueTogether("pair", set()),
    ]
"""


def test_a_constraint_added_and_removed_in_one_migration_renders(
    shaky_project: Path, pg_server: ScratchServer,
) -> None:
    """Collecting alone cannot: the removal looks the constraint up in a catalog
    where collecting never created it ("Found wrong number (0) of constraints")."""
    migrations = shaky_project / "shaky" / "migrations"
    for path in migrations.glob("0*.py"):
        path.unlink()
    write_files(migrations, {"0001_initial.py": SQUASHED})
    document = review(shaky_project, "shakyproj.settings", "--all", "--scratch-url",
                      pg_server.url, "--no-cache")
    (only,) = document["migrations"]
    assert only["error"] is None
    assert "ADD CONSTRAINT" in only["sql"] and "DROP CONSTRAINT" in only["sql"]
