import django
from django.db import migrations, models

TIER = {"db_default": 0} if django.VERSION >= (5, 0) else {"null": True}


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_customer_level")]
    operations = [
        # NOT NULL with a database default (Django 5.0+; nullable on 4.2).
        migrations.AddField("customer", "tier", models.IntegerField(**TIER)),
    ]
