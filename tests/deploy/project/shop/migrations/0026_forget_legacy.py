from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0025_forget_customer_region")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel("Legacy")], database_operations=[]
        ),
    ]
