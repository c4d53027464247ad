"""Reviews for the reporter tests, built by the real analyzer from SQL written here.

No database is needed: ``Analyzer`` is fed each migration's statements the
way the Django pipeline feeds them (BEGIN, each operation's SQL with its
operation's line, COMMIT). The golden files in ``golden/`` are these reviews
rendered; regenerate them with ``python -m tests.report.update_golden``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

from sqlreview import __version__
from sqlreview.django.timeouts import report_lock_timeout_once
from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import schema_from_sql
from sqlreview.pg.schema import Schema
from sqlreview.report import FORMATS, render_text
from sqlreview.report.terminal import DEFAULT_WIDTH, TerminalOptions
from sqlreview.results import Review, RunSettings, Section
from sqlreview.review.finish import finalize
from sqlreview.stats.apply import Thresholds, apply_stats
from sqlreview.stats.estimate import Calibration
from sqlreview.stats.model import IndexStats, TableStats
from sqlreview.stats.snapshot import Snapshot

PG_VERSION = 14
OPTIONS = AnalyzerOptions(pg_version=PG_VERSION)

SCHEMA = """
CREATE TABLE shop_customer (id bigint PRIMARY KEY, email varchar(200) NOT NULL);
CREATE TABLE shop_order (id bigint PRIMARY KEY, customer_id bigint REFERENCES shop_customer (id),
                         total integer NOT NULL, note varchar(100));
