"""`tandem decide force|forbid`: the admin has the last word, and the log says so."""

from __future__ import annotations

import json

import pytest

from audit.review import status
from tests.program.conftest import entries

PEOPLE = ["M01", "M02", "M05", "E05", "E07", "E10", "E22"]


@pytest.fixture
def program(cohort, tandem):
    """M01 with E07 and E10, M02 with E22, M05 with E05 (entries 1 to 5)."""
    path = cohort("c", PEOPLE)
    code, out, err = tandem("pair", path, "--commit", "--format", "json")
    assert code == 0, err
    assert [(p["mentor"], p["mentee"]) for p in json.loads(out)["pairs"]] == [
        ("M01", "E07"), ("M01", "E10"), ("M02", "E22"), ("M05", "E05")]
    return path


def committed(path: object) -> tuple[object, ...]:
    """The cohort of a decision, and --commit: a decision is a dry run without it."""
    return ("--cohort", path, "--commit")


def test_forcing_a_pair_records_what_the_rules_said_and_activates_it(program, tandem, db_url):
    """A forced pair is active at once; the decision keeps the score and the fired rules."""
    for mentor, mentee in (("M02", "E22"), ("M05", "E05")):
        tandem("separate", mentor, mentee, "--reason", "Timetables", "--category",
               "availability", "--commit")
    code, out, err = tandem("decide", "force", "M05", "E22", *committed(program),
                            "--reason", "Both asked to work on the CRM project",
                            "--actor", "hr.jane")
    assert code == 0, err
    assert out.splitlines()[1] == ("The rules gave this pair a score of 45. The pair is "
                                   "active.")
    decision = entries(db_url)[-1]
    assert {k: decision[k] for k in ("seq", "kind", "decision", "mentor", "mentee", "reason",
                                     "actor", "score", "excluded_by",
                                     "override_exclusion")} == {
        "seq": 8, "kind": "decision", "decision": "force", "mentor": "M05", "mentee": "E22",
        "reason": "Both asked to work on the CRM project", "actor": "hr.jane", "score": 45,
        "excluded_by": [], "override_exclusion": False}
    assert [r["rule"] for r in decision["reasons"]] == [
        "learning-style/neighbours", "intentions/overlap", "intentions/shared-topic"]
    assert decision["rules_digest"].startswith("sha256:")
    assert ("M05", "E22", "decision", 8) in [(p.mentor, p.mentee, p.via, p.seq)
                                             for p in status(db_url).active]


def test_forcing_an_excluded_pair_needs_the_override_and_names_the_exclusion(program, tandem,
                                                                              refused, db_url):
    """A separated couple is excluded by the rules: forcing it back needs
    --override-exclusion, and the entry names the exclusion overridden."""
    tandem("separate", "M01", "E07", "--reason", "Stalled", "--category", "mismatch",
           "--commit")
    refused("the rules exclude M01 with E07 (history/separated-couple); to force the pair "
            "anyway, add --override-exclusion: the decision records the exclusion "
            "overridden; nothing was written",
            "decide", "force", "M01", "E07", *committed(program), "--reason", "Try again")
    code, _, err = tandem("decide", "force", "M01", "E07", *committed(program), "--reason",
                          "Try again after a talk", "--override-exclusion")
    assert code == 0, err
    decision = entries(db_url)[-1]
    assert (decision["excluded_by"], decision["override_exclusion"]) == (
        ["history/separated-couple"], True)
    assert {"rule": "history/separated-couple", "effect": "exclude"}.items() <= \
        decision["reasons"][0].items()
    assert decision["reasons"][0]["evidence"] == {"pair.separated_before": True,
                                                  "pair.separation_entry": 6}


