"""The statistics against published values: Wilson, Newcombe, Fisher, Benjamini-Hochberg."""

from __future__ import annotations

import numpy as np
import pytest

from engine.insights.stats import (
    FIRTH,
    MAXIMUM_LIKELIHOOD,
    FitError,
    adjusted_fit,
    bh_adjust,
    difference_interval,
    firth,
    fisher_p,
    logistic,
    rate_interval,
)


def test_wilson_interval_matches_newcombe_1998_table_i():
    """81/263 gives [0.2553, 0.3662] (Newcombe 1998, Statist. Med. 17:857, Table I)."""
    assert rate_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)


def test_wilson_interval_stays_inside_0_and_1_at_the_edges():
    """0 of 10 and 10 of 10 give honest, non-degenerate intervals inside [0, 1]."""
    low, high = rate_interval(0, 10)
    assert low == 0.0 and 0.25 < high < 0.35
    low, high = rate_interval(10, 10)
    assert 0.65 < low < 0.75 and high == pytest.approx(1.0)
    assert rate_interval(0, 0) == (0.0, 1.0)


def test_newcombe_difference_matches_newcombe_1998_table_ii():
    """56/70 - 48/80 gives [0.0524, 0.3339] (Newcombe 1998, Statist. Med. 17:873, method 10)."""
    assert difference_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_fisher_exact_matches_the_tea_tasting_experiment():
    """Fisher's lady tasting tea, 3 of 4 right: two-sided p = 0.4857."""
    assert fisher_p(3, 4, 1, 4) == pytest.approx(0.4857, abs=1e-4)


