"""The insights report: every criterion tested, sorted by strength of evidence, the model,
and a recommendation per rule. Pure: facts in, plain data (the JSON contract) out.

Minimums, below which a figure says "not enough data" rather than guess:

- ``MIN_OUTCOMES`` (30) pairs with a result before any criterion is tested;
- ``MIN_GROUP`` (10) pairs with the criterion and 10 without it, for that criterion;
- ``MIN_MODEL_OUTCOMES`` (100) pairs with a result for the multivariable model, which takes
  at most one criterion per ``EVENTS_PER_VARIABLE`` (10) pairs of the rarer result (success
  or not), as the usual rule of thumb for logistic regression asks.

A criterion is flagged (``significant``) when its Benjamini-Hochberg adjusted p-value is
under ``ALPHA`` (0.05). Success means the result "success"; "partial" and "failure" both
count as not a success.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.insights.criteria import Criterion, criteria
from engine.insights.facts import PairFact
from engine.insights.stats import (
    ALPHA,
    FitError,
    bh_adjust,
    difference_intervals,
    fisher_p,
    logistic,
    rate_interval,
    rate_intervals,
)

MIN_OUTCOMES = 30
MIN_GROUP = 10
MIN_MODEL_OUTCOMES = 100
EVENTS_PER_VARIABLE = 10
NOT_ENOUGH = "not enough data"
HIGH = 20  # points from which a supported rule is said to be kept "high"
MODEL_KINDS = ("rule", "same", "learning_style", "tenure_gap", "tenure", "job_family",
               "subsidiary")  # not score bands: a score is the sum of the rules' points


def _r(value: float) -> float:
    return round(float(value), 4)


def _group(successes: int, n: int, interval: tuple[float, float]) -> dict[str, Any]:
    return {"pairs": n, "successes": successes, "rate": _r(successes / n) if n else None,
            "interval": [_r(interval[0]), _r(interval[1])]}


def _counts(criterion: Criterion, success: Sequence[bool]) -> tuple[int, int, int, int]:
    """(successes with, pairs with, successes without, pairs without)."""
    s1 = n1 = s0 = n0 = 0
    for ok, has in zip(success, criterion.has, strict=True):
        if has is True:
            n1, s1 = n1 + 1, s1 + ok
        elif has is False:
            n0, s0 = n0 + 1, s0 + ok
    return s1, n1, s0, n0


def _rows(found: Sequence[Criterion], success: Sequence[bool], enough: bool
          ) -> list[dict[str, Any]]:
    """One row per criterion: counts and rates with intervals; for those with enough data,
    the difference with its interval and Fisher's p-value."""
    counts = [_counts(c, success) for c in found]
    with_ = rate_intervals([c[0] for c in counts], [c[1] for c in counts])
    without = rate_intervals([c[2] for c in counts], [c[3] for c in counts])
    rows = []
    for criterion, (s1, n1, s0, n0), wi, woi in zip(found, counts, with_, without,
                                                    strict=True):
        rows.append({
            "criterion": criterion.name, "kind": criterion.kind,
            "with": _group(s1, n1, wi), "without": _group(s0, n0, woi),
            "unknown": sum(1 for h in criterion.has if h is None),
            "status": "tested" if enough and n1 >= MIN_GROUP and n0 >= MIN_GROUP
            else NOT_ENOUGH,
            "difference": None, "p_value": None, "p_adjusted": None,
            "significant": False, "direction": None})
    tested = [(row, cnt) for row, cnt in zip(rows, counts, strict=True)
              if row["status"] == "tested"]
    spans = difference_intervals(*(list(column) for column in zip(*[c for _, c in tested],
                                                                 strict=True))
                                 ) if tested else []
    for (row, (s1, n1, s0, n0)), (low, high) in zip(tested, spans, strict=True):
        diff = s1 / n1 - s0 / n0
        row["difference"] = {"value": _r(diff), "interval": [_r(low), _r(high)]}
        row["p_value"] = fisher_p(s1, n1, s0, n0)
        row["direction"] = "higher" if diff > 0 else "lower" if diff < 0 else "same"
    return rows


