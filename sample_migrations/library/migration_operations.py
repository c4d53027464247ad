"""django.contrib.postgres migration operations that also run on SQLite.

Production runs PostgreSQL, but developers run this project on SQLite too,
which has no CREATE INDEX CONCURRENTLY, NOT VALID or VALIDATE CONSTRAINT.
These subclasses do exactly what django.contrib.postgres's operations do on
PostgreSQL (same SQL, same ``sqlmigrate`` output) and fall back to the plain
AddIndex / AddConstraint, or to nothing, on other databases.
"""

from django.contrib.postgres import operations as postgres
from django.db.migrations import AddConstraint, AddIndex


def _on_postgresql(schema_editor):
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrently(postgres.AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddConstraintNotValid(postgres.AddConstraintNotValid):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddConstraint.database_forwards(self, app_label, schema_editor, from_state, to_state)


class ValidateConstraint(postgres.ValidateConstraint):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        # Elsewhere the constraint was added valid, so there is nothing to do.
        if _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
