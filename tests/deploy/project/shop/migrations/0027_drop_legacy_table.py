from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0026_forget_legacy")]
    operations = [
        migrations.RunSQL("DROP TABLE shop_legacy", reverse_sql=migrations.RunSQL.noop),
    ]