def _strength(row: Mapping[str, Any]) -> tuple[Any, ...]:
    if row["status"] != "tested":
        return (1, 0.0, 0.0, -row["with"]["pairs"], row["criterion"])
    return (0, row["p_adjusted"], row["p_value"], -abs(row["difference"]["value"]),
            row["criterion"])


def _pairs(n: int) -> str:
    return f"{n} pair{'' if n == 1 else 's'}"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{round(rate * 100):d}%"


def _span(interval: Sequence[float]) -> str:
    return f"[{round(interval[0] * 100):d}-{round(interval[1] * 100):d}%]"


def recommendation(row: Mapping[str, Any], points: int | None, effect: str) -> dict[str, Any]:
    """A plain sentence for the admin about one rule. Never applied automatically."""
    now = "excludes" if effect == "exclude" else f"{points:+d}" if points is not None else "?"
    head = f"{row['criterion']} ({now} now)"
    w, wo = row["with"], row["without"]
    if row["status"] != "tested":
        verdict = NOT_ENOUGH
        text = (f"{head}: not enough data yet ({_pairs(w['pairs'])} with a result where it "
                f"fired, {wo['pairs']} where it did not; {MIN_GROUP} of each are needed); "
                "keep it as it is and keep recording outcomes.")
        return {"rule": row["criterion"], "points": points, "effect": effect,
                "verdict": verdict, "text": text}
    figures = (f"pairs where it fired succeeded {_pct(w['rate'])} {_span(w['interval'])} "
               f"against {_pct(wo['rate'])} {_span(wo['interval'])} without")
    favours = effect == "score" and (points or 0) > 0
    if not row["significant"]:
        verdict = "unsupported"
        advice = ("the evidence neither supports nor contradicts it (the difference could be "
                  "chance): it is unsupported, not wrong; keep recording outcomes")
    elif (row["direction"] == "higher") == favours:
        verdict = "supported"
        advice = (f"the evidence supports keeping it{' high' if (points or 0) >= HIGH else ''}"
                  if favours
                  else "the evidence supports keeping it: pairs where it fired did worse")
    else:
        verdict = "against"
        advice = ("the evidence goes against it: pairs where it fired did worse; consider "
                  "lowering it, and see what that changes with `tandem rules compare`"
                  if favours else
                  "the evidence goes against it: pairs where it fired did better; consider "
                  "softening it, and see what that changes with `tandem rules compare`")
    return {"rule": row["criterion"], "points": points, "effect": effect, "verdict": verdict,
            "text": f"{head}: {figures}; {advice}."}


def _model(rows: Sequence[Mapping[str, Any]], found: Mapping[str, Criterion],
           success: np.ndarray[Any, np.dtype[np.bool_]]) -> dict[str, Any]:
    n = len(success)
    events = int(min(success.sum(), n - success.sum()))
    budget = events // EVENTS_PER_VARIABLE
    out: dict[str, Any] = {"status": NOT_ENOUGH, "n": n, "terms": [], "aliases": {},
                           "max_variables": budget,
                           "selection": (f"criteria with enough data, strongest first, at most "
                                         f"one per {EVENTS_PER_VARIABLE} pairs of the rarer "
                                         "result; chosen by their own evidence, so the "
                                         "model's p-values are somewhat optimistic")}
    if n < MIN_MODEL_OUTCOMES or budget < 1:
        out["reason"] = (f"{n} pairs with a result, {events} of the rarer result; the model "
                         f"needs {MIN_MODEL_OUTCOMES} pairs and {EVENTS_PER_VARIABLE} of the "
                         "rarer result per criterion")
        return out
    chosen: list[tuple[str, np.ndarray[Any, np.dtype[np.float64]]]] = []
    known = np.ones(n, bool)
    aliases: dict[str, str] = {}
    for row in rows:
        if len(chosen) >= budget:
            break
        if row["status"] != "tested" or row["kind"] not in MODEL_KINDS:
            continue
        has = found[row["criterion"]].has
        column = np.array([1.0 if h else 0.0 for h in has])
        alias = next((name for name, col in chosen
                      if np.array_equal(col, column) or np.array_equal(col, 1 - column)), None)
        if alias is not None:
            aliases[row["criterion"]] = alias
            continue
        mask = known & np.array([h is not None for h in has])
        design = np.column_stack([np.ones(n)] + [c for _, c in chosen] + [column])[mask]
        if np.linalg.matrix_rank(design) < design.shape[1]:
            continue
        chosen.append((row["criterion"], column))
        known = mask
    out["aliases"] = aliases
    while chosen:
        try:
            fit = logistic([(name, col[known]) for name, col in chosen], success[known])
        except FitError as exc:
            out["reason"] = str(exc)
            chosen.pop()
            continue
        out.update(status="fitted", n=fit.n, reason=None, terms=[
            {"criterion": t.name, "odds_ratio": _r(t.odds_ratio),
             "interval": [_r(t.low), _r(t.high)], "p_value": t.p_value,
             "still_matters": t.p_value < ALPHA and not t.low <= 1.0 <= t.high}
            for t in fit.terms])
        return out
    out["status"] = "failed" if out.get("reason") else NOT_ENOUGH
    out.setdefault("reason", "no criterion has enough data")
    return out


