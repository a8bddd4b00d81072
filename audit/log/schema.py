"""The audit tables as SQLAlchemy Core objects, for the queries. Migrations create them.

``audit_log`` is the hash chain, append-only (triggers refuse UPDATE and DELETE, and any
INSERT that is not the next entry linked to the head).
``audit_rules`` keeps the exact rule files' text for each run, append-only too.
``audit_snapshot`` keeps whole profiles by input digest, outside the chain, so that they
can be erased. ``audit_note`` keeps the free-text notes of check-ins and outcomes, outside
the chain too, so that they can be erased; the chain holds a salted digest of each.
``audit_head_lock`` holds one row that writers lock on PostgreSQL.
``audit_state`` keeps the program's state folded up to one entry (its seq and entry_hash),
so that a read folds only the entries after it (`audit.state.folded`). A cache, not a
record: it holds nothing the log does not give, and is replaced whole; a row whose entry no
longer has that hash, or made by another version of the fold, is ignored and rebuilt.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

# Schema revisions, oldest first, as named by the files in audit/log/migrations/versions.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
HEAD = REVISIONS[-1]

metadata = MetaData()

log = Table(
    "audit_log", metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=False),
    Column("run_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("mentor_id", String(64)),
    Column("mentee_id", String(64)),
    Column("person_id", String(64)),
    Column("entry", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

rules = Table(
    "audit_rules", metadata,
    Column("rules_text_digest", String(80), primary_key=True),
    Column("rules_digest", String(80), nullable=False),
    Column("files", Text, nullable=False),
    Column("first_seen", String(32), nullable=False),
)

snapshot = Table(
    "audit_snapshot", metadata,
    Column("input_digest", String(80), primary_key=True),
    Column("person_id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("profile", Text, nullable=False),
)

note = Table(
    "audit_note", metadata,
    Column("note_digest", String(80), primary_key=True),
    Column("salt", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", String(32), nullable=False),
)

head_lock = Table(
    "audit_head_lock", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
)

state = Table(
    "audit_state", metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=False),
    Column("entry_hash", String(64), nullable=False),
    Column("version", String(80), nullable=False),
    Column("state", Text, nullable=False),
)
