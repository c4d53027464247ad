from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0009_delete_coupon")]
    operations = [
        migrations.RenameField("customer", "notes", "remarks"),
    ]
