from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("shop", "0005_customer_unique_code")]
    operations = [
        AddIndexConcurrently("customer", models.Index(fields=["name"], name="shop_customer_name_idx")),
    ]
