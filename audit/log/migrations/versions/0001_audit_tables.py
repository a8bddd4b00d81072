"""The audit tables: the log (hash chain), rule texts, profile snapshots, the head lock.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("mentor_id", sa.String(64)),
        sa.Column("mentee_id", sa.String(64)),
        sa.Column("person_id", sa.String(64)),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_rules",
        sa.Column("rules_text_digest", sa.String(80), primary_key=True),
        sa.Column("rules_digest", sa.String(80), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("first_seen", sa.String(32), nullable=False),
    )
    op.create_table(
        "audit_snapshot",
        sa.Column("input_digest", sa.String(80), primary_key=True),
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("profile", sa.Text, nullable=False),
    )
    head_lock = op.create_table(
        "audit_head_lock",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.bulk_insert(head_lock, [{"id": 1}])


def downgrade() -> None:
    for table in ("audit_head_lock", "audit_snapshot", "audit_rules", "audit_log"):
        op.drop_table(table)
