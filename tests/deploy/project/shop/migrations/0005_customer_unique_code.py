from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0004_customer_phone")]
    operations = [
        migrations.AddConstraint(
            "customer", models.UniqueConstraint(fields=["code"], name="shop_customer_code_unique")
        ),
    ]
