"""Notes of check-ins and outcomes: free text kept outside the chain, so it can be erased.

The chain holds a salted digest of each note (``note_digest``); this table holds the text
and the salt. Deleting a row erases the note and never breaks the chain. Not append-only.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_note",
        sa.Column("note_digest", sa.String(80), primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_note")
