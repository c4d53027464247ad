from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0018_customer_score_nullable")]
    operations = [
        migrations.AlterField("customer", "city", models.CharField(max_length=200)),
    ]
