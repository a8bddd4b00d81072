"""The program's state kept folded up to an entry: a cache that reads fold only the tail.

Revision ID: 0008
Revises: 0007

``audit_state`` holds at most one row: the fold of the log up to entry ``seq`` (whose
``entry_hash`` it records), made by the fold of ``version``, as JSON. It is a cache, not a
record: everything in it is derived from the log, a reader checks its entry's hash before
using it and folds from entry 1 when it does not match, and `tandem audit verify` compares it
with a fold from scratch. Not append-only: a newer fold replaces it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_state",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.String(80), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_state")
