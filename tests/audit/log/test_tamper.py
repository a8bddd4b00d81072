"""Tampering through raw SQL, triggers dropped, is found by verify at the right entry.

The log made by `_two_runs`: run 1 is entries 1-5 (run, 3 pairs M000n->E000n, 1 unpaired),
run 2 is entries 6-15 (run, 2 pairs, 6 people already paired, 1 unpaired).
"""

from __future__ import annotations

import pytest

from audit.commit import commit_pairing
from audit.log.chain import Head
from audit.log.verify import verify
from tests.audit.builders import cohort_input, ids
from tests.audit.conftest import raw_sql


def _two_runs(url):
    receipts = [commit_pairing(url, "hr", lambda busy, n=n: cohort_input(
        ids("M", n), ids("E", n + 1), busy)) for n in (3, 5)]
    assert verify(url).ok
    return receipts


def _edit(seq, old, new):
    return f"UPDATE audit_log SET entry = replace(entry, '{old}', '{new}') WHERE seq = {seq}"


SWAP = ("UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = -1")


@pytest.mark.parametrize(("statements", "seq", "problem"), [
    # a justification: the `because` of a rule, its evidence, the sentence
    ([_edit(3, "shared professional", "shared personal")], 3, "content"),
    ([_edit(3, '"mentee.job_family":"finance"', '"mentee.job_family":"legal"')], 3, "content"),
    ([_edit(7, "same job family", "same subsidiary")], 7, "content"),
    # a score, of the pair or of one rule
    ([_edit(2, '"score":30', '"score":95')], 2, "content"),
    ([_edit(2, '"points":30', '"points":95')], 2, "content"),
    # a hash
    (["UPDATE audit_log SET entry_hash = '" + "0" * 64 + "' WHERE seq = 4"], 4, "content"),
    (["UPDATE audit_log SET prev_hash = '" + "0" * 64 + "' WHERE seq = 4"], 4, "link"),
    # a deleted row, two swapped rows
    (["DELETE FROM audit_log WHERE seq = 8"], 9, "order"),
    (list(SWAP), 3, "order"),
    # the searchable copy of an id, and the kept rules text
    (["UPDATE audit_log SET mentee_id = 'E0009' WHERE seq = 2"], 2, "index"),
    (["UPDATE audit_rules SET files = replace(files, 'culture', 'kultur')"], 1, "rules"),
])
def test_verify_names_the_first_tampered_entry(db_url, statements, seq, problem):
    """Each change made behind Tandem's back is found, at the entry it was made to."""
    _two_runs(db_url)
    raw_sql(db_url, *statements, drop_triggers=True)
    report = verify(db_url)
    assert report.finding is not None, "tampering went unnoticed"
    assert (report.finding.seq, report.finding.problem) == (seq, problem)


def test_a_deleted_last_run_is_found_only_with_the_recorded_head(db_url):
    """Removing a whole run at the end leaves a valid chain: --expect-head catches it."""
    _, second = _two_runs(db_url)
    raw_sql(db_url, "DELETE FROM audit_log WHERE seq >= 6", drop_triggers=True)
    assert verify(db_url).ok
    report = verify(db_url, Head(second.last_seq, second.head_hash))
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (15, "head")
    assert "entries 6 to 15 were removed" in report.finding.message


def test_a_rewritten_tail_is_found_only_with_the_recorded_head(db_url):
    """An attacker who deletes a run and commits a new one gets a valid chain, not the head."""
    _, second = _two_runs(db_url)
    raw_sql(db_url, "DELETE FROM audit_log WHERE seq >= 6", drop_triggers=True)
    commit_pairing(db_url, "mallory", lambda busy: cohort_input(ids("M", 5), ids("E", 6), busy))
    assert verify(db_url).ok
    report = verify(db_url, Head(second.last_seq, second.head_hash))
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (15, "head")
    assert "rewritten" in report.finding.message


def test_cutting_a_run_short_is_found_at_its_run_entry(db_url):
    """Entries removed from the end of a run: its run entry announced more."""
    _two_runs(db_url)
    raw_sql(db_url, "DELETE FROM audit_log WHERE seq >= 12", drop_triggers=True)
    report = verify(db_url)
    assert report.finding is not None
    assert (report.finding.seq, report.finding.problem) == (6, "run")
