"""SR4xx: rolling deploys, judged by sqlreview.deploy from the models before and after
each operation, not from the SQL: "old code" is the release still running while the
migration runs, "new code" the release being rolled out. The checks and their bad/good
migrations live in sqlreview/deploy and tests/deploy."""

from __future__ import annotations

from sqlreview.pg.rules.base import Rule
from sqlreview.results import Level

_EXAMPLES = "tests/deploy/test_phases.py (DEPLOY_EXAMPLES)"
_PROJECT = "tests/deploy/project/shop/migrations/"


def _migrations(bad: str, good: str) -> tuple[str, str]:
    """The deploy tests' project migrations that raise the rule and that do not."""
    return f"{_PROJECT}{bad}.py", f"{_PROJECT}{good}.py"


SR401 = Rule(
    "SR401", "add-field-not-null-without-db-default", Level.HIGH,
    "A NOT NULL column is added without a database default: the old code's INSERTs fail.",
    "Django fills existing rows with the field's Python `default`, then drops the "
    "default in the same migration. The old code does not know the column, leaves it "
    "out of its INSERTs, and every INSERT fails with a NOT NULL violation until the "
    "last old server is gone; the new code needs the column, so the migration cannot "
    "wait until after the rollout either.",
    "Give the field a `db_default=` (Django 5.0+): the database keeps the default and "
    "the old code's INSERTs work, in one release. Before Django 5.0, or for a value "
    "the database cannot compute: release N adds it `null=True` with a Python "
    "`default` and backfills (in batches, a separate migration); release N+1 makes it "
    "NOT NULL (`AlterField`, or `AddConstraintNotValid` of a `CHECK (col IS NOT "
    "NULL)` + `ValidateConstraint` first on a big table).",
    raised_by=("sqlreview.deploy.checks._column_added",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0002_customer_level", "0003_customer_tier"),
)

SR402 = Rule(
    "SR402", "new-constraint-old-code-may-violate", Level.MEDIUM,
    "A new unique, check or foreign key constraint may reject the old code's writes.",
    "The old code does not know the rule: the rows it writes during the rollout may "
    "violate it (and fail with an IntegrityError), or make the migration itself fail "
    "if it runs while they are written.",
    "Ship the code that respects the constraint (validation, deduplication) first, "
    "and add the constraint after the rollout, or in the next release. On a big "
    "table add it without the long lock: a unique index with `AddIndexConcurrently` "
    "and then the constraint `USING INDEX`, or `AddConstraintNotValid` + "
    "`ValidateConstraint` for checks and foreign keys.",
    raised_by=(
        "sqlreview.deploy.checks._column_added",
        "sqlreview.deploy.checks._column_altered",
        "sqlreview.deploy.checks._constraint_added",
    ),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0005_customer_unique_code", "0036_customer_external_id"),
)

SR403 = Rule(
    "SR403", "drop-column-old-code-uses", Level.HIGH,
    "The column is dropped while the old code still selects and inserts it.",
    "Django selects every field of a model by name: each query of the old code that "
    "touches the model fails from the moment the column is gone until the last old "
    "server is replaced.",
    "Release N: remove the field from the code and from the models with "
    "`SeparateDatabaseAndState(state_operations=[RemoveField(...)], "
    "database_operations=[])`; release N+1 (or after the rollout of N): drop the "
    "column (`RunSQL` `ALTER TABLE ... DROP COLUMN`, or a `RemoveField` in "
    "`database_operations` only).",
    raised_by=("sqlreview.deploy.checks._column_dropped",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0007_remove_customer_nickname",
                                   "0022_forget_customer_legacy_flag"),
)

SR404 = Rule(
    "SR404", "drop-not-null-column", Level.HIGH,
    "The dropped column is NOT NULL without a database default: the new code's INSERTs "
    "fail until it is gone.",
    "The old code still uses the column, so it can only be dropped after the rollout; "
    "but the new code no longer writes it, so until the drop every INSERT of the new "
    "code fails with a NOT NULL violation. No single moment works.",
    "Release N: make the column nullable or give it a `db_default` (`AlterField` with "
    "`null=True`), and remove the field from the models, state only "
    "(`SeparateDatabaseAndState`); release N+1: drop the column.",
    raised_by=("sqlreview.deploy.checks._column_dropped",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0008_remove_order_status", "0025_forget_customer_region"),
)

SR405 = Rule(
    "SR405", "drop-table-old-code-uses", Level.HIGH,
    "The table is dropped while the old code still uses its model.",
    "The old code's queries on the model fail from the drop until the last old server "
    "is replaced, and its rows are gone.",
    "Release N: delete the model from the code and from the models with "
    "`SeparateDatabaseAndState(state_operations=[DeleteModel(...)], "
    "database_operations=[])`; release N+1: drop the table (`RunSQL` `DROP TABLE`).",
    raised_by=("sqlreview.deploy.checks._table_dropped",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0009_delete_coupon", "0026_forget_legacy"),
)

SR406 = Rule(
    "SR406", "rename-breaks-both-releases", Level.HIGH,
    "A column or table is renamed: neither release works against the other's schema.",
    "The old code queries the old name, which is gone once the migration ran; the "
    "new code queries the new name, which does not exist before it ran. "
    "`RenameField`, `RenameModel`, `AlterModelTable`, a `db_column` / `db_table` change "
    "or a `RunSQL` rename all do this.",
    "Keep the old name in the database: rename only in the models, with `db_column=` "
    "(or `db_table=`) set to the old name (`SeparateDatabaseAndState` with the rename "
    "in `state_operations` only). For a real rename: release N adds the new column "
    "and writes both, then backfills; release N+1 reads the new one; release N+2 "
    "drops the old one.",
    raised_by=(
        "sqlreview.deploy.checks._table_renamed",
        "sqlreview.deploy.checks._column_renamed",
    ),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0010_rename_customer_notes",
                                   "0037_rename_customer_phone_in_models"),
)

SR407 = Rule(
    "SR407", "set-not-null-old-code-writes-null", Level.MEDIUM,
    "The column becomes NOT NULL (or loses its database default) while the old code may "
    "leave it NULL.",
    "The old code's model has the field nullable (it writes NULL when no value is "
    "set), relies on the database default, or does not know the column at all: its "
    "INSERTs fail during the rollout.",
    "Run it after the rollout of code that always writes a value (a Python `default` "
    "or `db_default` in the model), or in the next release. On a big table, add "
    "`CHECK (col IS NOT NULL)` with `AddConstraintNotValid`, `ValidateConstraint` it, "
    "then `AlterField`: SET NOT NULL then needs no scan.",
    raised_by=("sqlreview.deploy.checks._column_altered",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0015_customer_email_required", "0038_customer_score_required"),
)

SR408 = Rule(
    "SR408", "narrow-column-old-code-overflows", Level.MEDIUM,
    "The column gets narrower (a shorter max_length, a smaller type, fewer digits) while "
    "the old code may write values that no longer fit.",
    "The old code validates against the old, wider field: its writes fail with a "
    "value-too-long or out-of-range error during the rollout, and the migration fails "
    "if a stored value does not fit.",
    "Release N: validate the new limit in the code (forms, `clean()`, the field's "
    "validators) and fix the stored values; release N+1, or after the rollout: "
    "`AlterField`.",
    raised_by=("sqlreview.deploy.checks._column_altered",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0016_customer_name_shorter", "0019_customer_city_longer"),
)

SR409 = Rule(
    "SR409", "change-column-type", Level.HIGH,
    "The column changes to an incompatible type: neither release works against the "
    "other's schema.",
    "The old code reads and writes values of the old type, the new code of the new "
    "one; whichever runs against the other's column gets conversion errors or "
    "misread values.",
    "Release N: add a new field of the new type, write both and backfill; release "
    "N+1: read the new one (rename in the models only, with `db_column`); release "
    "N+2: drop the old column.",
    raised_by=("sqlreview.deploy.checks._column_altered",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0017_customer_rank_integer", "0019_customer_city_longer"),
)

SR410 = Rule(
    "SR410", "state-only-removal-of-required-column", Level.HIGH,
    "The field leaves the models but its column stays NOT NULL without a database "
    "default: the new code's INSERTs fail.",
    "After `SeparateDatabaseAndState` removes the field from the models only, the new "
    "code no longer writes the column, and the database still requires it.",
    "Make the column optional in the same step: put an `AlterField(..., null=True)` "
    "(or a `db_default`) in `database_operations` of the same "
    "`SeparateDatabaseAndState`, or in a migration before it; drop the column in the "
    "next release.",
    raised_by=("sqlreview.deploy.checks._state_only_removal",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0024_forget_customer_signup_source",
                                   "0025_forget_customer_region"),
)

SR411 = Rule(
    "SR411", "run-python-imports-models", Level.MEDIUM,
    "RunPython uses models imported from the app instead of `apps.get_model()`.",
    "The imported model is the current code's, not the schema at this point of the "
    "history: the migration breaks as soon as the model changes (it selects columns a "
    "later migration adds), on a fresh database, in tests, and when several "
    "migrations run in one deploy.",
    "Get every model from the migration's registry: `Book = apps.get_model(\"library\", "
    "\"Book\")` in the function, and keep helper code free of model imports.",
    raised_by=("sqlreview.deploy.checks._python_code",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0028_count_customers", "0029_fill_customer_city"),
)

SR412 = Rule(
    "SR412", "run-python-without-reverse", Level.LOW,
    "RunPython has no `reverse_code`: the migration cannot be unapplied.",
    "Rolling the deploy back (`migrate app previous`) fails with IrreversibleError at "
    "this migration, exactly when a bad release must be undone quickly.",
    "Pass `reverse_code`: a function that undoes it, or `migrations.RunPython.noop` if "
    "there is nothing to undo.",
    raised_by=("sqlreview.deploy.checks._python_code",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0029_fill_customer_city", "0028_count_customers"),
)

SR413 = Rule(
    "SR413", "run-sql-without-reverse", Level.LOW,
    "RunSQL has no `reverse_sql`: the migration cannot be unapplied.",
    "Rolling the deploy back (`migrate app previous`) fails with IrreversibleError at "
    "this migration.",
    "Pass `reverse_sql`: the SQL that undoes it, or `migrations.RunSQL.noop` if there "
    "is nothing to undo.",
    raised_by=("sqlreview.deploy.checks._raw_sql",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0031_blank_cities_sql", "0023_drop_customer_legacy_flag"),
)

SR414 = Rule(
    "SR414", "new-code-needs-migration-first", Level.MEDIUM,
    "The new code needs this schema change, but the deploy model runs migrations after "
    "the rollout.",
    "With --deploy-model rollout-then-migrate the new code serves requests before the "
    "migration runs: it queries the new table or column, or writes values the old "
    "schema rejects, and fails until the migration has run.",
    "Run this migration before the rollout (the deploy plan lists it there), or ship "
    "it one release ahead of the code that uses it.",
    raised_by=("sqlreview.deploy.checks._needed",),
    examples_elsewhere=_EXAMPLES,
)

SR415 = Rule(
    "SR415", "mixed-phase-migration", Level.MEDIUM,
    "One operation of the migration must run before the rollout and another after it.",
    "A migration runs as a whole: whenever it runs, one of the two releases breaks.",
    "Move the operations that must wait for the rollout into a migration of their "
    "own, run after the rollout or in the next release.",
    raised_by=("sqlreview.deploy.verdict.migration_phase",),
    examples_elsewhere=_EXAMPLES,
    migration_examples=_migrations("0033_customer_swap_columns", "0004_customer_phone"),
)

RULES = (SR401, SR402, SR403, SR404, SR405, SR406, SR407, SR408, SR409, SR410, SR411,
         SR412, SR413, SR414, SR415)