def _score_trend(facts: Sequence[PairFact], success: np.ndarray[Any, np.dtype[np.bool_]]
                 ) -> dict[str, Any]:
    """Do higher-scored pairs succeed more often? Odds ratio per 10 points of score."""
    scores = np.array([float(f.score) for f in facts]) / 10.0
    if len(facts) < MIN_OUTCOMES or np.ptp(scores) == 0:
        return {"status": NOT_ENOUGH, "odds_ratio_per_10_points": None, "interval": None,
                "p_value": None}
    try:
        term = logistic([("score per 10 points", scores)], success).terms[0]
    except FitError as exc:
        return {"status": "failed", "reason": str(exc), "odds_ratio_per_10_points": None,
                "interval": None, "p_value": None}
    return {"status": "tested", "odds_ratio_per_10_points": _r(term.odds_ratio),
            "interval": [_r(term.low), _r(term.high)], "p_value": term.p_value}


def insights(facts: Sequence[PairFact], *, model: bool = True,
             rules: Mapping[str, tuple[str, int]] | None = None) -> dict[str, Any]:
    """The whole report. ``rules``: rule id -> (effect, points) in force now, for the
    recommendations; by default, what the latest pair where each rule fired recorded."""
    success = np.array([f.success for f in facts], bool)
    enough = len(facts) >= MIN_OUTCOMES
    found = {c.name: c for c in criteria(facts)}
    rows = _rows(list(found.values()), success.tolist(), enough)
    tested = [r for r in rows if r["status"] == "tested"]
    for row, adjusted in zip(tested, bh_adjust([r["p_value"] for r in tested]), strict=True):
        row["p_adjusted"] = adjusted
        row["significant"] = adjusted < ALPHA
    rows.sort(key=_strength)
    results = {name: sum(1 for f in facts if f.result == name)
               for name in ("success", "partial", "failure")}
    low, high = rate_interval(results["success"], len(facts))
    current = dict(rules or {})
    for fact in sorted(facts, key=lambda f: f.seq):
        for rule in fact.fired:
            if rules is None:
                current[rule] = ("score", int(fact.points.get(rule, 0)))
    report: dict[str, Any] = {
        "pairs": len(facts), "successes": results["success"],
        "partials": results["partial"], "failures": results["failure"],
        "from_separations": sum(1 for f in facts if f.source == "separation"),
        "success_rate": _r(results["success"] / len(facts)) if facts else None,
        "success_interval": [_r(low), _r(high)],
        "alpha": ALPHA,
        "minimums": {"outcomes": MIN_OUTCOMES, "group": MIN_GROUP,
                     "model_outcomes": MIN_MODEL_OUTCOMES,
                     "events_per_variable": EVENTS_PER_VARIABLE},
        "status": "tested" if enough else NOT_ENOUGH,
        "tested": len(tested),
        "flagged": sum(1 for r in tested if r["significant"]),
        "criteria": rows,
        "score_trend": _score_trend(facts, success),
        "model": (_model(rows, found, success) if model else
                  {"status": "skipped", "terms": []}),
    }
    by_name = {r["criterion"]: r for r in rows}
    report["recommendations"] = [
        recommendation(by_name[rule], points if effect == "score" else None, effect)
        for rule, (effect, points) in sorted(current.items()) if rule in by_name]
    return report
