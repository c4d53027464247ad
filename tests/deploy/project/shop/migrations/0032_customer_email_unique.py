from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0031_blank_cities_sql")]
    operations = [
        migrations.AlterField(
            "customer", "email", models.CharField(max_length=100, unique=True)
        ),
    ]
