"""`tandem separate`: end an active pair, or refuse with a clear message and write nothing."""

from __future__ import annotations

import json

import pytest

from audit.log.verify import verify
from audit.review import status
from tests.program.conftest import entries

REASON = "Sessions kept being cancelled"


@pytest.fixture
def paired(cohort, tandem, db_url):
    """M01 (capacity 2) with E07 and E10, M02 with E22: entries 1 to 4."""
    code, _, err = tandem("pair", cohort("c", ["M01", "M02", "E07", "E10", "E22"]),
                          "--commit", "--actor", "hr.jane")
    assert code == 0, err
    assert [(e["kind"], e.get("mentor"), e.get("mentee")) for e in entries(db_url)] == [
        ("run", None, None), ("pair", "M01", "E07"), ("pair", "M01", "E10"),
        ("pair", "M02", "E22")]
    return db_url


def test_a_dry_run_shows_the_entry_and_writes_nothing(paired, tandem):
    """Without --commit the separation entry is printed, and the log is unchanged."""
    code, out, _ = tandem("separate", "M01", "E07", "--reason", REASON, "--category",
                          "mismatch", "--actor", "hr.jane", "--format", "json")
    assert code == 0
    shown = json.loads(out)
    assert shown["committed"] is False
    (entry,) = shown["entries"]
    assert {k: entry[k] for k in ("kind", "mentor", "mentee", "category", "reason",
                                  "pair_seq", "actor")} == {
        "kind": "separation", "mentor": "M01", "mentee": "E07", "category": "mismatch",
        "reason": REASON, "pair_seq": 2, "actor": "hr.jane"}
    assert len(entries(paired)) == 4


def test_a_separation_ends_the_pair_and_frees_both(paired, tandem):
    """--commit appends one separation entry; both people are free; nothing is deleted."""
    code, out, err = tandem("separate", "M01", "E07", "--reason", f"  {REASON} ",
                            "--category", "mismatch", "--actor", "hr.jane", "--commit")
    assert code == 0, err
    assert out.startswith("Recorded the separation of M01 and E07 in ")
    log = entries(paired)
    assert len(log) == 5 and log[1]["kind"] == "pair"  # the pair entry is still there
    assert {k: log[4][k] for k in ("seq", "kind", "mentor", "mentee", "category", "reason",
                                   "pair_seq", "actor")} == {
        "seq": 5, "kind": "separation", "mentor": "M01", "mentee": "E07",
        "category": "mismatch", "reason": REASON, "pair_seq": 2, "actor": "hr.jane"}
    state = status(paired)
    assert [(p.mentor, p.mentee) for p in state.active] == [("M01", "E10"), ("M02", "E22")]
    assert [(f.id, f.reason, f.seq) for f in state.free] == [("E07", "separated", 5)]
    assert verify(paired).ok


REFUSALS = [
    # description, arguments, the exact message
    ("never paired", ["M02", "E07", "--reason", REASON],
     "M02 and E07 are not an active pair: they were never paired; their active pairs: "
     "M01-E07, M02-E22. `tandem status` lists the active pairs; nothing was written"),
    ("unknown id", ["M01", "e07", "--reason", REASON],
     "there is no e07 in the audit log; nothing was written. Did you mean 'E07'?"),
    ("empty reason", ["M01", "E07", "--reason", ""],
     "the reason is empty; say why the couple is separated with --reason TEXT: it is "
     "recorded in the audit log for the compliance review; nothing was written"),
    ("whitespace reason", ["M01", "E07", "--reason", " \t "],
     "the reason is empty; say why the couple is separated with --reason TEXT: it is "
     "recorded in the audit log for the compliance review; nothing was written"),
    ("unknown category", ["M01", "E07", "--reason", REASON, "--category", "mismatc"],
     "'mismatc' is not a separation category; use one of: mismatch, availability, "
     "left-company, conflict, completed, other (separation_categories in vocabulary.yaml); "
     "nothing was written. Did you mean 'mismatch'?"),
]


@pytest.mark.parametrize(("description", "args", "message"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_a_bad_separation_is_refused_exactly(paired, refused, description, args, message):
    """Each refusal names the problem and the fix, exits 1 and writes nothing."""
    refused(message, "separate", *args, "--commit")


def test_separating_twice_is_refused(paired, tandem, refused):
    """A pair already separated is not active any more; the message names the separation."""
    tandem("separate", "M01", "E07", "--reason", REASON, "--category", "mismatch", "--commit")
    refused("M01 and E07 are not an active pair: they were already separated (entry 5, "
            "mismatch); nothing was written", "separate", "M01", "E07", "--reason", "again",
            "--commit")


def test_separating_without_a_log_creates_nothing(tandem, db_url, refused):
    """With no audit log yet, the command says how to create one, and creates nothing."""
    from audit.log.db import shown

    refused(f"there is no audit log at {shown(db_url)} yet. `tandem pair COHORT --commit` "
            "creates one; to read another database, pass --db URL or set TANDEM_DB.",
            "separate", "M01", "E07", "--reason", REASON, "--commit")
    assert entries(db_url) == []
