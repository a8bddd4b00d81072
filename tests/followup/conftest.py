"""Databases for the follow-up tests: the audit tests' SQLite and PostgreSQL fixtures."""

from tests.audit.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401
