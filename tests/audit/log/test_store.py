"""Recording runs and reading them back, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest

from audit.commit import CommitInput, active_people, commit_pairing
from audit.export import export
from audit.log import db as database
from audit.log.errors import InvalidResultError, LockTimeoutError, NoAuditLogError
from audit.log.verify import verify
from audit.review import LogFilter, log, show, status
from engine.base.errors import TandemError
from tests.audit.builders import RULES_FILES, cohort_input, ids, pair, result
from tests.audit.conftest import raw_sql

MENTORS, MENTEES = ids("M", 3), ids("E", 4)


def _commit(url, mentors=MENTORS, mentees=MENTEES, actor="hr.jane", seen=None):
    def compute(busy):
        if seen is not None:
            seen.append(busy)
        return cohort_input(mentors, mentees, busy)
    return commit_pairing(url, actor, compute)


def _count(url, table="audit_log"):
    return raw_sql(url, f"SELECT count(*) FROM {table}")[0][0][0]


def test_a_commit_records_the_run_its_pairs_and_its_unpaired(db_url):
    """One run entry, one entry per pair, one per unpaired person; the chain verifies."""
    receipt = _commit(db_url)
    assert (receipt.first_seq, receipt.last_seq, receipt.entries) == (1, 5, 5)
    assert (receipt.pairs, receipt.unpaired, receipt.already_paired) == (3, 1, ())
    kinds = [e.doc["kind"] for e in reversed(log(db_url, LogFilter()))]
    assert kinds == ["run", "pair", "pair", "pair", "unpaired"]
    report = verify(db_url)
    assert report.ok
    assert (report.head.seq, report.head.entry_hash) == (5, receipt.head_hash)
    assert receipt.head == f"5:{receipt.head_hash}"


def test_the_run_entry_says_who_when_and_on_what(db_url):
    """Actor, UTC time, digests, settings and version are in the run entry."""
    _commit(db_url, actor="hr.jane")
    run = log(db_url, LogFilter())[-1].doc
    assert run["actor"] == "hr.jane"
    assert datetime.strptime(run["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert run["rules_digest"] == "sha256:" + "a" * 64
    assert run["input_digest"] == "sha256:" + "b" * 64
    assert run["settings"]["objective"] == "participation"
    assert run["tandem_version"] == "0.1.0"


def test_the_actor_defaults_to_the_os_user(db_url, monkeypatch):
    """Without --actor, the OS user is recorded."""
    monkeypatch.setattr("getpass.getuser", lambda: "os.user")
    _commit(db_url, actor=None)
    assert {e.doc["actor"] for e in log(db_url, LogFilter())} == {"os.user"}


def test_people_in_active_pairs_are_given_to_compute_and_not_paired_again(db_url):
    """A second commit sees the first one's pairs as busy, pairs the others, and says so."""
    seen: list[frozenset[str]] = []
    _commit(db_url, seen=seen)
    second = _commit(db_url, ids("M", 5), ids("E", 5), seen=seen)
    assert seen[0] == frozenset()
    assert seen[1] == {"M0001", "M0002", "M0003", "E0001", "E0002", "E0003"}
    assert second.already_paired == ("E0001", "E0002", "E0003", "M0001", "M0002", "M0003")
    assert second.pairs == 2
    assert active_people(db_url) == seen[1] | {"M0004", "M0005", "E0004", "E0005"}
    assert len(status(db_url).active) == 5
    assert verify(db_url).ok


def test_a_failing_computation_writes_nothing(db_url):
    """An error inside the transaction rolls back everything, even the first-use schema."""
    _commit(db_url)
    before = _count(db_url)

    def compute(busy):
        raise TandemError("the engine failed")
    with pytest.raises(TandemError, match="the engine failed"):
        commit_pairing(db_url, "hr", compute)
    assert _count(db_url) == before


