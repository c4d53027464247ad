from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0012_gadget_table")]
    operations = [
        migrations.AlterField(
            "order", "note", models.CharField(max_length=200, null=True, db_column="order_note")
        ),
    ]
