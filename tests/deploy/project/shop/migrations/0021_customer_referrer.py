from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0020_shipment")]
    operations = [
        migrations.AddField(
            "customer",
            "referrer",
            models.ForeignKey("shop.Customer", models.SET_NULL, null=True, related_name="+"),
        ),
    ]
