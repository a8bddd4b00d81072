"""The kinds of entry added after 0006: the append trigger knows them and their keys.

Revision ID: 0007
Revises: 0006

0006 froze the kinds it knew, so that an older schema refuses a newer kind rather than
half-understanding it. This revision adds the kinds written since: ``withdrawal`` and
``rejoin`` (a person leaving or coming back), ``correction`` (an outcome superseded),
``letter`` (an introduction letter sent) and ``erasure`` (personal data erased outside the
chain), each with the keys ``schemas/entries/KIND.schema.json`` requires. The trigger is the
same as 0006's, rebuilt with the longer list.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _previous() -> ModuleType:
    path = Path(__file__).with_name("0006_entry_kinds.py")
    spec = importlib.util.spec_from_file_location("tandem_migration_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ADDED: dict[str, tuple[str, ...]] = {
    "withdrawal": ("person", "reason", "pairs"),
    "rejoin": ("person", "reason", "withdrawal"),
    "correction": ("mentor", "mentee", "result", "reason", "corrects", "pair_seq"),
    "letter": ("person", "partner", "mentor", "mentee", "for_run", "template_digest",
               "letter_digest"),
    "erasure": ("person", "reason", "rows"),
}


def _rebuild(required: dict[str, tuple[str, ...]]) -> None:
    previous = _previous()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(previous._pg_function(required))  # CREATE OR REPLACE: the trigger stays
    else:
        op.execute("DROP TRIGGER audit_log_entry_wellformed")
        previous._sqlite(required)


def upgrade() -> None:
    _rebuild({**_previous().REQUIRED, **ADDED})


def downgrade() -> None:
    _rebuild(dict(_previous().REQUIRED))
