"""The linkage attack (tests/fairness/linkage.py) recovers people from the figures as they
were published before, and nothing from the figures published now: in `tandem fairness`
(the example cohort and a cohort with a planted small group, table and JSON), in the
report's fairness and outcomes tables, and in `insights`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.evaluation.inputs import load_inputs
from engine.fairness.pairing import (
    fairness_of_outcomes,
    fairness_of_pairing,
    outcome_trials,
    pairing_trials,
    subjects,
)
from tests.fairness.linkage import attack, role_totals, unprotected

REPO = Path(__file__).resolve().parents[2]
COHORT = REPO / "examples" / "cohort.json"


def _pairing(path):
    from engine.pairing.pipeline import pair_cohort

    loaded, rules, _ = load_inputs(path)
    result = pair_cohort(loaded, rules)
    profiles = {p.id: p.as_record() for p in loaded.participants}
    return result, profiles, loaded.as_of


def _figures(report):
    return [f.as_dict() for f in report.figures]


@pytest.fixture(scope="module")
def example():
    return _pairing(COHORT)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The example cohort with a planted small group: two mentors and one mentee who give
    a gender no one else gives, and one mentee who gives no birth year."""
    doc = json.loads(COHORT.read_text("utf-8"))
    people = doc["participants"] if isinstance(doc, dict) else doc
    mentors = [p for p in people if p["role"] == "mentor"]
    mentees = [p for p in people if p["role"] == "mentee"]
    for person in (mentors[0], mentors[1], mentees[0]):
        person.setdefault("protected", {})["gender"] = "self-described"
    mentees[1].setdefault("protected", {}).pop("birth_year", None)
    path = tmp_path_factory.mktemp("planted") / "cohort.json"
    path.write_text(json.dumps(doc), "utf-8")
    return _pairing(path)


@pytest.mark.parametrize("cohort", ["example", "planted"])
def test_the_attack_works_on_the_figures_as_they_were_published(cohort, request):
    """Unprotected, the figures give people away: a group of one or two, a mean score of
    one pair, the unpaired mentees' age band."""
    result, profiles, as_of = request.getfixturevalue(cohort)
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    found = attack(unprotected(counted), role_totals((), counted))
    assert any("mentor gender=" in f and "people shown" in f for f in found)
    assert any("the mean score of 1 pairs shown" in f for f in found)
    if cohort == "example":
        assert "mentee age_band: the 2 people counted as misses are all 50-59" in found


@pytest.mark.parametrize("cohort", ["example", "planted"])
def test_the_fairness_figures_give_the_attack_nothing(cohort, request):
    """The same cohorts, as `tandem fairness` publishes them now: nothing recovered."""
    result, profiles, as_of = request.getfixturevalue(cohort)
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    report = fairness_of_pairing(result["pairs"], result["unpaired"], profiles, as_of)
    assert attack(_figures(report), role_totals((), counted)) == []
    assert report.protected_attributes  # the protected data was there to protect


@pytest.mark.parametrize("k", [5, 8, 12])
def test_a_higher_threshold_is_as_safe(planted, k):
    """With --min-group raised, the attack at that threshold recovers nothing either."""
    result, profiles, as_of = planted
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    report = fairness_of_pairing(result["pairs"], result["unpaired"], profiles, as_of, k)
    assert attack(_figures(report), role_totals((), counted), k) == []


def test_the_fairness_json_gives_the_attack_nothing(run, example, tmp_path):
    """`tandem fairness COHORT --format json`: the groups printed are the protected ones."""
    result, profiles, as_of = example
    done = run("fairness", COHORT, "--format", "json",
               "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert done.exit_code == 0, done.output
    out = done.stdout
    counted, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    groups = json.loads(out)["groups"]
    assert attack(groups, role_totals((), counted)) == []
    assert any(g["too_small"] for g in groups)


def test_outcomes_by_group_give_the_attack_nothing(example):
    """The report's outcomes by group, with one failure among successes: unprotected, the
    only female mentor with a result is exposed with her failure; protected, nothing."""
    result, profiles, as_of = example
    outcomes = [{"mentor": p["mentor"], "mentee": p["mentee"],
                 "result": "failure" if i == 0 else "success"}
                for i, p in enumerate(result["pairs"])]
    counted, _, _ = subjects(outcome_trials(outcomes), profiles, as_of)
    assert attack(unprotected(counted), role_totals((), counted))
    report = fairness_of_outcomes(outcomes, profiles, as_of)
    assert attack(_figures(report), role_totals((), counted)) == []


def test_the_report_gives_the_attack_nothing(db_url, example):
    """A committed run of the example with every pair's outcome recorded (the first a
    failure): the report's fairness and outcomes tables recover nothing, on SQLite and
    PostgreSQL, and its outcomes count the pairs as insights does."""
    from audit.commit import CommitInput, commit_pairing
    from audit.followup import record_outcomes
    from audit.insights import report as insights_report
    from audit.report import gather_report
    from engine.evaluation.inputs import profiles_for_monitoring
    from engine.followup.facts import Outcome
    from engine.pairing.pipeline import pair_cohort
    from engine.report.html import render_html

    loaded, rules, _ = load_inputs(COHORT)
    commit_pairing(db_url, "hr", lambda busy: CommitInput(
        pair_cohort(loaded, rules, busy), dict(rules.files), profiles_for_monitoring(loaded)))
    result, profiles, as_of = example
    outcomes = [Outcome(p["mentor"], p["mentee"], "failure" if i == 0 else "success")
                for i, p in enumerate(result["pairs"])]
    record_outcomes(db_url, "hr", outcomes)
    made = gather_report(db_url)
    run = made.runs[0].fairness
    assert run is not None and made.outcomes is not None
    pairing, _, _ = subjects(pairing_trials(result["pairs"], result["unpaired"]), profiles,
                             as_of)
    assert attack(_figures(run), role_totals((), pairing)) == []
    done = [{"mentor": o.mentor, "mentee": o.mentee, "result": o.result} for o in outcomes]
    counted, _, _ = subjects(outcome_trials(done), profiles, as_of)
    assert attack(_figures(made.outcomes), role_totals((), counted)) == []
    assert made.outcome_count == insights_report(db_url)["pairs"] == len(outcomes)
    assert "too small to show" in render_html(made)
