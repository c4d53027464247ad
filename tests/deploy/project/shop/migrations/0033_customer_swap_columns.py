from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0032_customer_email_unique")]
    operations = [
        # One operation for before the rollout, one for after it.
        migrations.AddField("customer", "mobile", models.CharField(max_length=20, null=True)),
        migrations.RemoveField("customer", "segment"),
    ]