def test_a_result_pairing_a_busy_person_writes_nothing(db_url):
    """The store refuses a result that pairs someone already in an active pair."""
    _commit(db_url)
    before = (_count(db_url), _count(db_url, "audit_snapshot"))
    with pytest.raises(InvalidResultError, match="M0001, who is already in an active pair"):
        commit_pairing(db_url, "hr", lambda busy: CommitInput(
            result([pair("M0001", "E0009")]), RULES_FILES, []))
    assert (_count(db_url), _count(db_url, "audit_snapshot")) == before


def test_the_rules_text_is_kept_once_per_distinct_text(db_url):
    """Two runs under the same rules keep one copy; changed rules keep another."""
    _commit(db_url)
    _commit(db_url, ids("M", 5), ids("E", 5))
    assert _count(db_url, "audit_rules") == 1
    commit_pairing(db_url, "hr", lambda busy: CommitInput(
        result([pair("M0009", "E0009")]), {"culture.yaml": "rules: []\n"}, []))
    assert _count(db_url, "audit_rules") == 2
    view = show(db_url, 1, rules_text=True)
    assert view.rules_files == RULES_FILES


def test_protected_data_is_stored_in_the_erasable_snapshot_only(db_url):
    """Protected data goes to the snapshot table only (for fairness monitoring), in rows of
    its own beside the profiles, never to the log or the rules; the log has no names."""
    _commit(db_url)
    text = json.dumps(raw_sql(db_url, "SELECT * FROM audit_log", "SELECT * FROM audit_rules"),
                      default=str)
    assert "protected" not in text
    assert "birth_year" not in text
    kept = raw_sql(db_url, "SELECT input_digest, profile FROM audit_snapshot")[0]
    assert _count(db_url, "audit_snapshot") == 14
    assert sorted({key.split(":")[0] for key, _ in kept}) == ["protected", "sha256"]
    assert all(("birth_year" in text) == key.startswith("protected:") for key, text in kept)
    log_text = json.dumps(raw_sql(db_url, "SELECT entry FROM audit_log"))
    assert "Name M0001" not in log_text


def test_erasing_the_snapshot_keeps_the_chain_intact(db_url):
    """Profiles can be deleted; show then says so, and the log still verifies."""
    _commit(db_url)
    assert show(db_url, 2).names == {"M0001": "Name M0001", "E0001": "Name E0001"}
    raw_sql(db_url, "DELETE FROM audit_snapshot")
    assert show(db_url, 2).names == {}
    assert verify(db_url).ok


# -- the database itself refuses to change the log
@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor = 'mallory'",
    "DELETE FROM audit_log WHERE seq = 2",
    "UPDATE audit_rules SET files = '{}'",
    "DELETE FROM audit_rules",
])
def test_the_database_refuses_update_and_delete(db_url, statement):
    """Triggers refuse UPDATE and DELETE on the log and the rules text, on both databases."""
    _commit(db_url)
    with pytest.raises(Exception, match="append-only"):
        raw_sql(db_url, statement)
    assert verify(db_url).ok


@pytest.mark.postgres
def test_postgresql_refuses_truncate(pg_url):
    """TRUNCATE, which skips row triggers, is refused too."""
    _commit(pg_url)
    with pytest.raises(Exception, match="append-only"):
        raw_sql(pg_url, "TRUNCATE audit_log")


def test_a_writer_waits_a_bounded_time_for_the_lock_then_says_why(db_url):
    """While another writer holds the chain, a commit gives up after the timeout, writes
    nothing, and says what to do."""
    _commit(db_url)
    holder = database.Database(db_url, 5)
    try:
        with holder.writing(), pytest.raises(LockTimeoutError) as info:
            commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 9), ids("E", 9),
                                                                   busy), lock_timeout=0.5)
    finally:
        holder.dispose()
    assert "for more than 0.5 s" in str(info.value)
    assert "TANDEM_LOCK_TIMEOUT" in str(info.value)
    assert _count(db_url) == 5


