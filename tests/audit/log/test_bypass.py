"""Attacks on the append-only guarantee through SQL, with every trigger in place: each is
refused, and the chain is left whole.

The log made by `_two_runs`: run 1 is entries 1-5, run 2 is entries 6-15 (see test_tamper).
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from audit.commit import commit_pairing
from audit.log.errors import ValueTooLongError
from audit.log.verify import verify
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql

ZEROS = "0" * 64


def _two_runs(url):
    for n in (3, 5):
        commit_pairing(url, "hr", lambda busy, n=n: cohort_input(ids("M", n), ids("E", n + 1),
                                                                  busy))
    return _rows(url)


def _rows(url):
    return raw_sql(url, "SELECT seq, entry, prev_hash, entry_hash, actor FROM audit_log "
                        "ORDER BY seq")[0]


def _copy_of(seq, *, new_seq=None, prev=None, entry_edit=("", ""), actor="actor",
             verb="INSERT"):
    """An INSERT that copies row ``seq`` with some of its fields changed."""
    old, new = entry_edit
    return (f"{verb} INTO audit_log (seq, run_id, kind, at, actor, mentor_id, mentee_id, "
            f"person_id, entry, prev_hash, entry_hash) SELECT {new_seq or 'seq'}, run_id, "
            f"kind, at, {actor}, mentor_id, mentee_id, person_id, "
            f"replace(entry, '{old}', '{new}'), {prev or 'prev_hash'}, entry_hash "
            f"FROM audit_log WHERE seq = {seq}")


def _replace(seq, entry_edit):
    """Rewrite row ``seq`` in place: SQLite's REPLACE, PostgreSQL's ON CONFLICT DO UPDATE."""
    def build(dialect):
        if dialect == "sqlite":
            return _copy_of(seq, entry_edit=entry_edit, verb="INSERT OR REPLACE")
        return (_copy_of(seq, entry_edit=entry_edit) + " ON CONFLICT (seq) DO UPDATE SET "
                "entry = EXCLUDED.entry")
    return build


def _same(sql):
    return lambda _dialect: sql


@pytest.mark.parametrize("attack", [
    # REPLACE deletes the old row without firing delete triggers
    _replace(2, ('"score":30', '"score":95')),
    _replace(1, ('"actor":"hr"', '"actor":"mallory"')),
    # an insert that is not the next entry, or not linked to the head
    _same(_copy_of(15, new_seq="17", prev="entry_hash")),
    _same(_copy_of(15, new_seq="16", prev=f"'{ZEROS}'")),
    _same(_copy_of(3, new_seq="16")),
    # the rules text kept for a run
    lambda d: ("INSERT OR REPLACE INTO audit_rules SELECT rules_text_digest, rules_digest, "
               "'{}', first_seen FROM audit_rules" if d == "sqlite" else
               "INSERT INTO audit_rules SELECT rules_text_digest, rules_digest, '{}', "
               "first_seen FROM audit_rules ON CONFLICT (rules_text_digest) DO UPDATE SET "
               "files = EXCLUDED.files"),
    # the writers' lock row
    _same("DELETE FROM audit_head_lock"),
    _same("UPDATE audit_head_lock SET id = 2"),
    _same("INSERT INTO audit_head_lock VALUES (2)"),
], ids=["replace-pair", "replace-first", "gap", "unlinked", "old-seq", "replace-rules",
        "delete-lock", "update-lock", "insert-lock"])
def test_a_rewrite_through_sql_is_refused(db_url, attack):
    """Each statement is refused by the database; the chain, the rules and the lock are
    unchanged, and commits still land."""
    before = _two_runs(db_url)
    dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with pytest.raises(DBAPIError, match=r"refused|UNIQUE|duplicate"):
        raw_sql(db_url, attack(dialect))
    assert _rows(db_url) == before
    assert verify(db_url).ok
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 6), ids("E", 6), busy))
    assert verify(db_url).ok


@pytest.mark.postgres
def test_truncating_the_lock_table_is_refused_on_postgresql(pg_url):
    """TRUNCATE of the writers' lock is refused like DELETE."""
    _two_runs(pg_url)
    with pytest.raises(DBAPIError, match="refused"):
        raw_sql(pg_url, "TRUNCATE audit_head_lock")
    assert raw_sql(pg_url, "SELECT id FROM audit_head_lock")[0] == [(1,)]


@pytest.mark.postgres
def test_postgresql_refuses_an_insert_that_does_not_hash_to_its_entry_hash(pg_url):
    """A next entry with a forged hash is refused on PostgreSQL, which can hash."""
    _two_runs(pg_url)
    with pytest.raises(DBAPIError, match="does not hash to its entry_hash"):
        raw_sql(pg_url, "INSERT INTO audit_log SELECT 16, run_id, kind, at, actor, mentor_id, "
                        "mentee_id, person_id, replace(entry, '\"seq\":15', '\"seq\":16'), "
                        f"entry_hash, '{ZEROS}' FROM audit_log WHERE seq = 15")


def test_an_actor_longer_than_200_characters_is_refused_on_both_databases(db_url):
    """SQLite refuses what PostgreSQL refuses: the same message, nothing written."""
    with pytest.raises(ValueTooLongError) as info:
        commit_pairing(db_url, "x" * 201,
                       lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    assert str(info.value) == (
        f"the actor '{'x' * 40}'... is 201 characters long, and the audit log keeps at most "
        "200; nothing was written. Give a shorter --actor.")
    assert raw_sql(db_url, "SELECT count(*) FROM audit_log")[0] == [(0,)]
    commit_pairing(db_url, "x" * 200, lambda busy: cohort_input(ids("M", 1), ids("E", 1), busy))
    assert verify(db_url).ok


def test_a_long_actor_inserted_through_sql_is_refused_on_both_databases(db_url):
    """Behind Tandem's back too: a 201-character actor does not fit, on SQLite as well."""
    before = _two_runs(db_url)
    with pytest.raises(DBAPIError, match=r"longer than its column|too long"):
        raw_sql(db_url, _copy_of(15, new_seq="16", prev="entry_hash",
                                 actor="'" + "x" * 201 + "'",
                                 entry_edit=('"seq":15', '"seq":16')))
    assert _rows(db_url) == before
