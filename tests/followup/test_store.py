"""Recording check-ins and outcomes in the audit log, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from audit.followup import (
    CheckinEntry,
    OutcomeEntry,
    RefusedError,
    import_checkins,
    note_matches,
    record_checkins,
    record_outcome,
)
from audit.insights import gather
from audit.log.errors import NoAuditLogError
from audit.log.verify import verify
from audit.review import LogFilter, log
from engine.base.errors import InvalidInput
from engine.followup.facts import Checkin, Outcome
from tests.audit.conftest import raw_sql
from tests.followup.helpers import append_entry, paired_log

TODAY = datetime.now(UTC).date()


def _count(url, table="audit_log"):
    return raw_sql(url, f"SELECT count(*) FROM {table}")[0][0][0]


@pytest.fixture
def url(db_url):
    paired_log(db_url)
    return db_url


def test_a_checkin_is_one_entry_of_the_contract_and_the_chain_verifies(url):
    """checkin: mentor, mentee, on, by, rating, note_digest and the pair's entry."""
    receipt = record_checkins(url, "hr.jane", [Checkin("M0001", "E0001", 4, by="mentee")])
    assert (receipt.first_seq, receipt.last_seq, receipt.recorded) == (6, 6, 1)
    doc = log(url, LogFilter(limit=1))[0].doc
    assert {k: doc[k] for k in ("kind", "mentor", "mentee", "on", "by", "rating",
                                "note_digest", "pair_seq", "actor")} == {
        "kind": "checkin", "mentor": "M0001", "mentee": "E0001", "on": TODAY.isoformat(),
        "by": "mentee", "rating": 4, "note_digest": None, "pair_seq": 2, "actor": "hr.jane"}
    assert verify(url).ok


def test_an_outcome_is_one_entry_of_the_contract(url):
    """outcome: mentor, mentee, result, note_digest and the pair's entry."""
    record_outcome(url, "hr.jane", Outcome("M0002", "E0002", "partial"))
    doc = log(url, LogFilter(limit=1))[0].doc
    assert {k: doc[k] for k in ("kind", "mentor", "mentee", "result", "note_digest",
                                "pair_seq")} == {
        "kind": "outcome", "mentor": "M0002", "mentee": "E0002", "result": "partial",
        "note_digest": None, "pair_seq": 3}


def test_a_note_stays_out_of_the_chain_and_erasing_it_keeps_the_chain_intact(url):
    """The entry holds a salted digest; the text and salt are in audit_note, erasable."""
    record_checkins(url, "hr.jane", [Checkin("M0001", "E0001", 2, note="Ana is overloaded")])
    record_outcome(url, "hr.jane", Outcome("M0001", "E0001", "failure", note="never met"))
    logged = raw_sql(url, "SELECT entry FROM audit_log")[0]
    assert not any("overloaded" in row[0] or "never met" in row[0] for row in logged)
    notes = raw_sql(url, "SELECT note_digest, salt, text FROM audit_note ORDER BY text")[0]
    assert [n[2] for n in notes] == ["Ana is overloaded", "never met"]
    digests = [e.doc["note_digest"] for e in log(url, LogFilter(limit=2))]
    assert sorted(digests) == sorted(n[0] for n in notes)
    assert all(note_matches(*n) for n in notes)
    raw_sql(url, "DELETE FROM audit_note")
    assert verify(url).ok


# Refusals: a clear message, and nothing written

REFUSALS = [
    (Checkin("M0001", "E0004", 3), "M0001 and E0004 were never paired; check the ids "
     "(`tandem status` lists the active pairs); nothing was written. Did you mean M0001 "
     "E0001?"),
    (Checkin("M0001", "E0001", 3, on=TODAY + timedelta(days=1)),
     f"the date {TODAY + timedelta(days=1)} is in the future (today is {TODAY}); give the "
     "day the check-in took place; nothing was written."),
    (Checkin("M0001", "E0001", 3, on=date(2020, 1, 1)),
     f"the date 2020-01-01 is before the pair began ({TODAY}, entry 2); give the day the "
     "check-in took place; nothing was written."),
]


