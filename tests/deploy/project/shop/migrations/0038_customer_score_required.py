from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0037_rename_customer_phone_in_models")]
    operations = [
        # NOT NULL again: the old code's field has a Python default, so it never writes NULL.
        migrations.AlterField("customer", "score", models.IntegerField(default=0)),
    ]
