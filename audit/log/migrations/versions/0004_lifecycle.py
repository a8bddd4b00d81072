"""The program's lifecycle: an index on the kind of entry.

The lifecycle kinds (separation, reassignment, decision, approval, rejection) live in the
same append-only log; they need no table of their own, since the state is a fold over the
log. `tandem status`, `tandem history` and the approval checks look entries up by kind.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_kind", "audit_log", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_kind", "audit_log")
