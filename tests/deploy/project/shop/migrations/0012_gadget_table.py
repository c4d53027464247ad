from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0011_rename_widget")]
    operations = [
        migrations.AlterModelTable("gadget", "shop_device"),
    ]
