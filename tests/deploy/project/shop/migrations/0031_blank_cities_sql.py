from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0030_noop_python")]
    operations = [
        migrations.RunSQL("UPDATE shop_customer SET city = 'unknown' WHERE city = ''"),
    ]
