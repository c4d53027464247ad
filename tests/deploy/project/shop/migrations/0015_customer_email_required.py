from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0014_rename_order_total_sql")]
    operations = [
        migrations.AlterField(
            "customer", "email", models.CharField(max_length=100, default=""), preserve_default=False
        ),
    ]
