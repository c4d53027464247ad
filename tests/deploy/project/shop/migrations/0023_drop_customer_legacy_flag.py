from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0022_forget_customer_legacy_flag")]
    operations = [
        # Release N+1: drop the column the models no longer have.
        migrations.RunSQL(
            "ALTER TABLE shop_customer DROP COLUMN legacy_flag",
            reverse_sql="ALTER TABLE shop_customer ADD COLUMN legacy_flag boolean NULL",
        ),
    ]
