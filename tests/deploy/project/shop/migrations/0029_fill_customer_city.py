from django.db import migrations


def fill_city(apps, schema_editor):
    Customer = apps.get_model("shop", "Customer")
    Customer.objects.filter(city="").update(city="unknown")


class Migration(migrations.Migration):
    dependencies = [("shop", "0028_count_customers")]
    operations = [
        migrations.RunPython(fill_city),
    ]
