"""The kept state: a cache of the fold that reads start from, never trusted over the log.

The fold kept as JSON and read back, then fed the rest of the log, is the fold of the whole
log, at every prefix of any log; a database keeps it only when the entries folded check out,
ignores it when its entry changed or its version differs, and `verify` reports and rebuilds
one that disagrees with the log.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from audit import state as state_module
from audit.commit import commit_pairing
from audit.followup import record_checkins, record_outcome
from audit.log import db as database
from audit.log import kept, store
from audit.log.verify import verify
from audit.state import KeptStateCheck, _Fold, derive_state, folded, program_state
from engine.followup.facts import Checkin, Outcome
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql

PEOPLE_M = ("M1", "M2", "M3")
PEOPLE_E = ("E1", "E2", "E3")
RUNS = ("R1", "R2", "R3")
AT = st.sampled_from(["2026-09-01T10:00:00.000000Z", "2026-10-01T10:00:00.000000Z"])
SCORE = st.one_of(st.integers(0, 90), st.floats(0, 90, allow_nan=False).map(lambda x: round(x, 3)))
M, E, RUN = st.sampled_from(PEOPLE_M), st.sampled_from(PEOPLE_E), st.sampled_from(RUNS)
# A decision is a command of its own: its run id is never a pairing run's.
DECIDING = st.sampled_from(("D1", "D2"))
REVIEWED = st.sampled_from((*RUNS, "D1", "D2"))
TEXT = st.sampled_from(["", "stalled", "moved", "échec"])

# -- entries of every kind the fold reads, with the keys it reads -------------------------
ENTRY = st.one_of(
    st.fixed_dictionaries({"kind": st.just("run"), "run": RUN, "at": AT, "actor": TEXT,
                           "approval": st.sampled_from(["required", "none"]),
                           "command": st.sampled_from(["pair", "reassign"]),
                           "input_digest": st.sampled_from(["sha256:a", "sha256:b"]),
                           "settings": st.fixed_dictionaries(
                               {"default_capacity": st.integers(1, 3)})}),
    st.fixed_dictionaries({"kind": st.sampled_from(["pair", "reassignment"]), "mentor": M,
                           "mentee": E, "score": SCORE, "at": AT, "run": RUN}),
    st.fixed_dictionaries({"kind": st.just("decision"),
                           "decision": st.sampled_from(["force", "forbid"]), "mentor": M,
                           "mentee": E, "score": SCORE, "at": AT, "run": DECIDING,
                           "actor": TEXT,
                           "reason": TEXT, "vouched": TEXT,
                           "approval": st.sampled_from(["required", "none"])}),
    st.fixed_dictionaries({"kind": st.just("separation"), "mentor": M, "mentee": E, "at": AT,
                           "actor": TEXT, "category": TEXT, "reason": TEXT,
                           "pair_seq": st.integers(0, 30)}),
    st.fixed_dictionaries({"kind": st.just("approval"), "approves": REVIEWED, "actor": TEXT,
                           "at": AT}),
    st.fixed_dictionaries({"kind": st.just("rejection"), "rejects": REVIEWED, "actor": TEXT}),
    st.fixed_dictionaries({"kind": st.just("withdrawal"), "person": M | E, "at": AT,
                           "actor": TEXT, "reason": TEXT,
                           "role": st.sampled_from(["", "mentor", "mentee"])}),
    st.fixed_dictionaries({"kind": st.just("rejoin"), "person": M | E}),
    st.fixed_dictionaries({"kind": st.sampled_from(["outcome", "correction"]), "mentor": M,
                           "mentee": E, "at": AT,
                           "result": st.sampled_from(["success", "partial", "failure"]),
                           "pair_seq": st.integers(0, 30)}),
    st.fixed_dictionaries({"kind": st.just("checkin"), "mentor": M, "mentee": E,
                           "on": st.sampled_from(["2026-09-02", "2026-10-02", "not a day"]),
                           "pair_seq": st.integers(0, 30)}),
    st.fixed_dictionaries({"kind": st.just("unpaired"), "person": M | E,
                           "role": st.sampled_from(["mentor", "mentee"]),
                           "reason": st.sampled_from(["outscored", "already-paired"]),
                           "why": TEXT}),
)


def _numbered(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**doc, "seq": i} for i, doc in enumerate(docs, start=1)]


@settings(max_examples=150, deadline=None)
@given(st.lists(ENTRY, max_size=30))
def test_kept_then_tail_is_the_fold_from_scratch_at_every_prefix(docs):
    """For every k: the fold of the first k entries, kept as JSON and read back, then fed
    the rest, gives the same state (and the same kept JSON) as the fold of them all."""
    docs = _numbered(docs)
    whole = derive_state(docs)
    scratch = _Fold()
    for doc in docs:
        scratch.feed(doc)
    for k in range(len(docs) + 1):
        prefix = _Fold()
        for doc in docs[:k]:
            prefix.feed(doc)
        fold = _Fold.restore(json.loads(json.dumps(prefix.dump())))
        assert fold.state() == derive_state(docs[:k])
        for doc in docs[k:]:
            fold.feed(doc)
        assert fold.state() == whole
        assert json.dumps(fold.dump()) == json.dumps(scratch.dump())


# -- on a database -------------------------------------------------------------------------

def _kept_row(url: str) -> dict[str, Any] | None:
    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            return kept.stored(conn)
    finally:
        db.dispose()


def _read(url: str) -> tuple[Any, Any]:
    """(the state as read, with the kept state; the fold of every entry from scratch)."""
    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            return folded(conn), derive_state(store.all_docs(conn))
    finally:
        db.dispose()


def _grow(url: str) -> None:
    commit_pairing(url, "hr", lambda busy: cohort_input(ids("M", 4), ids("E", 5), busy))
    record_checkins(url, "hr", [Checkin("M0001", "E0001", 4), Checkin("M0002", "E0002", 3)])
    commit_pairing(url, "hr", lambda busy: cohort_input(ids("M", 6), ids("E", 7), busy))


def test_a_long_tail_is_kept_and_the_next_read_starts_from_it(db_url, monkeypatch):
    """A read that folds KEEP_AFTER entries or more keeps the state at the head; the next
    read folds only the entries written since, and agrees with the fold from scratch."""
    monkeypatch.setattr(state_module, "KEEP_AFTER", 3)
    _grow(db_url)
    first, scratch = _read(db_url)
    assert first.tail >= 3 and first.state == scratch
    row = _kept_row(db_url)
    assert row is not None and row["seq"] == first.head
    record_outcome(db_url, "hr", Outcome("M0001", "E0001", "success"))
    second, scratch = _read(db_url)
    assert (second.kept, second.tail) == (first.head, second.head - first.head)
    assert second.state == scratch and second.finding is None


def test_a_writer_keeps_the_state_it_read_under_the_lock(db_url, monkeypatch):
    """A run reads the state under the writers' lock and keeps it: the next read starts
    from the head the run saw."""
    monkeypatch.setattr(state_module, "KEEP_AFTER", 3)
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 4), ids("E", 5), busy))
    seen = store_head(db_url)
    commit_pairing(db_url, "hr", lambda busy: cohort_input(ids("M", 6), ids("E", 7), busy))
    row = _kept_row(db_url)
    assert row is not None and row["seq"] == seen
    now, scratch = _read(db_url)
    assert now.kept == seen and now.state == scratch


def store_head(url: str) -> int:
    db = database.open_for_read(url)
    try:
        with db.reading() as conn:
            return store.head(conn)[0]
    finally:
        db.dispose()


@pytest.mark.parametrize("change", [
    "UPDATE audit_state SET version = 'another version'",
    "UPDATE audit_state SET entry_hash = '" + "0" * 64 + "'",
    "UPDATE audit_state SET state = '{not json'",
])
def test_a_stale_or_foreign_kept_state_is_ignored_and_rebuilt(db_url, monkeypatch, change):
    """A kept state of another version, recorded against another hash, or unreadable, is
    never used: the read folds from entry 1, and keeps a good state in its place."""
    monkeypatch.setattr(state_module, "KEEP_AFTER", 3)
    _grow(db_url)
    _read(db_url)
    raw_sql(db_url, change)
    now, scratch = _read(db_url)
    assert now.kept == 0 and now.state == scratch
    row = _kept_row(db_url)
    assert row is not None and row["version"] == state_module.fold_version()
    assert _read(db_url)[0].kept == row["seq"]


def test_verify_reports_a_kept_state_that_disagrees_with_the_log_and_rebuilds_it(
        db_url, monkeypatch):
    """A kept state changed behind Tandem's back (a pair that does not exist) misleads
    nothing past `verify`: it reports it as damage, and the next read is right again."""
    monkeypatch.setattr(state_module, "KEEP_AFTER", 3)
    _grow(db_url)
    before, scratch = _read(db_url)
    raw_sql(db_url, "UPDATE audit_state SET state = replace(state, '\"M0001\",\"E0001\"', "
                    "'\"M0001\",\"E0005\"')")
    assert _read(db_url)[0].state != scratch  # the cache is believed until verify runs
    report = verify(db_url, state_check=KeptStateCheck)
    assert report.finding is not None and report.finding.problem == "state"
    assert report.finding.seq == before.head
    after, scratch = _read(db_url)
    assert after.kept == before.head and after.state == scratch
    assert verify(db_url, state_check=KeptStateCheck).finding is None


def test_a_read_only_reader_reads_without_keeping(tmp_path, monkeypatch):
    """On a database opened read-only nothing is written, and the read is still right."""
    monkeypatch.setattr(state_module, "KEEP_AFTER", 3)
    path = tmp_path / "tandem.db"
    _grow(f"sqlite:///{path}")
    url = f"sqlite:///{path}?mode=ro"
    before = _kept_row(url)
    now, scratch = _read(url)
    assert now.state == scratch and now.tail >= 3
    assert _kept_row(url) == before


def test_program_state_is_the_fold_of_the_whole_log(db_url, monkeypatch):
    """`program_state(conn)` keeps its meaning: the fold of every well-formed entry."""
    monkeypatch.setattr(state_module, "KEEP_AFTER", 2)
    _grow(db_url)
    for _ in range(2):
        db = database.open_for_read(db_url)
        try:
            with db.reading() as conn:
                assert program_state(conn) == derive_state(store.all_docs(conn))
        finally:
            db.dispose()


def test_kept_capacities_read_as_the_whole_profiles_do(db_url):
    """The capacities read out of the kept profiles by the database are those of the
    parsed profiles: kept ones, a capacity of 2, and the default for a mentor not kept."""
    from audit.state import capacities, kept_capacities, kept_profiles
    from tests.audit.builders import profile

    def with_capacity(busy):
        made = cohort_input(ids("M", 3), ids("E", 4), busy)
        made.profiles[0] = {**profile("M0001", "mentor"), "capacity": 2}
        return made

    commit_pairing(db_url, "hr", with_capacity)
    db = database.open_for_read(db_url)
    try:
        with db.reading() as conn:
            state = program_state(conn)
            kept_caps = kept_capacities(conn, state)
            assert kept_caps == capacities(kept_profiles(conn, state), state)
            assert kept_caps["M0001"] == 2
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_commands_read_one_truth_through_a_state_kept_at_every_read(backend, request,
                                                                       monkeypatch):
    """The one-truth state machine (tests/program/test_one_truth_machine.py), with a state
    kept by every read and write that folds an entry: status, explain, history, the export
    and the model still agree."""
    from tests.program import test_one_truth_machine as one_truth

    if backend == "postgres":
        request.getfixturevalue("pg_server")
    monkeypatch.setattr(state_module, "KEEP_AFTER", 1)
    machine = type(f"KeptOneTruth_{backend}", (one_truth.OneTruth,), {"backend": backend})
    machine.TestCase.settings = one_truth.PROFILE
    machine.TestCase().runTest()


def _about(docs, people):
    """The entries `store.docs_about` reads for these people, as a filter in Python."""
    named = [d for d in docs if {d.get("mentor"), d.get("mentee"), d.get("person")} & people
             or d["kind"] in ("approval", "rejection")]
    runs = {d.get("run") for d in named}
    waiting = [d for d in docs if d["kind"] == "run" and d["run"] in runs
               and d.get("approval") == "required"]
    return sorted([*named, *waiting], key=lambda d: d["seq"])


@settings(max_examples=150, deadline=None)
@given(st.lists(ENTRY, max_size=30), st.sets(M | E, max_size=3))
def test_the_standing_of_some_people_folds_only_their_entries(docs, people):
    """A dry run about a few people folds only the entries about them (and the approvals,
    rejections and waiting runs): their places, their couples' past and their withdrawals
    are those of the whole log."""
    from audit.state import standing_for

    # Each decision is a command of its own, with a run id of its own (two decisions under
    # one id would be one proposal replacing the other, which no log holds).
    deciding = [d["run"] for d in docs if d["kind"] == "decision"]
    assume(len(deciding) == len(set(deciding)))
    docs = _numbered(docs)
    assert standing_for(derive_state(_about(docs, people)), people) == \
        standing_for(derive_state(docs), people)


def test_current_standing_reads_the_people_by_the_index(db_url):
    """On a database: the standing of a few people is the whole state's, restricted."""
    from audit.commit import current_standing, current_state
    from audit.state import standing_for

    _grow(db_url)
    record_outcome(db_url, "hr", Outcome("M0002", "E0002", "failure"))
    people = ["M0001", "M0002", "E0002", "E0007", "nobody"]
    assert current_standing(db_url, people) == standing_for(current_state(db_url), people)


def test_a_reader_does_not_wait_for_a_writer_to_keep_the_state(db_url, monkeypatch):
    """While a writer holds the lock, a read that would keep a state reads as well and
    keeps nothing (it never waits for the lock); the next read keeps it."""
    from audit.log.migrate import open_for_write

    monkeypatch.setattr(state_module, "KEEP_AFTER", 3)
    _grow(db_url)
    before = _kept_row(db_url)
    writer = open_for_write(db_url)
    try:
        with writer.writing():
            now, scratch = _read(db_url)
            assert now.state == scratch and now.tail >= 3
    finally:
        writer.dispose()
    assert _kept_row(db_url) == before
    after, _ = _read(db_url)
    row = _kept_row(db_url)
    assert row is not None and row["seq"] == after.head