def test_a_forbidden_pair_is_masked_in_later_runs_and_its_explanation_names_the_decision(
        program, cohort, tandem, db_url):
    """After forbid, pair and reassign never form the couple; the why names the decision."""
    tandem("separate", "M05", "E05", "--reason", "Timetables", "--category", "availability",
           "--commit")
    code, _, err = tandem("decide", "forbid", "M05", "E05", *committed(program), "--reason",
                          "Conflict of interest: same project board")
    assert code == 0, err
    seq = entries(db_url)[-1]["seq"]
    code, out, _ = tandem("explain", program, "M05", "E05", "--format", "json")
    report = json.loads(out)
    assert report["program"]["status"] == "forbidden"
    assert report["verdict"].startswith(f"forbidden in the program (forbidden by entry {seq})")
    assert "cannot be formed: excluded by " in report["verdict"]
    assert "history/forbidden-by-decision" in report["verdict"]
    code, out, _ = tandem("pair", cohort("again", ["M05", "E05"]), "--format", "json")
    result = json.loads(out)
    assert result["pairs"] == []
    e05 = next(u for u in result["unpaired"] if u["id"] == "E05")
    assert "history/forbidden-by-decision" in e05["detail"]["excluded_by"]
    code, out, _ = tandem("decide", "force", "M05", "E05", *committed(program), "--reason",
                          "x", "--override-exclusion", "--format", "json")
    forced = json.loads(out)["entries"][0]
    forbidden = next(r for r in forced["reasons"] if r["rule"] == "history/forbidden-by-decision")
    assert forbidden["evidence"] == {
        "pair.forbidden": True,
        "pair.forbidden_by": f"decision entry {seq}: Conflict of interest: same project board"}


REFUSALS = [
    # description, arguments after `decide`, the exact message
    ("empty reason", ["force", "M02", "E10", "--reason", "  "],
     "the reason is empty; say why the pair is forced with --reason TEXT: it is recorded in "
     "the audit log for the compliance review; nothing was written"),
    ("mentee already paired", ["force", "M02", "E10", "--reason", "asked"],
     "E10 is already in an active pair with M01; separate them first with `tandem separate "
     "M01 E10 --reason TEXT --commit`; nothing was written"),
    ("mentee paired with another", ["force", "M02", "E07", "--reason", "asked"],
     "E07 is already in an active pair with M01; separate them first with `tandem separate "
     "M01 E07 --reason TEXT --commit`; nothing was written"),
    ("already active", ["force", "M01", "E07", "--reason", "asked"],
     "M01 and E07 are already an active pair; nothing was written"),
    ("unknown mentee", ["forbid", "M01", "e07", "--reason", "asked"],
     "there is no e07 in the mentees of {cohort}; nothing was written. Did you mean 'E07'?"),
    ("a mentee as mentor", ["forbid", "E07", "E10", "--reason", "asked"],
     "there is no E07 in the mentors of {cohort}; nothing was written"),
]


@pytest.mark.parametrize(("description", "args", "message"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_a_bad_decision_is_refused_exactly(program, refused, description, args, message):
    """Each refusal names the problem and the fix, exits 1 and writes nothing."""
    refused(message.format(cohort=program), "decide", *args, *committed(program))


def test_forbidding_twice_is_refused(program, tandem, refused):
    """A couple already forbidden names the decision that forbade it."""
    tandem("decide", "forbid", "M02", "E07", *committed(program), "--reason", "Conflict")
    refused("M02 and E07 are already forbidden (decision entry 6); nothing was written",
            "decide", "forbid", "M02", "E07", *committed(program), "--reason", "Again")


def test_forcing_a_pair_on_a_full_mentor_is_refused(program, tandem, refused):
    """M01's two places are taken: a third mentee cannot be forced on them."""
    tandem("separate", "M02", "E22", "--reason", "Moved", "--category", "availability",
           "--commit")
    refused("M01 has no place left: their active or proposed pairs fill their capacity; "
            "separate one first with `tandem separate`; nothing was written",
            "decide", "force", "M01", "E22", *committed(program), "--reason", "asked")
