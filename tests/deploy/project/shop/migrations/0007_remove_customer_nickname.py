from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0006_customer_name_index")]
    operations = [
        migrations.RemoveField("customer", "nickname"),
    ]
