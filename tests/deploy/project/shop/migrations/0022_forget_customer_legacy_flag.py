from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0021_customer_referrer")]
    operations = [
        # Release N of the recipe: the models forget the (nullable) column.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField("customer", "legacy_flag")],
            database_operations=[],
        ),
    ]
