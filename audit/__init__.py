"""The audit trail: every committed pairing decision, with its justification, in a hash chain.

The only package that imports SQLAlchemy and alembic. Importing ``audit`` or
``audit.commit`` stays cheap: the database code loads when a function needs it.
"""
