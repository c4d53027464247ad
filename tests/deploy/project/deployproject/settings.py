"""Settings for the deploy-phase test project: nothing connects to the database."""

SECRET_KEY = "test"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["shop"]
# PostgreSQL so that table names are truncated as in production; never connected.
DATABASES = {
    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "deployproject"},
}