@pytest.mark.parametrize(("fact", "message"), REFUSALS)
def test_a_refused_checkin_says_why_and_writes_nothing(url, fact, message):
    """Unknown pair, future date, date before the pair began: refused, nothing written."""
    with pytest.raises(RefusedError) as caught:
        record_checkins(url, "hr.jane", [fact])
    assert str(caught.value) == message
    assert _count(url) == 5


def test_a_checkin_of_a_separated_pair_is_refused(url):
    """A pair ended by a separation is no longer active: no check-in."""
    append_entry(url, kind="separation", mentor="M0001", mentee="E0001", category="mismatch",
                 reason="styles clash", pair_seq=2)
    with pytest.raises(RefusedError) as caught:
        record_checkins(url, "hr.jane", [Checkin("M0001", "E0001", 3)])
    assert str(caught.value) == (
        f"M0001 and E0001 are not an active pair (separated on {TODAY} (mismatch)); a "
        "check-in is recorded for an active pair only; nothing was written.")
    assert _count(url) == 6


def test_a_second_outcome_for_a_pair_is_refused(url):
    """An outcome is recorded once and never edited: the refusal names the correction."""
    record_outcome(url, "hr.jane", Outcome("M0001", "E0001", "success"))
    with pytest.raises(RefusedError) as caught:
        record_outcome(url, "hr.jane", Outcome("M0001", "E0001", "failure"))
    assert str(caught.value) == (
        "M0001 and E0001 already have an outcome (success, entry 6); an outcome is recorded "
        "once: to correct it, `tandem outcome M0001 E0001 --result RESULT --correct --reason "
        "TEXT` records a correction that supersedes it; nothing was written.")
    assert _count(url) == 6


def test_an_outcome_for_a_pair_never_formed_is_refused(url):
    """An unknown pair gets no outcome."""
    with pytest.raises(RefusedError):
        record_outcome(url, "hr.jane", Outcome("M0009", "E0009", "success"))
    assert _count(url) == 5


def test_without_a_log_nothing_is_created(sqlite_url):
    """A check-in to a database with no log says how to make one, and creates nothing."""
    with pytest.raises(NoAuditLogError):
        record_checkins(sqlite_url, "hr.jane", [Checkin("M1", "E1", 3)])


# Importing a survey export

