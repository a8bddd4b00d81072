"""The insights report: its JSON contract, its minimums, its sentences for the admin."""

from __future__ import annotations

from datetime import date

import pytest

from engine.insights.criteria import criteria
from engine.insights.facts import PairFact
from engine.insights.report import MIN_GROUP, MIN_OUTCOMES, insights, recommendation
from tests.insights.simulate import program

CRITERION_KEYS = {"criterion", "kind", "status", "with", "without", "unknown", "difference",
                  "p_value", "p_adjusted", "significant", "direction"}


def _fact(i, result, fired=(), profiles=True):
    mentor = {"learning_style": "activist", "job_family": "finance", "department": "Audit",
              "subsidiary": "Tandem Group", "hire_date": "2024-09-01"}
    mentee = {"learning_style": "pragmatist", "job_family": "finance" if i % 2 else "sales",
              "department": "Audit", "subsidiary": "Tandem Group", "hire_date": "2006-09-01"}
    return PairFact(f"M{i}", f"E{i}", i, date(2026, 9, 1), 40, tuple(fired),
                    dict.fromkeys(fired, 30), result, as_of=date(2026, 9, 1),
                    mentor_profile=mentor if profiles else None,
                    mentee_profile=mentee if profiles else None)


def test_the_json_contract_names_counts_rates_intervals_and_adjusted_p():
    """Every criterion carries what it is, its counts, rates, intervals and p-values."""
    report = insights(program(3, pairs=200))
    assert {"pairs", "successes", "partials", "failures", "from_separations", "success_rate",
            "success_interval", "alpha", "minimums", "status", "tested", "flagged",
            "criteria", "score_trend", "model", "recommendations"} <= set(report)
    assert report["minimums"] == {"outcomes": 30, "group": 10, "model_outcomes": 100,
                                  "events_per_variable": 10}
    for row in report["criteria"]:
        assert set(row) == CRITERION_KEYS
        assert set(row["with"]) == {"pairs", "successes", "rate", "interval"}
    tested = [r for r in report["criteria"] if r["status"] == "tested"]
    assert [r["p_adjusted"] for r in tested] == sorted(r["p_adjusted"] for r in tested)
    assert report["criteria"][:len(tested)] == tested  # not enough data comes last


def test_below_the_minimum_nothing_is_tested():
    """Under 30 pairs with a result, every criterion says "not enough data"."""
    facts = [_fact(i, "success" if i % 3 else "failure", ["culture/same-job-family"])
             for i in range(MIN_OUTCOMES - 1)]
    report = insights(facts)
    assert report["status"] == "not enough data"
    assert {r["status"] for r in report["criteria"]} == {"not enough data"}
    assert report["model"]["status"] == "not enough data"


def test_a_criterion_needs_enough_pairs_with_and_without_it():
    """A criterion with fewer than 10 pairs on one side is not tested."""
    facts = [_fact(i, "success" if i % 2 else "failure",
                   ["rare/rule"] if i < MIN_GROUP - 1 else []) for i in range(40)]
    row = next(r for r in insights(facts)["criteria"] if r["criterion"] == "rare/rule")
    assert row["status"] == "not enough data"
    assert (row["with"]["pairs"], row["without"]["pairs"]) == (MIN_GROUP - 1, 40 - MIN_GROUP + 1)
    assert row["p_value"] is None


def test_criteria_name_what_they_are():
    """Rules by id, then same-X, styles, tenure bands, each side's family and subsidiary."""
    names = [c.name for c in criteria([_fact(1, "success", ["culture/same-job-family"])])]
    assert names == ["culture/same-job-family", "same job_family", "same department",
                     "same subsidiary", "learning_style activist x pragmatist",
                     "tenure gap 10-20 years", "mentor tenure 0-2 years",
                     "mentee tenure 20+ years", "mentor job_family finance",
                     "mentee job_family finance", "mentor subsidiary Tandem Group",
                     "mentee subsidiary Tandem Group", "score 30-49"]


def test_an_erased_profile_makes_its_criteria_unknown_not_false():
    """Without profiles a pair counts as unknown for profile criteria, still for its rules."""
    found = {c.name: c.has for c in criteria([_fact(1, "success", ["r"]),
                                              _fact(2, "failure", [], profiles=False)])}
    assert found["r"] == (True, False)
    assert found["same department"] == (True, None)


ROW = {"criterion": "culture/same-job-family", "status": "tested", "significant": True,
       "direction": "higher",
       "with": {"pairs": 120, "rate": 0.84, "interval": [0.76, 0.9]},
       "without": {"pairs": 110, "rate": 0.58, "interval": [0.49, 0.66]}}


@pytest.mark.parametrize(("row", "points", "effect", "verdict", "text"), [
    (ROW, 30, "score", "supported",
     "culture/same-job-family (+30 now): pairs where it fired succeeded 84% [76-90%] against "
     "58% [49-66%] without; the evidence supports keeping it high."),
    ({**ROW, "direction": "lower"}, 30, "score", "against",
     "culture/same-job-family (+30 now): pairs where it fired succeeded 84% [76-90%] against "
     "58% [49-66%] without; the evidence goes against it: pairs where it fired did worse; "
     "consider lowering it, and see what that changes with `tandem rules compare`."),
    ({**ROW, "significant": False}, 30, "score", "unsupported",
     "culture/same-job-family (+30 now): pairs where it fired succeeded 84% [76-90%] against "
     "58% [49-66%] without; the evidence neither supports nor contradicts it (the difference "
     "could be chance): it is unsupported, not wrong; keep recording outcomes."),
    ({**ROW, "status": "not enough data"}, -5, "score", "not enough data",
     "culture/same-job-family (-5 now): not enough data yet (120 pairs with a result where it "
     "fired, 110 where it did not; 10 of each are needed); keep it as it is and keep "
     "recording outcomes."),
])
def test_each_rule_gets_a_plain_recommendation(row, points, effect, verdict, text):
    """Supported, against, unsupported (not wrong), or not enough data, in one sentence."""
    found = recommendation(row, points, effect)
    assert (found["verdict"], found["text"]) == (verdict, text)
