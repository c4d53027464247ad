"""Write a synthetic Django project with N migrations, for the benchmark.

    python benchmarks/synthetic.py DIR --migrations 500

The project mixes what real histories hold: ~50 models over several apps, foreign
keys across apps, indexes, check constraints, added, altered, renamed and
removed fields, data migrations (RunPython), and one squashed migration. Its
settings use SQLite at ``$SYNTH_SQLITE_PATH`` (default ``DIR/db.sqlite3``) so a
database "already migrated to N - 50" is a ``migrate --fake`` away, or PostgreSQL when
``$SYNTH_DATABASE_URL`` is set (``postgresql://USER:PASSWORD@HOST:PORT/NAME``, or a socket
directory as ``?host=/path``: the form ``ScratchServer.url`` has).

``--real-shaped`` writes the variant shaped like large real projects (issue 16): 12 apps, and
spread over the history in many of them what the fast pre-state cannot take from Django's
project state: ``RunSQL`` (a hand-made index, an UPDATE, the view behind an unmanaged model),
``SeparateDatabaseAndState`` (a column added by hand SQL), ``RenameModel``, ``AlterModelTable``,
indexed fields (renamed later like any other), proxy and unmanaged models, and squashed
migrations in three apps. The default project is unchanged by it (same files for the same N),
so older benchmark rows stay comparable.

The generator is deterministic: the same N (and shape) gives the same files.
"""

from __future__ import annotations

import argparse
import itertools
import random
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

APPS = ("accounts", "catalog", "orders", "billing", "shipping", "reports")
REAL_SHAPED_APPS = (*APPS, "inventory", "payments", "customers", "promotions", "reviews",
                    "search")
MODELS_PER_APP = 8
REAL_SHAPED_SHARE = 0.15  # of the steps after the initial migrations
# How often each real-shaped operation is picked, relative to the others.
REAL_SHAPED_WEIGHTS = {
    "hand_index": 4, "hand_update": 3, "separate_state": 3, "indexed_field": 4,
    "rename_model": 2, "alter_table": 1, "proxy_model": 1, "unmanaged_model": 1,
}

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
    referrers: set[str] = field(default_factory=set)  # apps whose migrations name this model
    db_table: str | None = None  # set by AlterModelTable
    has_proxy: bool = False  # never renamed then: a proxy's bases name its model

    @property
    def label(self) -> str:
        return f"{self.app}.{self.name}"

    @property
    def lower(self) -> str:
        return self.name.lower()

    @property
    def table(self) -> str:
        return self.db_table or f"{self.app}_{self.lower}"


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
    apps: tuple[str, ...] = APPS
    squashed_apps = 1  # the first apps whose 0002 and 0003 are squashed

    def __init__(self, count: int, seed: int = 7) -> None:
        self.count = count
        self.random = random.Random(seed)
        self.models: list[Model] = []
        self.latest: dict[str, str] = {}
        self.numbers: dict[str, int] = dict.fromkeys(self.apps, 0)
        self.migrations: list[Migration] = []
        self.serial = 0

    def next_name(self, app: str, slug: str) -> str:
        self.numbers[app] += 1
        return f"{self.numbers[app]:04d}_{slug}"

    def generate(self) -> list[Migration]:
        for position, app in enumerate(self.apps):
            self.initial(app, self.apps[:position])
        while len(self.migrations) < self.count:
            self.step()
        for app in self.apps[: self.squashed_apps]:
            self.squash_first_pair(app)
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
                target.referrers.add(app)
                fields.append(f'("parent", models.ForeignKey(on_delete=django.db.models.'
                              f'deletion.CASCADE, to="{target.label}"))')
            if earlier and self.random.random() < 0.5:
                other = self.random.choice([m for m in self.models if m.app in earlier])
                other.referrers.add(app)
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
            other.referrers.add(model.app)
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

    def squash_first_pair(self, app: str) -> None:
        """Replace `app`'s first squashable pair from 0002 on (0002 and 0003 in the default
        project) by a squashed migration (files kept)."""
        own = [m for m in self.migrations if m.app == app]
        if len(own) < 4:
            return
        for first, second in list(itertools.pairwise(own[1:]))[: self.squash_candidates]:
            if self.squashable(first, second):
                self.migrations.append(squashed(app, first, second))
                return

    squash_candidates = 1  # pairs looked at: the default squashes 0002 and 0003 or nothing

    def squashable(self, first: Migration, second: Migration) -> bool:
        return not (first.functions or second.functions)


def squashed(app: str, first: Migration, second: Migration) -> Migration:
    return Migration(
        app, f"{first.name[:4]}_squashed_{second.name}",
        {d for d in first.dependencies | second.dependencies
         if d not in {(app, first.name), (app, second.name)}},
        first.operations + second.operations,
        replaces=[(app, first.name), (app, second.name)],
    )


