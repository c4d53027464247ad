from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0034_parcel")]
    operations = [
        # NOT NULL with a Python default, on a table the old code does not know.
        migrations.AddField("parcel", "carrier", models.CharField(max_length=20, default="post")),
    ]
