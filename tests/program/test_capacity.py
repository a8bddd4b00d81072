"""A mentor is busy only when their active pairs fill their capacity."""

from __future__ import annotations

import json

from audit.review import status


def test_a_later_commit_gives_a_mentor_their_remaining_place(cohort, tandem, db_url):
    """M01 (capacity 2) paired with E07; a later cohort of M01 and E10 pairs them too."""
    code, _, err = tandem("pair", cohort("first", ["M01", "E07"]), "--commit", "--actor", "hr")
    assert code == 0, err
    code, out, err = tandem("pair", cohort("second", ["M01", "E10"]), "--commit",
                            "--actor", "hr", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert [(p["mentor"], p["mentee"]) for p in result["pairs"]] == [("M01", "E10")]
    assert result["unpaired"] == []
    assert [(p.mentor, p.mentee) for p in status(db_url).active] == [("M01", "E07"),
                                                                      ("M01", "E10")]


def test_a_mentor_whose_pairs_fill_their_capacity_is_not_paired_again(cohort, tandem, db_url):
    """With both places taken, a third mentee finds M01 already paired, and says so."""
    tandem("pair", cohort("first", ["M01", "E07", "E10"]), "--commit")
    code, out, err = tandem("pair", cohort("second", ["M01", "E09"]), "--commit",
                            "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["pairs"] == []
    assert sorted((u["id"], u["reason"], u["why"]) for u in result["unpaired"]) == [
        ("E09", "no-eligible-partner", "there is no available mentor in this run"),
        ("M01", "already-paired", "already in 2 active or proposed pairs, which fill their "
                                  "capacity; not paired again in this run")]


def test_a_dry_run_sees_the_places_taken_in_the_log(cohort, tandem):
    """The dry run reads the log too: it shows what --commit would do."""
    tandem("pair", cohort("first", ["M01", "E07"]), "--commit")
    _, out, _ = tandem("pair", cohort("second", ["M01", "E07", "E10"]), "--format", "json")
    result = json.loads(out)
    assert [(p["mentor"], p["mentee"]) for p in result["pairs"]] == [("M01", "E10")]
    assert [(u["id"], u["reason"]) for u in result["unpaired"]] == [("E07", "already-paired")]
