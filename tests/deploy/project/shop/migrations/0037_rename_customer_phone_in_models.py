from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0036_customer_external_id")]
    operations = [
        # Rename in the models only: the column keeps its name (db_column).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField("customer", "phone", "telephone"),
                migrations.AlterField(
                    "customer",
                    "telephone",
                    models.CharField(max_length=20, null=True, db_column="phone"),
                ),
            ],
            database_operations=[],
        ),
    ]
