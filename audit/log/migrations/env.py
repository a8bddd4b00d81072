"""Alembic environment: migrate on the connection (and inside the transaction) we are given.

``audit.log.migrate`` opens the connection, takes the migration lock, and passes the connection
in ``config.attributes["connection"]``. There is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
