from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0007_remove_customer_nickname")]
    operations = [
        # NOT NULL without a database default.
        migrations.RemoveField("order", "status"),
    ]
