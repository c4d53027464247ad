from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0033_customer_swap_columns")]
    operations = [
        migrations.CreateModel(
            name="Parcel",
            fields=[("id", models.BigAutoField(primary_key=True))],
        ),
    ]
