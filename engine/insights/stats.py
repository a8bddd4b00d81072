"""The statistics, from well-kept libraries: scipy.stats and statsmodels. Pure functions.

- a rate's 95% interval: Wilson score interval (good at small n and near 0% or 100%);
- a difference of two rates: Newcombe's hybrid score interval (method 10);
- a p-value for "the rate differs with and without the criterion": Fisher's exact test,
  two-sided (exact at any size, conservative);
- adjustment for testing many criteria: Benjamini-Hochberg (false discovery rate; under
  no effect at all it also bounds the chance of flagging anything at the nominal level);
- the multivariable model: logistic regression by maximum likelihood (statsmodels Logit),
  odds ratios with 95% Wald intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

LEVEL = 0.95
ALPHA = 1 - LEVEL


Interval = tuple[float, float]


def rate_intervals(successes: Sequence[int], n: Sequence[int]) -> list[Interval]:
    """95% Wilson score intervals of successes / n, element by element; (0, 1) where n is 0.
    One vectorised call (statsmodels), so that a report's many criteria cost little."""
    from statsmodels.stats.proportion import proportion_confint

    if not len(n):
        return []
    total = np.asarray(n, float)
    low, high = proportion_confint(np.asarray(successes, float), np.maximum(total, 1),
                                   alpha=ALPHA, method="wilson")
    return [(0.0, 1.0) if t == 0 else (float(max(lo, 0.0)), float(min(hi, 1.0)))
            for lo, hi, t in zip(np.atleast_1d(low), np.atleast_1d(high), total, strict=True)]


def rate_interval(successes: int, n: int) -> Interval:
    """95% Wilson score interval of successes / n; (0, 1) when n is 0."""
    return rate_intervals([successes], [n])[0]


def difference_intervals(s1: Sequence[int], n1: Sequence[int], s0: Sequence[int],
                         n0: Sequence[int]) -> list[Interval]:
    """95% Newcombe hybrid score intervals of s1/n1 - s0/n0, element by element (every n
    at least 1)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    if not len(n1):
        return []
    low, high = confint_proportions_2indep(
        np.asarray(s1, float), np.asarray(n1, float), np.asarray(s0, float),
        np.asarray(n0, float), method="newcomb", compare="diff", alpha=ALPHA)
    return [(float(max(lo, -1.0)), float(min(hi, 1.0)))
            for lo, hi in zip(np.atleast_1d(low), np.atleast_1d(high), strict=True)]


def difference_interval(s1: int, n1: int, s0: int, n0: int) -> Interval:
    """95% Newcombe hybrid score interval of s1/n1 - s0/n0."""
    return difference_intervals([s1], [n1], [s0], [n0])[0]


def fisher_p(s1: int, n1: int, s0: int, n0: int) -> float:
    """Two-sided Fisher exact p-value of the 2x2 table (success, not) x (with, without)."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[s1, n1 - s1], [s0, n0 - s0]]).pvalue)


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the order given."""
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests

    adjusted = multipletests(list(pvalues), alpha=ALPHA, method="fdr_bh")[1]
    return [float(p) for p in adjusted]


@dataclass(frozen=True)
class Term:
    """One variable of a fitted logistic model: its odds ratio with a 95% interval."""

    name: str
    odds_ratio: float
    low: float
    high: float
    p_value: float


@dataclass(frozen=True)
class Fit:
    terms: tuple[Term, ...]
    n: int
    converged: bool


class FitError(ValueError):
    """The model cannot be fitted (separation, no variation); the message says why."""


def logistic(columns: Sequence[tuple[str, npt.NDArray[np.float64]]],
             outcome: npt.NDArray[np.bool_]) -> Fit:
    """Logistic regression of ``outcome`` on the columns (an intercept is added)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    names = [name for name, _ in columns]
    design = sm.add_constant(np.column_stack([col for _, col in columns]).astype(float),
                             has_constant="add")
    y = outcome.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = sm.Logit(y, design).fit(disp=0, maxiter=200)
        except (PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
            raise FitError("some criterion separates successes from failures perfectly, or "
                           f"criteria are collinear ({type(exc).__name__})") from None
        except ConvergenceWarning:
            raise FitError("the fit did not converge: too few outcomes for these "
                           "criteria") from None
    params = np.asarray(result.params)
    bounds = np.asarray(result.conf_int(alpha=ALPHA))
    pvalues = np.asarray(result.pvalues)
    if not np.all(np.isfinite(bounds)) or not np.all(np.isfinite(params)):
        raise FitError("the fit gave infinite estimates: some criterion is too rare")
    terms = tuple(Term(name, float(np.exp(params[i + 1])), float(np.exp(bounds[i + 1][0])),
                       float(np.exp(bounds[i + 1][1])), float(pvalues[i + 1]))
                  for i, name in enumerate(names))
    converged = bool(result.mle_retvals.get("converged", True))
    if not converged:
        raise FitError("the fit did not converge: too few outcomes for these criteria")
    return Fit(terms, len(y), converged)
