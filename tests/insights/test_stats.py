"""The statistics against published values: Wilson, Newcombe, Fisher, Benjamini-Hochberg."""

from __future__ import annotations

import numpy as np
import pytest

from engine.insights.stats import (
    FitError,
    bh_adjust,
    difference_interval,
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
