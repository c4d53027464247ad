from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0015_customer_email_required")]
    operations = [
        migrations.AlterField("customer", "name", models.CharField(max_length=50)),
    ]
