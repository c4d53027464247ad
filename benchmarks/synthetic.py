"""Write a synthetic Django project with N migrations, for the benchmark.

    python benchmarks/synthetic.py DIR --migrations 500

The project mixes what real histories hold: ~50 models over several apps, foreign
keys across apps, indexes, check constraints, added, altered, renamed and
removed fields, data migrations (RunPython), and one squashed migration. Its
settings use SQLite at ``$SYNTH_SQLITE_PATH`` (default ``DIR/db.sqlite3``) so a
database "already migrated to N - 50" is a ``migrate --fake`` away, or PostgreSQL when
``$SYNTH_DATABASE_URL`` is set (``postgresql://USER:PASSWORD@HOST:PORT/NAME``, or a socket
directory as ``?host=/path``: the form ``ScratchServer.url`` has).

The generator is deterministic: the same N gives the same files.
"""

from __future__ import annotations

import argparse
import random
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

APPS = ("accounts", "catalog", "orders", "billing", "shipping", "reports")
MODELS_PER_APP = 8

SETTINGS = """\
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

SECRET_KEY = "synthetic"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = {apps!r}
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get(
            "SYNTH_SQLITE_PATH", str(Path(__file__).resolve().parent.parent / "db.sqlite3")
        ),
    }}
}}


def postgresql(url):
    \"\"\"postgresql://USER:PASSWORD@HOST:PORT/NAME, the host also as ?host=/socket/dir.\"\"\"
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.get("host", [parts.hostname or ""])[0],
        "PORT": str(parts.port or query.get("port", [""])[0]),
    }}


if os.environ.get("SYNTH_DATABASE_URL"):
    DATABASES["default"] = postgresql(os.environ["SYNTH_DATABASE_URL"])
"""

HEADER = "from django.db import migrations, models\nimport django.db.models.deletion\n"


@dataclass
class Model:
    app: str
    name: str
    fields: list[str] = field(default_factory=list)  # fields this generator added
    chars: list[str] = field(default_factory=list)  # CharFields among them
    widths: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.app}.{self.name}"

    @property
    def lower(self) -> str:
        return self.name.lower()


@dataclass
class Migration:
    app: str
    name: str
    dependencies: set[tuple[str, str]]
    operations: list[str]
    functions: list[str] = field(default_factory=list)
    replaces: list[tuple[str, str]] = field(default_factory=list)

    def source(self) -> str:
        deps = "".join(f"        ({a!r}, {n!r}),\n" for a, n in sorted(self.dependencies))
        ops = "".join(textwrap.indent(op, " " * 8) + ",\n" for op in self.operations)
        replaces = ""
        if self.replaces:
            pairs = "".join(f"        ({a!r}, {n!r}),\n" for a, n in self.replaces)
            replaces = f"    replaces = [\n{pairs}    ]\n"
        functions = "".join(f"\n\n{function}" for function in self.functions)
        return (
            f"{HEADER}{functions}\n\n\nclass Migration(migrations.Migration):\n"
            f"{replaces}    dependencies = [\n{deps}    ]\n"
            f"    operations = [\n{ops}    ]\n"
        )


