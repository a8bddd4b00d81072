"""The insights report: its JSON contract, its minimums, its sentences for the admin."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from engine.base.errors import TandemError
from engine.insights import report as report_module
from engine.insights.criteria import Criterion, criteria
from engine.insights.facts import PairFact
from engine.insights.report import (
    MIN_GROUP,
    MIN_OUTCOMES,
    insights,
    nesting,
    plan,
    question,
    recommendation,
)
from engine.insights.stats import ALPHA
from tests.fairness.linkage import criteria_attack
from tests.insights.simulate import program, running

CRITERION_KEYS = {"criterion", "kind", "aliases", "family", "status", "with", "without",
                  "unknown", "attrition", "unadjusted", "adjusted", "significant",
                  "direction", "why", "refinements"}


def _fact(i, result, fired=(), profiles=True, cohort="2025"):
    mentor = {"learning_style": "activist", "job_family": "finance", "department": "Audit",
              "subsidiary": "Tandem Group", "hire_date": "2024-09-01"}
    mentee = {"learning_style": "pragmatist", "job_family": "finance" if i % 2 else "sales",
              "department": "Audit", "subsidiary": "Tandem Group", "hire_date": "2006-09-01"}
    return PairFact(f"M{i}", f"E{i}", i, date(2026, 9, 1), 40, tuple(fired),
                    dict.fromkeys(fired, 30), result, as_of=date(2026, 9, 1),
                    mentor_profile=mentor if profiles else None,
                    mentee_profile=mentee if profiles else None, cohort=cohort)


def test_the_json_contract_names_counts_rates_intervals_and_adjusted_p():
    """Every criterion carries what it is, its family, its counts, and both comparisons."""
    report = insights(program(3, pairs=200))
    assert {"pairs", "successes", "partials", "failures", "from_separations", "success_rate",
            "success_interval", "results", "attrition", "running_cohorts", "left_out",
            "alpha", "min_group", "minimums", "adjusted_for", "why_adjusted", "status",
            "families", "tested", "flagged", "criteria", "score_trend",
            "recommendations"} <= set(report)
    assert "model" not in report  # the "taken together" model chosen by its own evidence
    for row in report["criteria"]:
        assert set(row) == CRITERION_KEYS
        assert set(row["with"]) == {"pairs", "successes", "rate", "interval", "mean_score"}
    tested = [r for r in report["criteria"] if r["adjusted"] is not None]
    for family in ("confirmatory", "exploratory"):
        own = [r for r in tested if r["family"] == family]
        assert [r["adjusted"]["p_adjusted"] for r in own] == \
            sorted(r["adjusted"]["p_adjusted"] for r in own)
        assert report["families"][family]["tested"] == len(own)
    assert all(r["why"] for r in tested)


def test_alpha_is_exactly_the_configured_value():
    """0.05, not 1 - 0.95 (0.050000000000000044)."""
    assert insights(program(3, pairs=60))["alpha"] == 0.05
    assert repr(ALPHA) == "0.05"


def test_a_rule_and_the_plain_criterion_it_tests_are_one_row():
    """culture/same-subsidiary fires exactly when both sides share a subsidiary: one row."""
    rows = insights(program(3, pairs=200))["criteria"]
    names = [r["criterion"] for r in rows]
    row = next(r for r in rows if r["criterion"] == "culture/same-subsidiary")
    assert row["aliases"] == ["same subsidiary"]
    assert "same subsidiary" not in names
    assert row["family"] == "confirmatory"


def _family_and_subsidiary(facts):
    """The program without culture/same-job-family, and with a rule that tests the plain
    criterion "same job_family" plus one more condition (same subsidiary)."""
    out = []
    for f in facts:
        same = {name: f.mentor_profile[name] == f.mentee_profile[name]
                for name in ("job_family", "subsidiary")}
        fired = [r for r in f.fired if r != "culture/same-job-family"]
        fired += ["culture/family-and-subsidiary"] * (same["job_family"] and same["subsidiary"])
        out.append(replace(f, fired=tuple(sorted(fired))))
    return out


def _same_family(fact):
    return 0.85 if fact.mentor_profile["job_family"] == fact.mentee_profile["job_family"] \
        else 0.45


def test_a_rule_and_the_plain_criterion_it_refines_are_one_row_and_one_finding(monkeypatch):
    """Success planted on "same job_family"; a rule fires on same job family and same
    subsidiary. Unnested, both would be flagged (two findings of one cause); nested, the
    rule is a refinement of the plain criterion's row, whose family it makes confirmatory,
    and the families test one row fewer."""
    facts = _family_and_subsidiary(program(8, pairs=400, planted=_same_family))
    report = insights(facts)
    rows = {r["criterion"]: r for r in report["criteria"]}
    assert "culture/family-and-subsidiary" not in rows
    head = rows["same job_family"]
    assert [r["criterion"] for r in head["refinements"]] == [
        "culture/family-and-subsidiary", "culture/same-department"]
    assert head["refinements"][0]["refines"] == "same job_family"
    assert head["refinements"][0]["with"]["pairs"] > 0
    assert head["family"] == "confirmatory" and head["significant"]
    assert report["flagged"] == 1
    rec = next(r for r in report["recommendations"]
               if r["rule"] == "culture/family-and-subsidiary")
    assert "tested as part of same job_family" in rec["text"]
    alone = question(facts, "culture/family-and-subsidiary")["criterion"]
    assert alone["significant"]  # tested on its own, the rule shows the same cause again
    unnested = insights([replace(f, fired=tuple(r for r in f.fired
                                                if r != "culture/family-and-subsidiary"))
                         for f in facts])
    assert report["tested"] == unnested["tested"]  # the rule added no test of its own
    monkeypatch.setattr(report_module, "nesting", lambda found: [None] * len(found))
    flat = insights(facts)
    assert flat["families"]["confirmatory"]["tested"] > \
        report["families"]["confirmatory"]["tested"]
    assert flat["tested"] > report["tested"]


def test_a_subset_that_chance_could_explain_is_no_nesting():
    """Three pairs inside a criterion that half the pairs have: a chance of 1 in 8, so
    both stay rows; 30 pairs inside it (1 in a billion) is a nesting."""
    broad = Criterion("broad", "rule", tuple(i % 2 == 0 for i in range(200)))
    few = Criterion("few", "rule", tuple(i in (0, 2, 4) for i in range(200)))
    many = Criterion("many", "rule", tuple(i % 2 == 0 and i < 60 for i in range(200)))
    unknown = Criterion("unknown", "same", tuple(None if i == 1 else i < 40
                                                 for i in range(200)))
    assert nesting([broad, few, many]) == [None, None, 0]
    assert nesting([unknown, broad])[0] is None  # pair 2 has it without broad


def test_rules_in_force_are_confirmatory_and_other_traits_exploratory():
    """Each family is corrected apart; a trait that is no rule is exploratory."""
    rows = insights(program(3, pairs=200))["criteria"]
    families = {r["criterion"]: r["family"] for r in rows}
    assert families["intentions/overlap"] == "confirmatory"
    assert families["mentor tenure 0-2 years"] == "exploratory"
    assert not any(r["kind"] == "score" for r in rows)  # the score is adjusted for


def test_below_the_minimum_nothing_is_tested():
    """Under 30 pairs with a result, every criterion says "not enough data"."""
    facts = [_fact(i, "success" if i % 3 else "failure", ["culture/same-job-family"])
             for i in range(MIN_OUTCOMES - 1)]
    report = insights(facts)
    assert report["status"] == "not enough data"
    assert {r["status"] for r in report["criteria"]} <= {"not enough data", "too small"}
    assert report["tested"] == 0


def test_a_criterion_needs_enough_pairs_with_and_without_it():
    """A criterion with fewer than 10 pairs on one side is not tested."""
    facts = [_fact(i, "success" if i % 2 else "failure",
                   ["rare/rule"] if i < MIN_GROUP - 1 else []) for i in range(40)]
    row = next(r for r in insights(facts)["criteria"] if r["criterion"] == "rare/rule")
    assert row["status"] == "not enough data"
    assert (row["with"]["pairs"], row["without"]["pairs"]) == (MIN_GROUP - 1, 40 - MIN_GROUP + 1)
    assert row["adjusted"] is None and row["unadjusted"] is None


def test_a_separated_criterion_is_tested_with_firths_penalty():
    """Every one of the 12 pairs where a rule fired succeeded: the row is tested all the
    same (Firth's penalised fit), with a finite odds ratio and interval above 1."""
    facts = [replace(_fact(i, "success" if i < 12 or i % 3 else "failure",
                           ["r"] if i < 12 else []), score=30 + 5 * (i % 7))
             for i in range(60)]
    row = next(r for r in insights(facts)["criteria"] if r["criterion"] == "r")
    assert row["status"] == "tested"
    assert row["adjusted"]["method"] == "firth"
    low, high = row["adjusted"]["interval"]
    assert 0 < low < row["adjusted"]["odds_ratio"] < high < float("inf")
    assert row["adjusted"]["odds_ratio"] > 1


def test_a_group_under_the_threshold_shows_no_count_rate_or_score():
    """3 pairs with a rule: neither side of the row shows a count (the other side would
    give it away by subtraction); a higher threshold hides more."""
    facts = [_fact(i, "success" if i % 2 else "failure",
                   ["rare/rule"] if i < 3 else ["common/rule"] if i < 9 else [])
             for i in range(40)]
    rows = {r["criterion"]: r for r in insights(facts)["criteria"]}
    assert rows["rare/rule"]["status"] == "too small"
    assert rows["rare/rule"]["with"] == rows["rare/rule"]["without"] == {
        "pairs": None, "successes": None, "rate": None, "interval": None, "mean_score": None}
    assert rows["rare/rule"]["attrition"] is None
    assert rows["common/rule"]["with"]["pairs"] == 6
    higher = {r["criterion"]: r for r in insights(facts, min_group=7)["criteria"]}
    assert higher["common/rule"]["with"]["pairs"] is None


def test_a_running_cohort_is_left_out_with_a_count():
    """Its early failures are known and its successes not yet: it counts nowhere."""
    ended = program(1, pairs=120)
    still = running(2, pairs=60, separated=0.2)
    report = insights([*ended, *still])
    assert report["pairs"] == len(ended)
    assert report["left_out"] == sum(f.result == "failure" for f in still) > 0
    assert report["running_cohorts"] == [{
        "cohort": "2026", "pairs": 60, "running": sum(f.result == "running" for f in still),
        "with_result": report["left_out"]}]
    assert report["results"]["running"] == sum(f.result == "running" for f in still)


def test_attrition_is_counted_per_criterion_and_conflict_nowhere():
    """Availability and leaving count as attrition, apart; a conflict is no result."""
    facts = [_fact(i, "success" if i % 3 else "failure", ["r"] if i % 2 else [])
             for i in range(40)]
    facts += [_fact(100 + i, "attrition", ["r"]) for i in range(6)]
    facts += [_fact(200 + i, "ineligible", ["r"]) for i in range(2)]
    report = insights(facts)
    row = next(r for r in report["criteria"] if r["criterion"] == "r")
    assert row["attrition"] == {"with": 6, "without": 0}
    assert row["with"]["pairs"] == 20
    assert report["pairs"] == 40 and report["attrition"] == 6
    assert report["results"]["ineligible"] == 2


def test_a_flagged_interval_is_adjusted_like_its_p_value():
    """A flagged criterion's interval is the wider false-coverage-rate one; others say
    they are plain 95% intervals."""
    report = insights(program(0, pairs=300, planted=lambda f: 0.8 if "intentions/overlap"
                                in f.fired else 0.4))
    rows = [r for r in report["criteria"] if r["adjusted"] is not None]
    flagged = [r for r in rows if r["significant"]]
    assert flagged and all(r["adjusted"]["interval_adjusted"] for r in flagged)
    assert not any(r["adjusted"]["interval_adjusted"] for r in rows if not r["significant"])
    row = flagged[0]
    one = question(program(0, pairs=300, planted=lambda f: 0.8 if "intentions/overlap"
                             in f.fired else 0.4), row["criterion"])["criterion"]["adjusted"]
    assert one["odds_ratio"] == row["adjusted"]["odds_ratio"]
    assert row["adjusted"]["interval"][0] < one["interval"][0]
    assert row["adjusted"]["interval"][1] > one["interval"][1]


def test_a_question_is_one_test_with_its_power():
    """No correction (adjusted p is the p-value); the power grows with the difference."""
    facts = program(4, pairs=300)
    small = question(facts, "intentions/shared-topic", difference=0.05)
    large = question(facts, "intentions/shared-topic", difference=0.25)
    a = small["criterion"]["adjusted"]
    assert a["p_adjusted"] == a["p_value"]
    assert 0 < small["power"] < large["power"] <= 1
    assert small["pairs_for_80_percent"] > large["pairs_for_80_percent"]


def test_a_question_about_an_unknown_criterion_says_what_it_may_mean():
    """A misspelt criterion gets a "did you mean"."""
    with pytest.raises(TandemError, match="did you mean 'intentions/shared-topic'"):
        question(program(4, pairs=60), "intentions/shared-topix")


def test_the_power_plan_matches_statsmodels():
    """Pairs needed for 15 points from 45% with half the pairs having the criterion."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    found = plan([], difference=0.15, share=0.5, base=0.45)
    half = NormalIndPower().solve_power(proportion_effectsize(0.6, 0.45), power=0.8,
                                        alpha=0.05, ratio=1.0)
    assert found["pairs_needed"] == int(np.ceil(half / 0.5))
    assert plan([], difference=0.10, share=0.5, base=0.45)["pairs_needed"] > \
        found["pairs_needed"]


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
       "without": {"pairs": 110, "rate": 0.58, "interval": [0.49, 0.66]},
       "adjusted": {"odds_ratio": 2.5, "interval": [1.4, 4.46]}}
FIGURES = ("culture/same-job-family (+30 now): pairs where it fired succeeded 84% [76-90%] "
           "against 58% [49-66%] without; at the same score and cohort, odds ratio 2.50 "
           "[1.40-4.46]; ")


@pytest.mark.parametrize(("row", "points", "effect", "verdict", "text"), [
    (ROW, 30, "score", "supported", FIGURES + "the evidence supports keeping it high."),
    ({**ROW, "direction": "lower"}, 30, "score", "against",
     FIGURES + "the evidence goes against it: at the same score, pairs where it fired did "
     "worse; consider lowering it, and see what that changes with `tandem rules compare`."),
    ({**ROW, "significant": False}, 30, "score", "unsupported",
     FIGURES + "once the score and the cohort are accounted for, the evidence neither "
     "supports nor contradicts it (the difference could be chance): it is unsupported, not "
     "wrong; keep recording outcomes."),
    ({**ROW, "status": "not enough data", "adjusted": None}, -5, "score", "not enough data",
     "culture/same-job-family (-5 now): not enough data yet (120 pairs with a result where it "
     "fired, 110 where it did not; 10 of each are needed); keep it as it is and keep "
     "recording outcomes."),
])
def test_each_rule_gets_a_plain_recommendation(row, points, effect, verdict, text):
    """Supported, against, unsupported (not wrong), or not enough data, in one sentence."""
    found = recommendation(row, points, effect)
    assert (found["verdict"], found["text"]) == (verdict, text)


def test_insights_give_the_linkage_attack_nothing():
    """A planted subsidiary of three mentors: hidden, with another of its trait, so that
    neither is recovered by subtraction; the unprotected counts would show it."""
    facts = program(5, pairs=200)
    for fact in facts[:3]:
        fact.mentor_profile["subsidiary"] = "Tandem Malta"
    report = insights(facts)
    rows = {r["criterion"]: r for r in report["criteria"]}
    assert rows["mentor subsidiary Tandem Malta"]["status"] == "too small"
    assert criteria_attack(report) == []
    assert sum(r["status"] == "too small" for r in report["criteria"]
               if r["criterion"].startswith("mentor subsidiary")) >= 2
