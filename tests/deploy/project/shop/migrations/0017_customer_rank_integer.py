from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0016_customer_name_shorter")]
    operations = [
        migrations.AlterField("customer", "rank", models.IntegerField(null=True)),
    ]
