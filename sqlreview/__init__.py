"""sqlreview: review Django migrations at the SQL level before they reach PostgreSQL."""

__version__ = "0.1.0"
