"""Honest statistics, on simulated programs (tests/insights/simulate.py).

Planted effect: in programs of 300 pairs, success has probability 0.75 with one criterion
and 0.45 without it; `insights` must rank that criterion first, with the right sign, in
each of 5 programs (seeds 0-4). Two plantings: the rule ``intentions/overlap`` (fires in
about 60% of pairs) and, lowering success, ``same subsidiary`` (about 30% of pairs; the rule
``culture/same-subsidiary`` is the same criterion and may rank level with it).

Null: success has probability 0.6 whatever the pair. Across 100 programs of 250 pairs
(seeds 1000-1099), the share of programs where any criterion is flagged (Benjamini-Hochberg
adjusted p < 0.05) must be at most the nominal 5%, within sampling error: the count may not
exceed the 99th percentile of Binomial(programs, 0.05), 10 of 100 (67 of 1,000 with
TANDEM_FUZZ=long). A method without the correction flags most of these programs, and the
same bound refuses it.
"""

from __future__ import annotations

import os

import pytest
from scipy.stats import binom

from engine.insights.report import insights
from tests.insights.simulate import program

LONG = os.environ.get("TANDEM_FUZZ") == "long"
NULL_PROGRAMS = 1000 if LONG else 100
NOMINAL = 0.05


def _overlap(fact):
    return 0.75 if "intentions/overlap" in fact.fired else 0.45


def _same_subsidiary(fact):
    same = fact.mentor_profile["subsidiary"] == fact.mentee_profile["subsidiary"]
    return 0.45 if same else 0.75


PLANTED = [
    ("intentions/overlap", _overlap, {"intentions/overlap"}, "higher"),
    ("same subsidiary", _same_subsidiary, {"same subsidiary", "culture/same-subsidiary"},
     "lower"),
]


@pytest.mark.parametrize(("planted", "names", "direction"), [p[1:] for p in PLANTED],
                         ids=[p[0] for p in PLANTED])
@pytest.mark.parametrize("seed", range(5))
def test_a_planted_criterion_is_ranked_first_with_the_right_sign(planted, names, direction,
                                                                 seed):
    """The criterion success really depends on comes first, flagged, in the right direction."""
    report = insights(program(seed, pairs=300, planted=planted), model=False)
    first = report["criteria"][0]
    assert first["criterion"] in names
    assert first["significant"]
    assert first["direction"] == direction


def test_a_planted_criterion_still_matters_in_the_model():
    """The logistic model keeps the planted criterion, with an odds ratio above 1."""
    report = insights(program(0, pairs=300, planted=_overlap))
    terms = {t["criterion"]: t for t in report["model"]["terms"]}
    assert report["model"]["status"] == "fitted"
    assert terms["intentions/overlap"]["still_matters"]
    assert terms["intentions/overlap"]["interval"][0] > 1


def test_without_any_effect_the_share_of_programs_flagging_stays_at_most_nominal():
    """Across many null programs, no more than 5% flag any criterion (family-wise), within
    sampling error; the uncorrected p-values of the same programs would break that bound."""
    limit = binom.ppf(0.99, NULL_PROGRAMS, NOMINAL)
    reports = [insights(program(1000 + seed, pairs=250), model=False)
               for seed in range(NULL_PROGRAMS)]
    flagged = sum(r["flagged"] > 0 for r in reports)
    uncorrected = sum(any(c["p_value"] is not None and c["p_value"] < NOMINAL
                          for c in r["criteria"]) for r in reports)
    assert flagged <= limit, f"{flagged} of {NULL_PROGRAMS} flagged; at most {limit:g} allowed"
    assert uncorrected > limit, f"uncorrected: {uncorrected} of {NULL_PROGRAMS}"
