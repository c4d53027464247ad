from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        # NOT NULL with a Python default only: Django drops the default again.
        migrations.AddField("customer", "level", models.IntegerField(default=1)),
    ]
