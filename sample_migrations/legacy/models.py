from django.db import models


class Subscriber(models.Model):
    """The newsletter app's only model; its history is squashed (see migrations/)."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=100, blank=True)
