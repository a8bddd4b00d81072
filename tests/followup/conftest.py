"""Fixtures for the follow-up tests: the audit tests' SQLite and PostgreSQL databases, and
the lifecycle tests' cohorts and command line."""

from tests.audit.conftest import db_url, pg_server, pg_url, sqlite_url  # noqa: F401
from tests.program.conftest import cohort, tandem  # noqa: F401
