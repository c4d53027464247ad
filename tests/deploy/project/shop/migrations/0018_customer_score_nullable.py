from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0017_customer_rank_integer")]
    operations = [
        migrations.AlterField("customer", "score", models.IntegerField(default=0, null=True)),
    ]