class Generator:
    def __init__(self, count: int, seed: int = 7) -> None:
        self.count = count
        self.random = random.Random(seed)
        self.models: list[Model] = []
        self.latest: dict[str, str] = {}
        self.numbers: dict[str, int] = dict.fromkeys(APPS, 0)
        self.migrations: list[Migration] = []
        self.serial = 0

    def next_name(self, app: str, slug: str) -> str:
        self.numbers[app] += 1
        return f"{self.numbers[app]:04d}_{slug}"

    def generate(self) -> list[Migration]:
        for position, app in enumerate(APPS):
            self.initial(app, APPS[:position])
        while len(self.migrations) < self.count:
            self.step()
        self.squash_first_pair()
        return self.migrations

    def add(self, app: str, slug: str, operations: list[str], deps: set[tuple[str, str]],
            functions: list[str] | None = None) -> None:
        name = self.next_name(app, slug)
        if app in self.latest:
            deps = deps | {(app, self.latest[app])}
        self.migrations.append(Migration(app, name, deps, operations, functions or []))
        self.latest[app] = name

    def initial(self, app: str, earlier: tuple[str, ...]) -> None:
        operations = []
        deps: set[tuple[str, str]] = set()
        for number in range(MODELS_PER_APP):
            model = Model(app, f"{app.capitalize()[:-1]}{number}")
            fields = [
                '("id", models.BigAutoField(auto_created=True, primary_key=True, '
                'serialize=False, verbose_name="ID"))',
                '("name", models.CharField(max_length=100))',
                '("created", models.DateTimeField(auto_now_add=True))',
            ]
            model.chars.append("name")
            model.widths["name"] = 100
            if number and self.random.random() < 0.6:
                target = self.random.choice(self.models[-number:])
                fields.append(f'("parent", models.ForeignKey(on_delete=django.db.models.'
                              f'deletion.CASCADE, to="{target.label}"))')
            if earlier and self.random.random() < 0.5:
                other = self.random.choice([m for m in self.models if m.app in earlier])
                deps.add((other.app, self.latest[other.app]))
                fields.append(f'("{other.app}_ref", models.ForeignKey(null=True, on_delete='
                              f'django.db.models.deletion.SET_NULL, to="{other.label}"))')
            body = ",\n".join(f"        {f}" for f in fields)
            operations.append(
                f'migrations.CreateModel(\n    name="{model.name}",\n    fields=[\n'
                f"{body},\n    ],\n)"
            )
            self.models.append(model)
        self.add(app, "initial", operations, deps)

    def step(self) -> None:
        model = self.random.choice(self.models)
        roll = self.random.random()
        self.serial += 1
        column = f"f{self.serial}"
        deps: set[tuple[str, str]] = set()
        functions: list[str] = []
        if roll < 0.25:
            operations = [f'migrations.AddField(\n    model_name="{model.lower}",\n    name='
                          f'"{column}",\n    field=models.IntegerField(null=True),\n)']
            model.fields.append(column)
        elif roll < 0.40:
            operations = [f'migrations.AddField(\n    model_name="{model.lower}",\n    name='
                          f'"{column}",\n    field=models.CharField(default="", max_length=40),'
                          "\n    preserve_default=False,\n)"]
            model.fields.append(column)
            model.chars.append(column)
            model.widths[column] = 40
        elif roll < 0.50 and model.chars:
            name = self.random.choice(model.chars)
            model.widths[name] += 20
            default = ', default=""' if name != "name" else ""
            operations = [f'migrations.AlterField(\n    model_name="{model.lower}",\n    name='
                          f'"{name}",\n    field=models.CharField(max_length='
                          f"{model.widths[name]}{default}),\n)"]
        elif roll < 0.60:
            operations = [f'migrations.AddIndex(\n    model_name="{model.lower}",\n    index='
                          f'models.Index(fields=["name", "created"], name="ix{self.serial}"),\n)']
        elif roll < 0.70:
            other = self.random.choice([m for m in self.models if m is not model])
            if other.app != model.app:
                deps.add((other.app, self.latest[other.app]))
            operations = [f'migrations.AddField(\n    model_name="{model.lower}",\n    name='
                          f'"{column}",\n    field=models.ForeignKey(null=True, on_delete='
                          f'django.db.models.deletion.SET_NULL, related_name="+", '
                          f'to="{other.label}"),\n)']
            model.fields.append(column)
        elif roll < 0.78 and model.fields:
            name = model.fields.pop(self.random.randrange(len(model.fields)))
            if name in model.chars:
                model.chars.remove(name)
            operations = [f'migrations.RemoveField(\n    model_name="{model.lower}",\n    '
                          f'name="{name}",\n)']
        elif roll < 0.83 and model.fields:
            index = self.random.randrange(len(model.fields))
            old = model.fields[index]
            new = f"{old}_r{self.serial}"
            model.fields[index] = new
            if old in model.chars:
                model.chars[model.chars.index(old)] = new
                model.widths[new] = model.widths.pop(old)
            operations = [f'migrations.RenameField(\n    model_name="{model.lower}",\n    '
                          f'old_name="{old}",\n    new_name="{new}",\n)']
        elif roll < 0.90:
            function = f"backfill_{self.serial}"
            functions.append(
                f"def {function}(apps, schema_editor):\n"
                f'    Model = apps.get_model("{model.app}", "{model.name}")\n'
                f'    Model.objects.filter(name="").update(name="unnamed")'
            )
            operations = [f"migrations.RunPython({function}, migrations.RunPython.noop)"]
        else:
            operations = [f'migrations.AddConstraint(\n    model_name="{model.lower}",\n    '
                          f'constraint=models.CheckConstraint(condition=~models.Q(name=""), '
                          f'name="ck{self.serial}"),\n)']
        self.add(model.app, f"step{self.serial}", operations, deps, functions)

    def squash_first_pair(self) -> None:
        """Replace the first app's migrations 0002 and 0003 by a squashed one (files kept)."""
        app = APPS[0]
        own = [m for m in self.migrations if m.app == app]
        if len(own) < 4:
            return
        first, second = own[1], own[2]
        if first.functions or second.functions:
            return
        squashed = Migration(
            app, f"0002_squashed_{second.name}",
            {d for d in first.dependencies | second.dependencies
             if d not in {(app, first.name), (app, second.name)}},
            first.operations + second.operations,
            replaces=[(app, first.name), (app, second.name)],
        )
        self.migrations.append(squashed)


def check_constraint_keyword() -> str:
    import django

    return "condition" if django.VERSION >= (5, 1) else "check"


def write_project(directory: Path, count: int) -> list[tuple[str, str]]:
    """Write the project; return the migrations in creation order (squashed one excluded)."""
    migrations = Generator(count).generate()
    keyword = check_constraint_keyword()
    package = directory / "synthproject"
    for owned in (package, *(directory / app for app in APPS)):
        # A project written earlier with another N would leave migrations behind.
        shutil.rmtree(owned, ignore_errors=True)
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS.format(apps=list(APPS)))
    for app in APPS:
        folder = directory / app / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        (directory / app / "__init__.py").write_text("")
        (folder / "__init__.py").write_text("")
    for migration in migrations:
        text = migration.source().replace("condition=", f"{keyword}=")
        (directory / migration.app / "migrations" / f"{migration.name}.py").write_text(text)
    return [(m.app, m.name) for m in migrations if not m.replaces]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--migrations", type=int, default=500)
    args = parser.parse_args()
    names = write_project(args.directory, args.migrations)
    print(f"wrote {len(names)} migrations to {args.directory}")


if __name__ == "__main__":
    main()
