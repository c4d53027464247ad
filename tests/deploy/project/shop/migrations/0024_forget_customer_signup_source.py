from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0023_drop_customer_legacy_flag")]
    operations = [
        # The column stays NOT NULL without a default: the new code's INSERTs fail.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField("customer", "signup_source")],
            database_operations=[],
        ),
    ]
