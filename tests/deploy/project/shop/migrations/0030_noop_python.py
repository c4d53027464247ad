from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0029_fill_customer_city")]
    operations = [
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
