from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0008_remove_order_status")]
    operations = [
        migrations.DeleteModel("Coupon"),
    ]