def test_reading_a_database_without_a_log_creates_nothing(tmp_path):
    """log, show, verify and status need a log; they never create one."""
    url = f"sqlite:///{tmp_path / 'none.db'}"
    for read in (lambda: log(url, LogFilter()), lambda: show(url, 1), lambda: verify(url),
                 lambda: status(url)):
        with pytest.raises(NoAuditLogError, match="tandem pair COHORT --commit"):
            read()
    assert active_people(url) == frozenset()
    assert not (tmp_path / "none.db").exists()


def test_the_default_database_is_tandem_db_in_the_working_directory(tmp_path, monkeypatch):
    """Without --db or TANDEM_DB, the log is ./tandem.db; TANDEM_DB selects another."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TANDEM_DB", raising=False)
    _commit(None)
    assert Path("tandem.db").is_file()
    monkeypatch.setenv("TANDEM_DB", f"sqlite:///{tmp_path / 'other.db'}")
    _commit(None)
    assert (tmp_path / "other.db").is_file()


# -- reading
def test_log_filters_combine_and_list_newest_first(db_url):
    """--person, --pair, --run, --since and --limit select entries; newest first."""
    first = _commit(db_url)
    _commit(db_url, ids("M", 5), ids("E", 5))

    def seqs(**where):
        return [e.seq for e in log(db_url, LogFilter(**where))]
    assert seqs() == list(range(14, 0, -1))
    assert seqs(person="E0004") == [7, 5]
    assert seqs(person="E0004", run=first.run_id) == [5]
    assert seqs(pair=("M0002", "E0002")) == [3]
    assert seqs(run=first.run_id) == [5, 4, 3, 2, 1]
    assert seqs(run=first.run_id[:-3], limit=2) in ([14, 13], [5, 4])  # a prefix of the id
    assert seqs(since=datetime(2000, 1, 1), limit=3) == [14, 13, 12]
    assert seqs(since=datetime(2999, 1, 1)) == []


def test_status_lists_active_pairs_and_free_people(db_url):
    """The state derived from the log: 3 pairs, and the one mentee left free."""
    _commit(db_url)
    state = status(db_url)
    assert [(p.mentor, p.mentee) for p in state.active] == [
        ("M0001", "E0001"), ("M0002", "E0002"), ("M0003", "E0003")]
    assert [(f.id, f.role, f.reason) for f in state.free] == [("E0004", "mentee", "outscored")]


def test_export_writes_every_entry_and_the_rules(db_url):
    """JSON lines: every entry with its hashes, then the rules texts; profiles (and their
    protected data) on request."""
    _commit(db_url)
    out = io.StringIO()
    assert export(db_url, "jsonl", out) == 5
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["type"] for line in lines] == ["entry"] * 5 + ["rules"]
    assert lines[-1]["files"] == RULES_FILES
    with_profiles = io.StringIO()
    export(db_url, "jsonl", with_profiles, snapshots=True)
    kept = [json.loads(line) for line in with_profiles.getvalue().splitlines()
            if '"type": "snapshot"' in line]
    assert len(kept) == 14  # 7 profiles, and the protected data of each, under its own key
    assert sum(k["input_digest"].startswith("protected:") for k in kept) == 7


def test_a_streamed_read_leaves_the_connection_able_to_take_a_savepoint(db_url):
    """Streaming is asked of each statement, not of the connection: after a streamed read,
    the same transaction can still open a savepoint (PostgreSQL refuses one sent through a
    server-side cursor, and then aborts the whole transaction)."""
    from sqlalchemy import text

    from audit.log import store

    _commit(db_url)
    db = database.open_for_read(db_url)
    try:
        with db.reading() as conn:
            assert len(list(store.select_rows(conn, LogFilter(person=MENTEES[0])))) > 0
            assert len(list(store.iter_rows(conn))) == 5
            assert "yield_per" not in conn.get_execution_options()
            with conn.begin_nested():
                assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()
