from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0013_order_note_column")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE shop_order RENAME COLUMN total TO amount_total",
            reverse_sql="ALTER TABLE shop_order RENAME COLUMN amount_total TO total",
            state_operations=[
                migrations.AlterField(
                    "order",
                    "total",
                    models.DecimalField(max_digits=10, decimal_places=2, db_column="amount_total"),
                ),
            ],
        ),
    ]