def test_benjamini_hochberg_adjusts_in_the_given_order():
    """p = 0.01, 0.04, 0.03, 0.2 adjust to 0.04, 0.0533, 0.0533, 0.2."""
    assert bh_adjust([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert bh_adjust([]) == []


def test_logistic_regression_recovers_a_known_odds_ratio():
    """With odds ratio 4 built in and 2,000 pairs, the 95% interval holds 4."""
    rng = np.random.default_rng(7)
    x = rng.random(2000) < 0.5
    y = rng.random(2000) < np.where(x, 0.8, 0.5)
    term = logistic([("x", x.astype(float))], y).terms[0]
    assert term.low < 4.0 < term.high
    assert term.p_value < 1e-6


def test_logistic_regression_refuses_a_criterion_that_separates_perfectly():
    """When a criterion decides every result, the fit says so instead of printing infinity."""
    x = np.array([0.0, 1.0] * 20)
    with pytest.raises(FitError, match="separates successes from failures perfectly"):
        logistic([("x", x)], x.astype(bool))


# The data set sex2 of the R package logistf (Heinze and Schemper 2002, Statist. Med.
# 21:2409): urinary tract infection (case) of 239 women, against age, oral contraceptive
# use (oc), condom use (vic), lubricated condom (vicl), spermicide (vis) and diaphragm (dia)
# use. Each row pattern "case age oc vic vicl vis dia" with its count. dia separates: every
# woman using a diaphragm is a case.
SEX2 = (('0000010', 1), ('0001000', 2), ('0001010', 1), ('0001100', 8), ('0001110', 18),
        ('0010000', 42), ('0010010', 1), ('0011000', 1), ('0011100', 5), ('0011110', 6),
        ('0101100', 2), ('0101110', 4), ('0110000', 14), ('0110010', 1), ('0111000', 1),
        ('0111110', 2), ('1000010', 1), ('1001000', 14), ('1001010', 3), ('1001100', 10),
        ('1001110', 12), ('1001111', 1), ('1010000', 44), ('1010001', 3), ('1011000', 15),
        ('1011001', 1), ('1011010', 2), ('1011100', 7), ('1011110', 3), ('1101000', 2),
        ('1101010', 1), ('1101011', 1), ('1101100', 1), ('1101111', 1), ('1110000', 5),
        ('1111000', 3))
# logistf(case ~ age + oc + vic + vicl + vis + dia, data = sex2): intercept, then each term.
SEX2_LOGISTF = (0.12025405, -1.10598131, -0.06881673, 2.26887464, -2.11140817, -0.78831694,
                3.09601166)


def _sex2():
    rows = np.array([[int(c) for c in pattern] for pattern, n in SEX2 for _ in range(n)],
                    float)
    return np.column_stack([np.ones(len(rows)), rows[:, 1:]]), rows[:, 0]


def test_firth_matches_logistf_on_sex2():
    """Firth's penalised estimates on sex2 are logistf's, including the separated dia."""
    design, outcome = _sex2()
    assert len(outcome) == 239
    beta, cov = firth(design, outcome)
    assert beta == pytest.approx(SEX2_LOGISTF, abs=1e-5)
    assert np.all(np.isfinite(np.sqrt(np.diag(cov))))


def test_firth_on_a_two_by_two_table_adds_a_half_to_each_cell():
    """With one binary criterion, Firth's odds ratio is (a+.5)(d+.5) / ((b+.5)(c+.5)): 10 of
    10 succeeded with it, 15 of 30 without, so 10.5 x 15.5 / (0.5 x 15.5) = 21."""
    column = np.array([1.0] * 10 + [0.0] * 30)
    outcome = np.array([1.0] * 10 + [1.0] * 15 + [0.0] * 15)
    beta, _ = firth(np.column_stack([np.ones(40), column]), outcome)
    assert np.exp(beta[1]) == pytest.approx(21.0, rel=1e-6)


def test_a_separated_criterion_gets_a_finite_firth_estimate_and_interval():
    """Every pair with the criterion succeeded: maximum likelihood has no finite answer, so
    the adjusted comparison is Firth's, with a finite Wald interval above 1."""
    rng = np.random.default_rng(3)
    score = rng.uniform(2, 9, 120)
    column = (np.arange(120) < 15).astype(float)
    outcome = np.where(column == 1, True, rng.random(120) < 0.5)
    with pytest.raises(FitError):
        logistic([("criterion", column), ("score", score)], outcome)
    fit = adjusted_fit(column, np.column_stack([np.ones(120), score]), outcome)
    assert fit.method == FIRTH
    low, high = fit.interval()
    assert 1 < fit.odds_ratio() < high < np.inf and 0 < low < fit.odds_ratio()


def test_firth_and_maximum_likelihood_agree_when_nothing_separates():
    """On 400 pairs with no separation, the penalty moves the odds ratio by under 2%."""
    rng = np.random.default_rng(4)
    score = rng.uniform(2, 9, 400)
    column = (rng.random(400) < 0.4).astype(float)
    outcome = rng.random(400) < 1 / (1 + np.exp(-(-1 + 0.7 * column + 0.2 * score)))
    covariates = np.column_stack([np.ones(400), score])
    plain = adjusted_fit(column, covariates, outcome)
    assert plain.method == MAXIMUM_LIKELIHOOD
    beta, cov = firth(np.column_stack([column, covariates]), outcome.astype(float))
    assert np.exp(beta[0]) == pytest.approx(plain.odds_ratio(), rel=0.02)
    assert np.sqrt(cov[0, 0]) == pytest.approx(plain.se, rel=0.02)


def test_firth_holds_the_nominal_rate_where_separation_is_common():
    """No effect, 60 pairs, 10 with a criterion, 85% success: about one sample in five
    separates. The adjusted test (Firth where needed) flags at most the nominal share."""
    from scipy.stats import binom

    rng = np.random.default_rng(5)
    samples, flagged, separated = 400, 0, 0
    for _ in range(samples):
        score = rng.uniform(2, 9, 60)
        column = (np.arange(60) < 10).astype(float)
        outcome = rng.random(60) < 0.85
        fit = adjusted_fit(column, np.column_stack([np.ones(60), score]), outcome)
        separated += fit.method == FIRTH
        flagged += fit.p_value < 0.05
    assert separated > samples / 10
    assert flagged <= binom.ppf(0.99, samples, 0.05), f"{flagged} of {samples}"
