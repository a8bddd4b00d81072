"""Alembic migrations of the audit schema, run programmatically by ``audit.log.migrate``."""
