from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0035_parcel_carrier")]
    operations = [
        # Unique but nullable: the old code's INSERTs write NULL, which never conflicts.
        migrations.AddField(
            "customer", "external_id", models.CharField(max_length=40, null=True, unique=True)
        ),
    ]
