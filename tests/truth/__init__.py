"""Truth tests: the analyzer's predictions checked against a real PostgreSQL."""
