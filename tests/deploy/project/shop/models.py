from django.db import models


class Customer(models.Model):
    """The current model, as the app's code has it (a data migration must not use it)."""

    name = models.CharField(max_length=50)
    city = models.CharField(max_length=200)
