from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0010_rename_customer_notes")]
    operations = [
        migrations.RenameModel("Widget", "Gizmo"),
    ]
