from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Customer",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("name", models.CharField(max_length=100)),
                ("email", models.CharField(max_length=100, null=True)),
                ("nickname", models.CharField(max_length=50, null=True)),
                ("code", models.CharField(max_length=20)),
                ("score", models.IntegerField(default=0)),
                ("legacy_flag", models.BooleanField(null=True)),
                ("notes", models.TextField(null=True)),
                ("rank", models.CharField(max_length=10, null=True)),
                ("city", models.CharField(max_length=50)),
                ("signup_source", models.CharField(max_length=20)),
                ("region", models.CharField(max_length=20)),
                ("segment", models.CharField(max_length=20, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("customer", models.ForeignKey("shop.Customer", models.CASCADE)),
                ("total", models.DecimalField(max_digits=10, decimal_places=2)),
                ("note", models.CharField(max_length=200, null=True)),
                ("status", models.CharField(max_length=20)),
            ],
        ),
        migrations.CreateModel(
            name="Coupon",
            fields=[("id", models.BigAutoField(primary_key=True)), ("code", models.CharField(max_length=20))],
        ),
        migrations.CreateModel(
            name="Widget",
            fields=[("id", models.BigAutoField(primary_key=True)), ("label", models.CharField(max_length=20))],
        ),
        migrations.CreateModel(
            name="Gadget",
            fields=[("id", models.BigAutoField(primary_key=True)), ("label", models.CharField(max_length=20))],
        ),
        migrations.CreateModel(
            name="Legacy",
            fields=[("id", models.BigAutoField(primary_key=True)), ("payload", models.TextField())],
        ),
    ]
