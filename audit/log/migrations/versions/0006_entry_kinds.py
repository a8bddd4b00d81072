"""Entries of a known kind, with the keys it requires: the append trigger checks the content.

Revision ID: 0006
Revises: 0005

0003's triggers let any well-hashed next entry in, whatever it says; a role given `tandem db
grant` could append a ``separation`` with no ``mentor``, which every reader then choked on.
Here a trigger refuses an entry that is not a JSON object, whose ``kind`` this revision does
not know, or that lacks a key its kind requires (the ``required`` lists of
``schemas/entries/KIND.schema.json`` as they were at this revision, frozen below). An entry
of a kind added later needs a later migration, which replaces the list: a newer kind is
refused by an older schema, never half-understood. The full schema of each kind (types,
ranges) is checked by Tandem on append and by `tandem audit verify`.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COMMON = ("seq", "kind", "run", "at", "actor")
REQUIRED: dict[str, tuple[str, ...]] = {
    "run": ("entries", "rules_text_digest", "rules_digest", "input_digest", "settings", "summary"),
    "pair": ("mentor", "mentee", "score", "sentence", "reasons"),
    "unpaired": ("person", "role", "reason"),
    "separation": ("mentor", "mentee", "category", "reason", "pair_seq"),
    "reassignment": ("mentor", "mentee", "score", "sentence", "reasons"),
    "decision": ("decision", "mentor", "mentee", "reason", "score"),
    "approval": ("approves",),
    "rejection": ("rejects", "reason"),
    "my_job_day_run": ("entries", "rules_text_digest", "rules_digest",
                       "input_digest", "settings", "summary"),
    "my_job_day": ("visitor", "host", "day", "score", "reasons"),
    "my_job_day_unmet": ("person", "wanted", "got"),
    "checkin": ("mentor", "mentee", "on", "by", "rating", "note_digest", "pair_seq"),
    "outcome": ("mentor", "mentee", "result", "note_digest", "pair_seq"),
}


def _keys(kind: str, required: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return (*COMMON, *required[kind])


def _sqlite(required: dict[str, tuple[str, ...]] = REQUIRED) -> None:
    known = ", ".join(f"'{kind}'" for kind in required)
    missing = " OR ".join(
        f"(json_extract(NEW.entry, '$.kind') = '{kind}' AND ("
        + " OR ".join(f"json_type(NEW.entry, '$.\"{key}\"') IS NULL"
                      for key in _keys(kind, required))
        + "))" for kind in required)
    op.execute(
        "CREATE TRIGGER audit_log_entry_wellformed BEFORE INSERT ON audit_log "
        "WHEN json_valid(NEW.entry) = 0 OR json_type(NEW.entry) != 'object' "
        f"OR json_type(NEW.entry, '$.kind') IS NOT 'text' "
        f"OR json_extract(NEW.entry, '$.kind') NOT IN ({known}) OR {missing} "
        "BEGIN SELECT RAISE(ABORT, 'INSERT on audit_log refused: the entry is not an object "
        "of a known kind with every key its kind requires'); END")


def _pg_function(required: dict[str, tuple[str, ...]] = REQUIRED) -> str:
    cases = "\n".join(
        f"    WHEN '{kind}' THEN ARRAY[{', '.join(repr(k) for k in _keys(kind, required))}]"
        for kind in required)
    return f"""
CREATE OR REPLACE FUNCTION audit_log_entry_wellformed() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
  doc jsonb;
  required text[];
BEGIN
  BEGIN
    doc := NEW.entry::jsonb;
  EXCEPTION WHEN others THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
      'INSERT on audit_log refused: entry %s is not JSON', NEW.seq);
  END;
  IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
      'INSERT on audit_log refused: entry %s is not a JSON object', NEW.seq);
  END IF;
  required := CASE doc->>'kind'
{cases}
    ELSE NULL END;
  IF required IS NULL OR jsonb_typeof(doc->'kind') IS DISTINCT FROM 'string' THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
      'INSERT on audit_log refused: entry %s has the kind %s, which this schema revision '
      'does not know', NEW.seq, coalesce(doc->>'kind', 'null'));
  END IF;
  IF NOT doc ?& required THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = format(
      'INSERT on audit_log refused: entry %s (%s) lacks a key its kind requires: %s',
      NEW.seq, doc->>'kind', array_to_string(ARRAY(
        SELECT k FROM unnest(required) AS k WHERE NOT doc ? k), ', '));
  END IF;
  RETURN NEW;
END $body$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_function())
        op.execute("CREATE TRIGGER audit_log_entry_wellformed BEFORE INSERT ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_entry_wellformed()")
    else:
        _sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_entry_wellformed ON audit_log")
        op.execute("DROP FUNCTION audit_log_entry_wellformed()")
    else:
        op.execute("DROP TRIGGER audit_log_entry_wellformed")
