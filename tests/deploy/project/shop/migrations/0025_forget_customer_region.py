from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0024_forget_customer_signup_source")]
    operations = [
        # The same, done right: the database side makes the column optional first.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField("customer", "region")],
            database_operations=[
                migrations.AlterField("customer", "region", models.CharField(max_length=20, null=True)),
            ],
        ),
    ]
