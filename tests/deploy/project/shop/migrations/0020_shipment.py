from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0019_customer_city_longer")]
    operations = [
        migrations.CreateModel(
            name="Shipment",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("order", models.ForeignKey("shop.Order", models.CASCADE)),
                ("tracking", models.CharField(max_length=40)),
            ],
        ),
    ]