def _survey(tmp_path, rows):
    path = tmp_path / "survey.csv"
    path.write_text("mentor,mentee,on,by,rating,note\n" + "".join(r + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_an_import_writes_nothing_unless_every_row_is_valid(url, tmp_path):
    """Bad rows, by the schema or by the log, are all listed, in file order; nothing is
    written."""
    path = _survey(tmp_path, ["M0001,E0001,,mentee,4,good", "M0003,E0009,,,5,",
                              "M0002,E0002,,mentr,3,"])
    with pytest.raises(InvalidInput) as caught:
        import_checkins(url, "hr.jane", path)
    assert [p.render() for p in caught.value.problems] == [
        f"{path}: row 3: error: M0003 and E0009 were never paired; check the ids (`tandem "
        "status` lists the active pairs); did you mean 'M0003 E0003'?",
        f"{path}: row 4, column by: error: 'mentr' is not one of ['mentor', 'mentee']; "
        "did you mean 'mentor'?"]
    assert _count(url) == 5


def test_skip_invalid_records_the_valid_rows_and_lists_the_others(url, tmp_path):
    """With skip_invalid the valid rows are written in one run; the skipped come back."""
    path = _survey(tmp_path, ["M0001,E0001,,mentee,4,good", "M0002,E0002,,mentr,3,",
                              "M0003,E0009,,,5,", "M0003,E0003,,mentor,2,"])
    receipt = import_checkins(url, "hr.jane", path, skip_invalid=True)
    assert (receipt.recorded, len(receipt.skipped)) == (2, 2)
    assert [p.path for p in receipt.skipped] == ["row 3, column by", "row 4"]
    logged = [e.doc for e in log(url, LogFilter(limit=2))]
    assert [(d["mentor"], d["rating"]) for d in logged] == [("M0003", 2), ("M0001", 4)]
    assert len({d["run"] for d in logged}) == 1
    assert _count(url, "audit_note") == 1


# What the statistics read back

def test_results_come_from_outcomes_and_failure_separations(url):
    """An outcome is the result; a mismatch separation is a failure unless an outcome says
    otherwise; a conflict is an eligibility error, leaving the company attrition."""
    append_entry(url, kind="separation", mentor="M0001", mentee="E0001", category="conflict",
                 reason="", pair_seq=2)
    append_entry(url, kind="separation", mentor="M0002", mentee="E0002", category="mismatch",
                 reason="", pair_seq=3)
    append_entry(url, kind="separation", mentor="M0003", mentee="E0003",
                 category="left-company", reason="", pair_seq=4)
    record_outcome(url, "hr.jane", Outcome("M0002", "E0002", "partial"))
    facts = gather(url)
    assert [(f.mentor, f.result, f.source) for f in facts][:3] == [
        ("M0001", "ineligible", "separation"), ("M0002", "partial", "outcome"),
        ("M0003", "attrition", "separation")]
    assert len(facts) == 3
    assert facts[0].fired == ("culture/same-job-family",)
    assert facts[0].mentor_profile is not None
    assert facts[0].mentor_profile["job_family"] == "finance"
    assert gather(url, partial_as_failure=True)[1].result == "failure"


def test_since_keeps_the_pairs_formed_on_or_after_the_day(url):
    """--since filters by the day the pair was formed."""
    record_outcome(url, "hr.jane", Outcome("M0001", "E0001", "success"))
    assert [f.result for f in gather(url, since=TODAY)].count("success") == 1
    assert gather(url, since=TODAY + timedelta(days=1)) == []


def test_an_erased_snapshot_leaves_the_rules_but_not_the_profiles(url):
    """After the profiles are erased, the pair keeps its result and rules, no profile."""
    record_outcome(url, "hr.jane", Outcome("M0001", "E0001", "success"))
    raw_sql(url, "DELETE FROM audit_snapshot")
    fact = gather(url)[0]
    assert (fact.result, fact.fired) == ("success", ("culture/same-job-family",))
    assert fact.mentor_profile is None and fact.mentee_profile is None


# The entry kinds as frozen dataclasses

STORED = [
    (CheckinEntry, {"actor": "hr.jane", "at": "2026-11-30T09:49:21.463653Z", "by": "mentee",
                    "kind": "checkin", "mentee": "E07", "mentor": "M01",
                    "note_digest": "sha256:" + "8" * 64, "on": "2026-11-30", "pair_seq": 2,
                    "rating": 4, "run": "20261130T094921Z-e6a192"}),
    (OutcomeEntry, {"actor": "hr.jane", "at": "2026-11-30T09:49:25.164761Z",
                    "kind": "outcome", "mentee": "E07", "mentor": "M01", "note_digest": None,
                    "pair_seq": 2, "result": "success", "run": "20261130T094925Z-bffb3d"}),
]


@pytest.mark.parametrize(("kind", "doc"), STORED, ids=["checkin", "outcome"])
def test_each_kind_reads_back_the_entry_it_writes(kind, doc):
    """of(doc).as_doc() is the stored entry (docs/audit.md shows these), key for key."""
    assert kind.of(doc).as_doc() == doc


def test_compare_counts_past_pairs_without_kept_profiles_as_not_checked(url):
    """Erased profiles cannot be re-paired: such pairs are counted, not guessed."""
    from audit.insights import past_cohorts
    from engine.base.resources import rules_dir
    from engine.pairing.compare import compare_history
    from engine.rules.ruleset import load_rules

    record_outcome(url, "hr.jane", Outcome("M0001", "E0001", "success"))
    raw_sql(url, "DELETE FROM audit_snapshot")
    rules = load_rules(rules_dir())
    found = compare_history(past_cohorts(url), rules, rules)
    assert (found["runs"], found["not_checked"], found["success"]["pairs"]) == (1, 1, 0)
