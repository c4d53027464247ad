import django
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

# db_default (a DEFAULT kept in the database) is new in Django 5.0; on 4.2 the
# column gets a Python-side default instead (see migration 0004).
if django.VERSION >= (5, 0):
    CREATED_AT_DEFAULT = {"db_default": Now()}
else:
    CREATED_AT_DEFAULT = {"default": timezone.now}

# CheckConstraint(check=...) became condition= in Django 5.1; 6.0 removed check=.
CONDITION = "condition" if django.VERSION >= (5, 1) else "check"

LEADING_ARTICLES = ("the ", "a ", "an ")


def sort_title_for(title: str) -> str:
    """The title without a leading article, for alphabetical listings."""
    lowered = title.lower()
    for article in LEADING_ARTICLES:
        if lowered.startswith(article):
            return title[len(article) :]
    return title


class Author(models.Model):
    name = models.CharField(max_length=100)
    # `bio` was removed in two releases: 0023 (from the models) and 0024 (the column).

    class Meta:
        indexes = [
            models.Index(fields=["name"], name="library_author_name_idx"),
        ]


class Imprint(models.Model):
    name = models.CharField(max_length=100)
    city = models.CharField(max_length=50, blank=True)

    class Meta:
        # Renamed from Publisher in 0022; the table keeps its old name.
        db_table = "library_publisher"


class Book(models.Model):
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=200, default="")
    sort_title = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    copies_sold = models.BigIntegerField(default=0)
    pages = models.IntegerField(default=0)
    published_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(**CREATED_AT_DEFAULT)
    publisher = models.ForeignKey(
        Imprint, null=True, blank=True, on_delete=models.SET_NULL, related_name="books"
    )

    class Meta:
        indexes = [
            models.Index(fields=["title"], name="library_book_title_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["author", "title"], name="library_book_unique_title"),
            models.CheckConstraint(
                **{CONDITION: models.Q(pages__gte=0)}, name="library_book_pages_non_negative"
            ),
            # Added NOT VALID in 0009 and validated in 0010.
            models.CheckConstraint(
                **{CONDITION: ~models.Q(title="")}, name="library_book_title_not_blank"
            ),
        ]

    def save(self, *args, **kwargs):
        if not self.sort_title:
            self.sort_title = sort_title_for(self.title)
        super().save(*args, **kwargs)


class Genre(models.Model):
    """Created by hand with RunSQL (0018), adopted as a model in 0019."""

    code = models.CharField(max_length=20, primary_key=True)
    name = models.CharField(max_length=100)


class AuditLogEntry(models.Model):
    model_label = models.CharField(max_length=100)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
