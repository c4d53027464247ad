from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_customer_tier")]
    operations = [
        migrations.AddField("customer", "phone", models.CharField(max_length=20, null=True)),
    ]