CREATE TABLE shop_product (id bigint PRIMARY KEY, title varchar(200) NOT NULL, price integer);
"""

Operation = tuple[str, int, str]  # (describe() text, line in the migration file, SQL)


def migration(app: str, name: str, operations: list[Operation], *, schema: Schema,
              atomic: bool = True) -> tuple[Section, Schema]:
    """One migration as the Django pipeline builds it, analysed for real; and the
    schema after it, for the next one."""
    file = f"{app}/migrations/{name}.py"
    analyzer = Analyzer(OPTIONS, schema=schema, file=file)
    sql_text = ["BEGIN;"] if atomic else []
    if atomic:
        analyzer.feed("BEGIN")
    for operation, line, sql in operations:
        analyzer.feed(sql, operation=operation, line_offset=line - 1)
        sql_text += ["--", f"-- {operation}", "--", sql.strip()]
    if atomic:
        analyzer.feed("COMMIT")
        sql_text.append("COMMIT;")
    analysis = analyzer.finish()
    section = Section(title=f"{app}.{name}", analysis=analysis, app=app, name=name,
                      atomic=atomic, sql_text="\n".join(sql_text) + "\n")
    return section, analyzer.schema


def one_statement() -> Review:
    """The smallest review worth reading: one blocking index build."""
    schema = schema_from_sql(SCHEMA)
    analysis = analyze_sql('CREATE INDEX "shop_order_total_idx" ON "shop_order" ("total");\n',
                           options=OPTIONS, schema=schema, file="migrations/0007_index.sql")
    return Review(pg_version=PG_VERSION, kind="sql", sections=[
        Section(title="migrations/0007_index.sql", analysis=analysis)])


def shop_migrations(lock_timeout_once: bool = True) -> Review:
    """A few migrations like a real branch: a safe one, a rewrite, an index build held
    under ACCESS EXCLUSIVE, a non-atomic data migration, and a review warning.

    ``lock_timeout_once``: SR201 folded into one finding, as the Django pipeline
    does; without it, on every statement that lacks a lock_timeout."""
    plan: list[tuple[str, list[Operation], bool]] = [
        ("0002_order_coupon", [
            ("Add field coupon to order", 14,
             'ALTER TABLE "shop_order" ADD COLUMN "coupon" varchar(20) NULL;'),
        ], True),
        ("0003_order_total_bigint", [
            ("Alter field total on order", 12,
             'ALTER TABLE "shop_order" ALTER COLUMN "total" TYPE bigint USING "total"::bigint;'),
        ], True),
        ("0004_product_sku", [
            ("Add field sku to product", 15,
             'ALTER TABLE "shop_product" ADD COLUMN "sku" varchar(40) DEFAULT \'\' NOT NULL;'
             '\nALTER TABLE "shop_product" ALTER COLUMN "sku" DROP DEFAULT;'),
            ("Create index shop_product_sku_idx on field(s) sku of model product", 22,
             'CREATE INDEX "shop_product_sku_idx" ON "shop_product" ("sku");'),
        ], True),
        ("0005_backfill_sku", [
            ("Raw SQL operation", 9,
             "UPDATE \"shop_product\" SET \"sku\" = 'P' || \"id\"::text;"),
        ], False),
        ("0006_address", [
            ("Create model Address", 11,
             'CREATE TABLE "shop_address" ("id" bigint NOT NULL PRIMARY KEY, '
             '"line" varchar(200) NOT NULL);'),
        ], True),
    ]
    schema = schema_from_sql(SCHEMA)
    sections = []
    for name, operations, atomic in plan:
        section, schema = migration("shop", name, operations, schema=schema, atomic=atomic)
        sections.append(section)
    review = Review(pg_version=PG_VERSION, kind="migrations", sections=sections,
                    warnings=["Conflicting migrations detected; multiple leaf nodes in the "
                              "migration graph: (0006_address, 0006_other in shop)"],
                    settings=RunSettings(mode="replay", database="default"))
    if lock_timeout_once:
        report_lock_timeout_once(review)
    return finalize(review)


def many_migrations(count: int = 2_000) -> Review:
    """``count`` statements over hundreds of migrations, mostly harmless as in a
    real project's history (new tables and their indexes), with a column added
    to a busy table now and then and a risky change every so often."""
    base = schema_from_sql(SCHEMA)
    sections = []
    statements = 0
    number = 1
    while statements < count:
        table = f"shop_table{number}"
        operations: list[Operation] = [
            (f"Create model Table{number}", 10,
             f'CREATE TABLE "{table}" ("id" bigint NOT NULL PRIMARY KEY, '
             f'"name" varchar(100) NOT NULL);'),
            (f"Create index {table}_name on field(s) name of model table{number}", 18,
             f'CREATE INDEX "{table}_name" ON "{table}" ("name");'),
        ]
        if number % 5 == 0:
            operations.append((f"Add field flag{number} to order", 24,
                               f'ALTER TABLE "shop_order" ADD COLUMN "flag{number}" boolean '
                               f'NULL;'))
        if number % 50 == 0:
            operations.append((f"Alter field note on order ({number})", 30,
                               f'ALTER TABLE "shop_order" ALTER COLUMN "note" TYPE '
                               f'varchar({50 + number % 40});'))
        if number % 80 == 0:
            operations.append((f"Create index on total ({number})", 40,
                               f'CREATE INDEX "shop_order_total_{number}" ON "shop_order" '
                               f'("total");'))
        # Each migration starts from the same schema: carrying hundreds of new
        # tables forward would only slow the test down.
        section, _after = migration("shop", f"{number:04d}_step", operations, schema=base)
        sections.append(section)
        statements += len(section.statements)
        number += 1
    review = Review(pg_version=PG_VERSION, kind="migrations", sections=sections)
    report_lock_timeout_once(review)
    return finalize(review)


def large_upgrade(count: int = 31, lock_timeout_once: bool = True) -> Review:
    """A large upgrade, as a release that sat for months ships it: ``count``
    migrations, each creating a table and changing the busy ones in the riskiest
    ways Django makes easy (a rewrite, an index built under a lock held through
    other work, a NOT NULL column, a type change, a backfill), with no
    lock_timeout anywhere (SR201, folded into one finding as the Django pipeline
    does; ``lock_timeout_once=False``: on every statement) and SR202 on many."""
    tables = ("shop_order", "shop_customer", "shop_product")
    schema = schema_from_sql(SCHEMA)
    sections = []
    for number in range(1, count + 1):
        table = tables[number % 3]
        new = f"shop_upgrade{number}"
        risky: list[list[Operation]] = [
            [(f"Add field token{number} to {table}", 14,
              f'ALTER TABLE "{table}" ADD COLUMN "token{number}" uuid DEFAULT '
              'gen_random_uuid() NOT NULL;')],
            [(f"Add field flag{number} to {table}", 12,
              f'ALTER TABLE "{table}" ADD COLUMN "flag{number}" boolean NULL;'),
             (f"Create index {table}_id_{number} on field(s) id of model {table}", 20,
              f'CREATE INDEX "{table}_id_{number}" ON "{table}" ("id");')],
            [(f"Alter field id on {table}", 16,
              f'ALTER TABLE "{table}" ALTER COLUMN "id" TYPE numeric(20, 0);')],
            [(f"Add field level{number} to {table}", 11,
              f'ALTER TABLE "{table}" ADD COLUMN "level{number}" integer DEFAULT 0 NOT NULL;'),
             ("Raw SQL operation", 19, f'UPDATE "{table}" SET "level{number}" = 1;')],
        ]
        operations: list[Operation] = [
            (f"Create model Upgrade{number}", 8,
             f'CREATE TABLE "{new}" ("id" bigint NOT NULL PRIMARY KEY, '
             f'"name" varchar(100) NOT NULL);'),
            (f"Create index {new}_name on field(s) name of model upgrade{number}", 30,
             f'CREATE INDEX "{new}_name" ON "{new}" ("name");'),
            *risky[number % len(risky)],
        ]
        section, _after = migration("shop", f"{number:04d}_upgrade_step_{number}", operations,
                                    schema=schema)
        sections.append(section)
    review = Review(pg_version=PG_VERSION, kind="migrations", sections=sections,
                    settings=RunSettings(mode="replay", database="default"))
    if lock_timeout_once:
        report_lock_timeout_once(review)
    return finalize(review)


def risky_script(count: int = 2_000) -> Review:
    """A raw SQL file where most statements are risky: the Markdown must degrade."""
    kinds = [
        'ALTER TABLE "shop_order" ADD COLUMN "c{i}" integer DEFAULT 0 NOT NULL;',
        'ALTER TABLE "shop_product" ALTER COLUMN "title" TYPE varchar({w});',
        'CREATE INDEX "shop_order_c{i}_idx" ON "shop_order" ("total");',
        'UPDATE "shop_order" SET "total" = {i} WHERE "id" = {i};',
        "this is not sql {i};",
    ]
    sql = "\n".join(kinds[i % len(kinds)].format(i=i, w=100 + i % 90) for i in range(count))
    analysis = analyze_sql(sql, options=OPTIONS, schema=schema_from_sql(SCHEMA),
                           file="scripts/big.sql")
    return Review(pg_version=PG_VERSION, kind="sql",
                  sections=[Section(title="scripts/big.sql", analysis=analysis)])


GB = 1024 ** 3
# Fixed figures, not the shipped defaults: the golden files must not move
# when the calibration is measured again.
CALIBRATION = Calibration(rewrite_mb_per_s=60.0, scan_mb_per_s=400.0, index_build_mb_per_s=80.0,
                          update_rows_per_s=150_000.0, index_entries_per_s=300_000.0,
                          delete_rows_per_s=300_000.0, machine="the report tests")


def sized_migrations() -> Review:
    """``shop_migrations`` with --stats: shop_order is 38 GB, shop_product 40 kB."""
    review = shop_migrations()
    snapshot = Snapshot(taken_at="2026-12-01T03:00:00+00:00", database={"name": "shop"}, tables={
        "shop_order": TableStats(name="shop_order", rows=3e8, heap_bytes=30 * GB,
                                 toast_bytes=2 * GB, indexes=(
                                     IndexStats("shop_order_pkey", 6 * GB, "CREATE UNIQUE ..."),)),
        "shop_product": TableStats(name="shop_product", rows=400, heap_bytes=40_960,
                                   indexes=(IndexStats("shop_product_pkey", 16_384, "..."),)),
    })
    apply_stats(review, snapshot, CALIBRATION, Thresholds(), source="production-stats.json")
    return finalize(review)


def sized_timeline() -> Review:
    """One migration whose transaction holds ACCESS EXCLUSIVE on shop_order through a
    backfill of shop_customer (10 million rows) and an index build on shop_order
    (38 GB): with --stats its timeline is in estimated time."""
    schema = schema_from_sql(SCHEMA)
    section, _after = migration("shop", "0007_order_flag_and_index", [
        ("Add field flag to order", 12,
         'ALTER TABLE "shop_order" ADD COLUMN "flag" boolean NULL;'),
        ("Raw SQL operation", 18, 'UPDATE "shop_customer" SET "email" = lower("email");'),
        ("Create index shop_order_total_idx on field(s) total of model order", 25,
         'CREATE INDEX "shop_order_total_idx" ON "shop_order" ("total");'),
    ], schema=schema)
    review = Review(pg_version=PG_VERSION, kind="migrations", sections=[section],
                    settings=RunSettings(mode="replay", database="default"))
    report_lock_timeout_once(review)
    snapshot = Snapshot(taken_at="2026-12-01T03:00:00+00:00", database={"name": "shop"}, tables={
        "shop_order": TableStats(name="shop_order", rows=3e8, heap_bytes=30 * GB,
                                 toast_bytes=2 * GB, indexes=(
                                     IndexStats("shop_order_pkey", 6 * GB, "CREATE UNIQUE ..."),)),
        "shop_customer": TableStats(name="shop_customer", rows=1e7, heap_bytes=2 * GB,
                                    indexes=(IndexStats("shop_customer_pkey", GB // 4, "..."),)),
    })
    apply_stats(review, snapshot, CALIBRATION, Thresholds(), source="production-stats.json")
    return finalize(review)


CASES: dict[str, Callable[[], Review]] = {
    "one_statement": one_statement,
    "sized_migrations": sized_migrations,
    "shop_migrations": shop_migrations,
    "many_migrations": many_migrations,
    "risky_script": risky_script,
    "sized_timeline": sized_timeline,
    "large_upgrade": large_upgrade,
}

# Which golden files exist: case → formats.
GOLDEN: dict[str, tuple[str, ...]] = {
    "one_statement": ("text", "markdown", "sarif", "codequality", "github"),
    "shop_migrations": ("text", "text-80", "text-200", "markdown", "sarif", "codequality",
                        "github"),
    "sized_migrations": ("text", "text-80", "markdown"),
    "many_migrations": ("text", "markdown"),
    "risky_script": ("markdown",),
}

GOLDEN_DIR = Path(__file__).parent / "golden"
EXTENSIONS = {"text": "txt", "text-80": "80.txt", "text-200": "200.txt", "markdown": "md",
              "sarif": "sarif.json",
              "codequality": "codequality.json", "github": "github.txt"}


def render(case: str, output_format: str) -> str:
    """A case in one format, as the golden file holds it (the tool version in
    SARIF is masked, so a release does not change the expectation). Text is
    drawn for a given width without colour (``text``: 100 columns, a file's
    width; ``text-80``: 80), whatever the terminal running the tests."""
    with as_repository(Path.cwd().resolve()) as root:
        if output_format.startswith("text"):
            width = int(output_format.partition("-")[2] or DEFAULT_WIDTH)
            return render_text(CASES[case](), options=TerminalOptions(width=width, color=False))
        text = FORMATS[output_format](CASES[case]())
    if output_format == "sarif":
        text = text.replace(f'"{__version__}"', '"VERSION"')
        text = text.replace(root.as_uri().rstrip("/") + "/", "file:///REPOSITORY/")
    return text


@contextlib.contextmanager
def as_repository(root: Path) -> Iterator[Path]:
    """Render as if ``root`` were the git repository's root, wherever the suite runs (the
    root's URI is masked in the golden files)."""
    with mock.patch("sqlreview.report.location.repository_root", return_value=root), \
            mock.patch("sqlreview.report.scanning.repository_root", return_value=root):
        yield root


def golden_path(case: str, output_format: str) -> Path:
    return GOLDEN_DIR / f"{case}.{EXTENSIONS[output_format]}"
