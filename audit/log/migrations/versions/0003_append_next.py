"""Append only at the head: an insert must be the next entry; the lock row is protected.

Revision ID: 0003
Revises: 0002

SQLite's ``INSERT OR REPLACE`` deletes the row it replaces without firing delete triggers,
so 0002's triggers did not stop it from rewriting the chain. Here a trigger refuses every
insert into ``audit_log`` whose ``seq`` is not one past the last, or whose ``prev_hash`` is
not the last ``entry_hash``; on PostgreSQL it also recomputes ``entry_hash``. A stored
text must be text, and every column within the length PostgreSQL enforces anyway. A kept
rules text can not be replaced, and the lock row of ``audit_head_lock`` can not be changed,
deleted or added to.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
MESSAGE = "refused: the audit tables are append-only"
# Column lengths of audit_log, as declared in 0001 (PostgreSQL enforces them, SQLite not).
LENGTHS = {"run_id": 64, "kind": 32, "at": 32, "actor": 200, "mentor_id": 64,
           "mentee_id": 64, "person_id": 64, "prev_hash": 64, "entry_hash": 64}


def _sqlite() -> None:
    head_seq = "(SELECT COALESCE(MAX(seq), 0) FROM audit_log)"
    head_hash = (f"COALESCE((SELECT entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1), "
                 f"'{GENESIS}')")
    op.execute(
        "CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log "
        f"WHEN NEW.seq IS NOT {head_seq} + 1 OR typeof(NEW.seq) != 'integer' "
        f"BEGIN SELECT RAISE(ABORT, 'INSERT on audit_log refused: seq is not the next entry "
        "after the head; the audit log is append-only'); END")
    op.execute(
        "CREATE TRIGGER audit_log_append_linked BEFORE INSERT ON audit_log "
        f"WHEN NEW.prev_hash IS NOT {head_hash} "
        "BEGIN SELECT RAISE(ABORT, 'INSERT on audit_log refused: prev_hash is not the "
        "entry_hash of the head; the audit log is append-only'); END")
    too_long = " OR ".join(f"length(NEW.{c}) > {n}" for c, n in LENGTHS.items())
    not_text = " OR ".join(f"typeof(NEW.{c}) NOT IN ('text', 'null')"
                           for c in ("entry", *LENGTHS))
    op.execute(
        "CREATE TRIGGER audit_log_append_fits BEFORE INSERT ON audit_log "
        f"WHEN {too_long} OR {not_text} "
        "BEGIN SELECT RAISE(ABORT, 'INSERT on audit_log refused: a value is not text or is "
        "longer than its column allows'); END")
    op.execute(
        "CREATE TRIGGER audit_rules_no_replace BEFORE INSERT ON audit_rules "
        "WHEN EXISTS (SELECT 1 FROM audit_rules WHERE rules_text_digest = "
        "NEW.rules_text_digest) "
        f"BEGIN SELECT RAISE(ABORT, 'REPLACE on audit_rules {MESSAGE}'); END")
    for verb in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_head_lock_no_{verb.lower()} BEFORE {verb} ON "
            f"audit_head_lock BEGIN SELECT RAISE(ABORT, '{verb} on audit_head_lock refused: "
            "the writers'' lock row is fixed'); END")


_PG_APPEND = f"""
CREATE FUNCTION audit_log_append_next() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  SELECT seq, entry_hash INTO last_seq, last_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    last_seq := 0;
    last_hash := '{GENESIS}';
  END IF;
  IF NEW.seq IS DISTINCT FROM last_seq + 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      'INSERT on audit_log refused: seq %s is not the next entry after the head (%s); '
      'the audit log is append-only', NEW.seq, last_seq);
  END IF;
  IF NEW.prev_hash IS DISTINCT FROM last_hash THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      'INSERT on audit_log refused: prev_hash of entry %s is not the entry_hash of the head; '
      'the audit log is append-only', NEW.seq);
  END IF;
  IF NEW.entry_hash IS DISTINCT FROM
      encode(sha256(convert_to(NEW.prev_hash || NEW.entry, 'UTF8')), 'hex') THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
      'INSERT on audit_log refused: entry %s does not hash to its entry_hash', NEW.seq);
  END IF;
  RETURN NEW;
END $body$
"""

_PG_RULES = """
CREATE FUNCTION audit_rules_no_replace() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_rules WHERE rules_text_digest = NEW.rules_text_digest) THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
      MESSAGE = 'REPLACE on audit_rules refused: the audit tables are append-only';
  END IF;
  RETURN NEW;
END $body$
"""

_PG_LOCK = """
CREATE FUNCTION audit_head_lock_fixed() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
    MESSAGE = TG_OP || ' on audit_head_lock refused: the writers'' lock row is fixed';
END $body$
"""


def _postgresql() -> None:
    op.execute(_PG_APPEND)
    op.execute("CREATE TRIGGER audit_log_append_next BEFORE INSERT ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION audit_log_append_next()")
    op.execute(_PG_RULES)
    op.execute("CREATE TRIGGER audit_rules_no_replace BEFORE INSERT ON audit_rules "
               "FOR EACH ROW EXECUTE FUNCTION audit_rules_no_replace()")
    op.execute(_PG_LOCK)
    op.execute("CREATE TRIGGER audit_head_lock_fixed BEFORE INSERT OR UPDATE OR DELETE ON "
               "audit_head_lock FOR EACH ROW EXECUTE FUNCTION audit_head_lock_fixed()")
    op.execute("CREATE TRIGGER audit_head_lock_no_truncate BEFORE TRUNCATE ON "
               "audit_head_lock FOR EACH STATEMENT EXECUTE FUNCTION audit_head_lock_fixed()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_next ON audit_log")
        op.execute("DROP TRIGGER audit_rules_no_replace ON audit_rules")
        op.execute("DROP TRIGGER audit_head_lock_fixed ON audit_head_lock")
        op.execute("DROP TRIGGER audit_head_lock_no_truncate ON audit_head_lock")
        for function in ("audit_log_append_next", "audit_rules_no_replace",
                         "audit_head_lock_fixed"):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for name in ("audit_log_append_next", "audit_log_append_linked",
                     "audit_log_append_fits", "audit_rules_no_replace",
                     "audit_head_lock_no_insert", "audit_head_lock_no_update",
                     "audit_head_lock_no_delete"):
            op.execute(f"DROP TRIGGER {name}")
