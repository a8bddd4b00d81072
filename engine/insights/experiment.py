"""Reading an experiment (`tandem pair --experiment`): arm B against arm A, by intention to
treat. Pure: the run's pairs and its arms in, plain data (the JSON contract) out.

Every pair counts in the arm its mentee was drawn into, whatever happened next; the result
of a pair is the one definition of ``engine.insights.results``, and only known results
(success, partial, failure) are compared. While pairs of the run are still running the
reading is *interim*: early failures arrive before successes, in both arms alike, so the
difference is fair but the rates are low. Mentees left unpaired have no result; their share
per arm is shown, since a rule set that pairs fewer mentees changes the program too.

The difference is B's success rate minus A's, with Newcombe's 95% interval and the
two-sided p-value of the two-proportion z-test; the power is the chance that this test flags
a true difference of ``difference`` at alpha (the same normal approximation, statsmodels),
at the numbers of results so far and once every pair formed has a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.insights.facts import PairFact
from engine.insights.results import OUTCOMES, RUNNING
from engine.insights.stats import (
    ALPHA,
    difference_interval,
    power,
    rate_interval,
    ztest_p,
)

MIN_ARM = 10  # results per arm before the arms are compared
DIFFERENCE = 0.15


def _r(value: float) -> float:
    return round(float(value), 4)


def _arm(facts: Sequence[PairFact], mentees: int) -> dict[str, Any]:
    known = [f for f in facts if f.result in OUTCOMES]
    successes = sum(f.success for f in known)
    low, high = rate_interval(successes, len(known))
    return {"mentees": mentees, "pairs": len(facts),
            "running": sum(f.result == RUNNING for f in facts),
            "results": len(known), "successes": successes,
            "rate": _r(successes / len(known)) if known else None,
            "interval": [_r(low), _r(high)]}


def experiment_report(facts: Sequence[PairFact], arms: Mapping[str, str], *,
                      difference: float = DIFFERENCE, alpha: float = ALPHA) -> dict[str, Any]:
    """Arm B against arm A on the pairs of one experiment run (``facts``, whose mentees
    ``arms`` gives)."""
    by_arm = {arm: [f for f in facts if arms.get(f.mentee) == arm] for arm in ("A", "B")}
    mentees = {arm: sum(1 for a in arms.values() if a == arm) for arm in ("A", "B")}
    out: dict[str, Any] = {
        "alpha": alpha, "difference_sized": difference, "min_arm": MIN_ARM,
        "arms": {arm: _arm(by_arm[arm], mentees[arm]) for arm in ("A", "B")},
        "status": "interim" if any(f.result == RUNNING for f in facts) else "final",
        "difference": None, "p_value": None, "significant": False}
    a, b = out["arms"]["A"], out["arms"]["B"]
    base = a["rate"] if a["rate"] is not None else 0.5
    out["power_now"] = _r(power(base, difference, b["results"], a["results"], alpha))
    out["power_when_ended"] = _r(power(base, difference, b["pairs"], a["pairs"], alpha))
    if a["results"] < MIN_ARM or b["results"] < MIN_ARM:
        out["status"] = "not enough data"
        return out
    low, high = difference_interval(b["successes"], b["results"], a["successes"],
                                    a["results"])
    out["difference"] = {"value": _r(b["successes"] / b["results"]
                                     - a["successes"] / a["results"]),
                         "interval": [_r(low), _r(high)]}
    out["p_value"] = ztest_p(b["successes"], b["results"], a["successes"], a["results"])
    out["significant"] = out["p_value"] < alpha
    return out
