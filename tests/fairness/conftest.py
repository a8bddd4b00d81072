"""Fixtures for the fairness tests: the audit tests' SQLite and PostgreSQL databases."""

from tests.audit.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401
