"""Honest statistics, on simulated programs (tests/insights/simulate.py), seeded.

Every bound on a rate of false flags is the 99th percentile of Binomial(programs, 0.05): a
method that flags at the nominal 5% stays under it 99 times in 100, and a method that flags
much more often does not. The sizes run in a few seconds each; TANDEM_FUZZ=long runs five
to ten times as many programs.

- Running cohort: in a null world, a rule added to a running cohort where 15% of pairs have
  already separated for mismatch gets no "against" verdict (its cohort is left out).
- Score only: success depends on the score alone; once adjusted for the score, each family
  flags a criterion in no more than the nominal share of programs, while the unadjusted
  comparison flags most of them.
- Planted effect: success 0.60 with ``intentions/shared-topic`` against 0.45 without; in
  programs of the size that `insights --power` asks for, the pre-specified test finds it at
  the predicted 80%, within sampling error; and `--question` predicts its own power.
- Among the rules in force: the same planted effect, corrected with the other rules of the
  confirmatory family (six rows once nested criteria are merged), is found in at least half
  the programs of 400 pairs, and never more often than asked alone.
- A planted criterion comes first in its family, with the right sign.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy.stats import binom

from engine.insights.report import insights, plan, question
from engine.insights.stats import bh_adjust
from tests.insights.simulate import program, running

LONG = os.environ.get("TANDEM_FUZZ") == "long"
SCALE = 5 if LONG else 1
NOMINAL = 0.05


def _limit(programs: int) -> float:
    return float(binom.ppf(0.99, programs, NOMINAL))


def _overlap(fact):
    return 0.75 if "intentions/overlap" in fact.fired else 0.45


def _same_subsidiary(fact):
    same = fact.mentor_profile["subsidiary"] == fact.mentee_profile["subsidiary"]
    return 0.45 if same else 0.75


def _shared_topic(fact):
    return 0.60 if "intentions/shared-topic" in fact.fired else 0.45


def _score_only(fact):
    return 1 / (1 + math.exp(-(0.35 * (fact.score - 50) / 10)))


@pytest.mark.parametrize(("planted", "name", "direction"), [
    (_overlap, "intentions/overlap", "higher"),
    (_same_subsidiary, "culture/same-subsidiary", "lower"),
], ids=["overlap", "same subsidiary"])
@pytest.mark.parametrize("seed", range(3))
def test_a_planted_criterion_comes_first_with_the_right_sign(planted, name, direction, seed):
    """The criterion success really depends on comes first, flagged, in the right direction."""
    report = insights(program(seed, pairs=300, planted=planted))
    first = report["criteria"][0]
    assert first["criterion"] == name
    assert first["significant"]
    assert first["direction"] == direction


def test_a_running_cohort_with_early_failures_gives_no_against_verdict():
    """In a null world, a rule added to a running cohort (15% already separated for
    mismatch, the rest running) is never judged "against"; other rules are judged
    "against" in no more than the nominal share of programs."""
    programs = 20 * SCALE
    against_new = against_any = 0
    for seed in range(programs):
        facts = [*program(3000 + seed, pairs=200),
                 *running(5000 + seed, pairs=120, separated=0.15, extra=("new/rule",))]
        verdicts = {r["rule"]: r["verdict"] for r in insights(facts)["recommendations"]}
        against_new += verdicts.get("new/rule") == "against"
        against_any += "against" in verdicts.values()
    assert against_new == 0
    assert against_any <= _limit(programs), f"{against_any} of {programs}"


def test_a_score_only_world_flags_no_criterion_once_adjusted():
    """Success depends on the score alone: adjusted, each family flags in at most the
    nominal share of programs; the unadjusted comparison flags most of them."""
    programs = 30 * SCALE
    flagged = {"confirmatory": 0, "exploratory": 0}
    unadjusted = 0
    for seed in range(programs):
        report = insights(program(7000 + seed, pairs=300, planted=_score_only))
        for family in flagged:
            flagged[family] += report["families"][family]["flagged"] > 0
        raw = [r["unadjusted"]["p_value"] for r in report["criteria"]
               if r["unadjusted"] is not None and r["family"] == "confirmatory"]
        unadjusted += any(p < NOMINAL for p in bh_adjust(raw))
    for family, count in flagged.items():
        assert count <= _limit(programs), f"{family}: {count} of {programs}"
    assert unadjusted > programs / 2, f"unadjusted: {unadjusted} of {programs}"


def test_a_planted_effect_is_found_at_the_power_insights_power_predicts():
    """At the size `insights --power` gives for 15 points from 45%, a single pre-specified
    test finds the planted criterion in 80% of programs, within sampling error."""
    programs = 60 * SCALE
    size = plan([], difference=0.15, share=0.5, base=0.45)["pairs_needed"]
    found = sum(question(program(9000 + seed, pairs=size, planted=_shared_topic),
                         "intentions/shared-topic")["criterion"]["significant"]
                for seed in range(programs))
    expected = 0.8
    spread = 3 * math.sqrt(expected * (1 - expected) / programs)
    assert abs(found / programs - expected) <= spread, f"{found} of {programs} at {size}"


def test_a_question_predicts_its_own_power():
    """`--question` at 300 pairs predicts how often it finds the planted effect."""
    programs = 60 * SCALE
    answers = [question(program(11000 + seed, pairs=300, planted=_shared_topic),
                        "intentions/shared-topic") for seed in range(programs)]
    predicted = float(np.mean([a["power"] for a in answers]))
    found = sum(a["criterion"]["significant"] for a in answers) / programs
    spread = 3 * math.sqrt(predicted * (1 - predicted) / programs)
    assert abs(found - predicted) <= spread, f"found {found:.2f}, predicted {predicted:.2f}"


def test_without_any_effect_each_family_flags_at_most_at_the_nominal_rate():
    """Across null programs, no more than 5% flag any criterion in either family."""
    programs = 40 * SCALE
    flagged = {"confirmatory": 0, "exploratory": 0}
    for seed in range(programs):
        report = insights(program(1000 + seed, pairs=250))
        for family in flagged:
            flagged[family] += report["families"][family]["flagged"] > 0
    for family, count in flagged.items():
        assert count <= _limit(programs), f"{family}: {count} of {programs}"


def test_among_the_rules_in_force_a_planted_effect_is_found_less_often_than_asked_alone():
    """0.60 against 0.45 with intentions/shared-topic, 400 pairs: flagged in the confirmatory
    family in at least half the programs; asked alone (`--question`), at least as often."""
    programs = 40 * SCALE
    in_family = alone = 0
    for seed in range(programs):
        facts = program(13000 + seed, pairs=400, planted=_shared_topic)
        row = next(r for r in insights(facts)["criteria"]
                   if r["criterion"] == "intentions/shared-topic")
        in_family += row["significant"] and row["direction"] == "higher"
        alone += question(facts, "intentions/shared-topic")["criterion"]["significant"]
    assert programs / 2 <= in_family <= alone, f"{in_family} and {alone} of {programs}"