class RealShapedGenerator(Generator):
    """The history of a large real project: more apps, and what the fast pre-state cannot
    take from the project state (hand SQL, state-only operations, renamed tables) spread over
    the history of many of them."""

    apps = REAL_SHAPED_APPS
    squashed_apps = 3
    squash_candidates = 20

    def squashable(self, first: Migration, second: Migration) -> bool:
        """Only a pair whose second half depends on nothing but the first: a squashed
        migration that took another app's dependency from it could close a cycle through a
        migration that depends on its first half."""
        return (super().squashable(first, second)
                and second.dependencies == {(first.app, first.name)})

    def __init__(self, count: int, seed: int = 11) -> None:
        super().__init__(count, seed)

    def step(self) -> None:
        if self.random.random() >= REAL_SHAPED_SHARE:
            super().step()
            return
        kind = self.random.choices(list(REAL_SHAPED_WEIGHTS),
                                   weights=list(REAL_SHAPED_WEIGHTS.values()))[0]
        model = self.random.choice(self.models)
        self.serial += 1
        made = getattr(self, kind)(model)
        if made is None:  # not applicable to this model: an ordinary step instead
            super().step()
            return
        operations, deps = made
        self.add(model.app, f"{kind}{self.serial}", operations, deps)

    def hand_index(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        index = f"hand_ix{self.serial}"
        return [run_sql(f'CREATE INDEX "{index}" ON "{model.table}" ("name")',
                        f'DROP INDEX "{index}"')], set()

    def hand_update(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        return [run_sql(f"UPDATE \"{model.table}\" SET \"name\" = 'unnamed' "
                        f"WHERE \"name\" = ''", None)], set()

    def separate_state(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        """A column added by hand SQL, told to the state by an AddField."""
        column = f"f{self.serial}"
        database = run_sql(f'ALTER TABLE "{model.table}" ADD COLUMN "{column}" integer NULL',
                           f'ALTER TABLE "{model.table}" DROP COLUMN "{column}"')
        state = (f'migrations.AddField(\n    model_name="{model.lower}",\n    name="{column}",'
                 f"\n    field=models.IntegerField(null=True),\n)")
        model.fields.append(column)
        return [("migrations.SeparateDatabaseAndState(\n"
                 f"    database_operations=[\n{textwrap.indent(database, ' ' * 8)},\n    ],\n"
                 f"    state_operations=[\n{textwrap.indent(state, ' ' * 8)},\n    ],\n)")], set()

    def indexed_field(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        column = f"f{self.serial}"
        model.fields.append(column)  # renamed or removed later like any other field
        return [f'migrations.AddField(\n    model_name="{model.lower}",\n    name="{column}",'
                "\n    field=models.IntegerField(db_index=True, null=True),\n)"], set()

    def rename_model(self, model: Model) -> tuple[list[str], set[tuple[str, str]]] | None:
        if model.has_proxy:
            return None
        # Whatever named the model by its old name is applied before the rename.
        deps = {(app, self.latest[app]) for app in model.referrers if app != model.app}
        old, model.name = model.name, f"{model.name}R{self.serial}"
        return [f'migrations.RenameModel(\n    old_name="{old}",\n    '
                f'new_name="{model.name}",\n)'], deps

    def alter_table(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        model.db_table = f"{model.app}_table{self.serial}"
        return [f'migrations.AlterModelTable(\n    name="{model.lower}",\n    '
                f'table="{model.db_table}",\n)'], set()

    def proxy_model(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        model.has_proxy = True
        return [f'migrations.CreateModel(\n    name="{model.name}Proxy{self.serial}",\n    '
                'fields=[],\n    options={"proxy": True, "indexes": [], "constraints": []},'
                f'\n    bases=("{model.label.lower()}",),\n)'], set()

    def unmanaged_model(self, model: Model) -> tuple[list[str], set[tuple[str, str]]]:
        """A view made by hand SQL, read through an unmanaged model (only `id`: a view on a
        column would stop later migrations from altering it)."""
        view = f"{model.app}_view{self.serial}"
        create = run_sql(f'CREATE VIEW "{view}" AS SELECT "id" FROM "{model.table}"',
                         f'DROP VIEW "{view}"')
        return [create, f'migrations.CreateModel(\n    name="View{self.serial}",\n    fields=[\n'
                '        ("id", models.BigIntegerField(primary_key=True, serialize=False)),\n'
                f'    ],\n    options={{"managed": False, "db_table": "{view}"}},\n)'], set()


def run_sql(sql: str, reverse: str | None) -> str:
    reverse_sql = "migrations.RunSQL.noop" if reverse is None else repr(reverse)
    return f"migrations.RunSQL(\n    {sql!r},\n    reverse_sql={reverse_sql},\n)"


SHAPES = {"default": Generator, "real": RealShapedGenerator}


def check_constraint_keyword() -> str:
    import django

    return "condition" if django.VERSION >= (5, 1) else "check"


def write_project(directory: Path, count: int,
                  shape: str = "default") -> list[tuple[str, str]]:
    """Write the project; return the migrations in creation order (squashed ones excluded).

    `shape` is "default" or "real" (the real-shaped variant, see the module's docstring)."""
    generator = SHAPES[shape](count)
    migrations = generator.generate()
    keyword = check_constraint_keyword()
    package = directory / "synthproject"
    for owned in (package, *(directory / app for app in REAL_SHAPED_APPS)):
        # A project written earlier with another N or shape would leave migrations behind.
        shutil.rmtree(owned, ignore_errors=True)
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS.format(apps=list(generator.apps)))
    for app in generator.apps:
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
    parser.add_argument("--real-shaped", action="store_true",
                        help="the variant shaped like large real projects (12 apps, RunSQL, "
                             "SeparateDatabaseAndState, renamed models and tables, ...)")
    args = parser.parse_args()
    names = write_project(args.directory, args.migrations,
                          "real" if args.real_shaped else "default")
    print(f"wrote {len(names)} migrations to {args.directory}")


if __name__ == "__main__":
    main()
