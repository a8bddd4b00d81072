"""The insights report: which criteria go with success, adjusted for the score and the
cohort, in two families, and a recommendation per rule. Pure: facts in, plain data (the JSON
contract) out.

**Only what is known.** A pair counts when its result is known (``engine.insights.results``:
success, partial or failure) and every pair of its cohort (the run that formed it) has ended.
A cohort with pairs still running is left out whole, with a count: its early failures are
known and its successes are not yet, so counting it would bias every comparison. Attrition
(separations for availability or leaving the company) is counted per criterion, apart from
the results; a separation for conflict is an eligibility error and counts nowhere.

**Selection in the open.** Pairs exist because they scored well, so every criterion that
earns points goes together with the score. Each criterion's comparison is therefore adjusted
for the score and the cohort (logistic regression: success on the criterion, the score per
10 points and one term per cohort big enough; by Firth's penalised likelihood when the
criterion separates successes from failures), and the unadjusted figures are shown beside
it. Criteria that split the pairs identically (a rule and the plain criterion it tests) are
one row, with the other names as ``aliases``. A criterion nested in another (every pair
with it has the other too: a rule that tests a plain criterion plus more conditions, a
department within a job family) is no row of its own: it is listed under the broadest
criterion that holds it, as a ``refinement``, with its counts, and is not tested apart; a
family of nested criteria is one row, one test and at most one finding.

**Two families.** The rules in force form the confirmatory family; every other trait forms
the exploratory family. Each family is corrected apart (Benjamini-Hochberg on the adjusted
p-values). The interval of a flagged criterion is adjusted like its p-value (the false
coverage rate interval of Benjamini and Yekutieli: level 1 - R x alpha / m for R flagged of
m tested); the interval of a criterion not flagged is the plain 95% one, and says so.

Minimums, below which a figure says "not enough data" rather than guess:

- ``MIN_OUTCOMES`` (30) ended pairs with a result before any criterion is tested;
- ``MIN_GROUP`` (10) pairs with the criterion and 10 without it, for that criterion.

A group of fewer than ``min_group`` pairs (default ``SMALL_GROUP``, 5) shows no count, rate
or score: its row says "too small".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.insights.criteria import Criterion, criteria
from engine.insights.facts import PairFact
from engine.insights.results import ATTRITION, OUTCOMES, RUNNING
from engine.insights.stats import (
    ALPHA,
    FitError,
    adjusted_fit,
    bh_adjust,
    difference_intervals,
    fisher_p,
    inflation,
    logistic,
    pairs_needed,
    power,
    rate_interval,
    rate_intervals,
)

MIN_OUTCOMES = 30
MIN_GROUP = 10
SMALL_GROUP = 5
NESTING_CHANCE = 1e-6  # a subset this unlikely by chance is taken as a nesting
MIN_COHORT_TERM = 10  # pairs of a cohort before it gets a term of its own in the adjustment
NOT_ENOUGH = "not enough data"
TOO_SMALL = "too small"
NOT_ESTIMABLE = "not estimable"
CONFIRMATORY, EXPLORATORY = "confirmatory", "exploratory"
HIGH = 20  # points from which a supported rule is said to be kept "high"
DIFFERENCE = 0.15  # the difference `--question` and `--power` size for, by default
ADJUSTMENT = "the score (per 10 points) and the cohort"
WHY = ("Unadjusted compares every pair with the criterion to every pair without it; "
       "adjusted compares pairs of the same score and cohort. Pairs exist because they "
       "scored well, so a criterion that goes with a higher score looks better unadjusted "
       "than it is.")


def _r(value: float) -> float:
    return round(float(value), 4)


# -- which pairs count ---------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The pairs analysed, and what was left out."""

    analysed: tuple[PairFact, ...]
    attrition: tuple[PairFact, ...]
    running_cohorts: tuple[dict[str, Any], ...]
    counts: Mapping[str, int]


def scope(facts: Sequence[PairFact]) -> Scope:
    """Ended cohorts' pairs with a result (and their attrition); running cohorts apart."""
    running = {f.cohort for f in facts if f.result == RUNNING}
    analysed = tuple(f for f in facts if f.result in OUTCOMES and f.cohort not in running)
    attrition = tuple(f for f in facts if f.result == ATTRITION and f.cohort not in running)
    cohorts = []
    for cohort in sorted(running):
        own = [f for f in facts if f.cohort == cohort]
        cohorts.append({"cohort": cohort, "pairs": len(own),
                        "running": sum(f.result == RUNNING for f in own),
                        "with_result": sum(f.result in OUTCOMES for f in own)})
    counts: dict[str, int] = {}
    for f in facts:
        counts[f.result] = counts.get(f.result, 0) + 1
    return Scope(analysed, attrition, tuple(cohorts), counts)


# -- the adjustment --------------------------------------------------------------------------

def covariates(facts: Sequence[PairFact]) -> npt.NDArray[np.float64]:
    """An intercept, the score per 10 points, and one indicator per cohort of at least
    MIN_COHORT_TERM pairs with both successes and others (the largest is the reference;
    smaller cohorts share it)."""
    n = len(facts)
    columns = [np.ones(n), np.array([float(f.score) / 10 for f in facts])]
    sizes: dict[str, list[bool]] = {}
    for f in facts:
        sizes.setdefault(f.cohort, []).append(f.success)
    big = sorted((c for c, s in sizes.items()
                  if len(s) >= MIN_COHORT_TERM and 0 < sum(s) < len(s)),
                 key=lambda c: (-len(sizes[c]), c))
    for cohort in big[1:]:
        columns.append(np.array([1.0 if f.cohort == cohort else 0.0 for f in facts]))
    return np.column_stack(columns)


# -- the rows ---------------------------------------------------------------------------------

def merge_aliases(found: Sequence[Criterion]) -> list[tuple[Criterion, list[str]]]:
    """One criterion per distinct split of the pairs, with the names of the others that
    split them identically (a rule and the plain criterion it tests), in the given order."""
    seen: dict[tuple[bool | None, ...], int] = {}
    out: list[tuple[Criterion, list[str]]] = []
    for c in found:
        if c.has in seen:
            out[seen[c.has]][1].append(c.name)
            continue
        seen[c.has] = len(out)
        out.append((c, []))
    return out


def nesting(found: Sequence[Criterion]) -> list[int | None]:
    """For each criterion, the index of the criterion it is nested in (None for none).

    A is nested in B when, over the pairs where both are known, every pair with A has B,
    B holds at least as many pairs (more, or as many and B comes first), and chance cannot
    explain it: were A and B unrelated, all of A's pairs falling among B's would happen with
    probability (B's share) ** (A's pairs), which must be under ``NESTING_CHANCE``. A
    criterion nested in several goes to the smallest of them (then the first), so that
    nested criteria form trees whose roots are the broadest."""
    if not found:
        return []
    value = np.array([[h is True for h in c.has] for c in found], float)
    known = np.array([[h is not None for h in c.has] for c in found], float)
    outside = known - value  # known and without
    breaks = value @ outside.T  # [a, b]: pairs with a, known for b, without b
    inside = value @ known.T  # [a, b]: pairs with a, known for b
    pairs_b = known @ value.T  # [a, b]: pairs known for a, with b
    both = known @ known.T
    size = value.sum(axis=1)
    parents: list[int | None] = []
    for a in range(len(found)):
        best: int | None = None
        for b in range(len(found)):
            if b == a or breaks[a, b] or not inside[a, b] or not both[a, b]:
                continue
            if size[b] < size[a] or (size[b] == size[a] and b > a):
                continue
            share = pairs_b[a, b] / both[a, b]
            if share >= 1 or share ** inside[a, b] >= NESTING_CHANCE:
                continue
            if best is None or size[b] < size[best]:
                best = b
        parents.append(best)
    return parents


def _root(parents: Sequence[int | None], i: int) -> int:
    while (up := parents[i]) is not None:
        i = up
    return i


def _counts(has: Sequence[bool | None], success: Sequence[bool]) -> tuple[int, int, int, int]:
    """(successes with, pairs with, successes without, pairs without)."""
    s1 = n1 = s0 = n0 = 0
    for ok, h in zip(success, has, strict=True):
        if h is True:
            n1, s1 = n1 + 1, s1 + ok
        elif h is False:
            n0, s0 = n0 + 1, s0 + ok
    return s1, n1, s0, n0


def _mean(values: Sequence[float]) -> float | None:
    return _r(sum(values) / len(values)) if values else None


def _group(s: int, n: int, interval: tuple[float, float], scores: Sequence[float],
           shown: bool) -> dict[str, Any]:
    if not shown:
        return {"pairs": None, "successes": None, "rate": None, "interval": None,
                "mean_score": None}
    return {"pairs": n, "successes": s, "rate": _r(s / n) if n else None,
            "interval": [_r(interval[0]), _r(interval[1])], "mean_score": _mean(scores)}


def _why(row: Mapping[str, Any], trend: float | None) -> str:
    w, wo = row["with"]["mean_score"], row["without"]["mean_score"]
    if w is None or wo is None:
        return ""
    gap = w - wo
    if abs(gap) < 5:
        return (f"Pairs with and without it scored alike ({gap:+.0f} points on average), so "
                "the two figures differ only by the cohort mix and chance.")
    trend_text = ("" if trend is None else
                  ", and higher-scored pairs succeed more often" if trend > 1 else
                  ", and higher-scored pairs succeed less often" if trend < 1 else "")
    return (f"Pairs with it scored {abs(gap):.0f} points {'more' if gap > 0 else 'less'} on "
            f"average{trend_text}: the unadjusted difference mixes the criterion with the "
            "score; the adjusted one compares pairs of the same score and cohort.")


def _row(criterion: Criterion, aliases: list[str], family: str,
         success: Sequence[bool], scores: Sequence[float], attrition: Sequence[bool | None],
         enough: bool, small: int) -> dict[str, Any]:
    s1, n1, s0, n0 = _counts(criterion.has, success)
    (wi,), (woi,) = rate_intervals([s1], [n1]), rate_intervals([s0], [n0])
    shown = n1 >= small and n0 >= small
    with_scores = [x for x, h in zip(scores, criterion.has, strict=True) if h is True]
    without_scores = [x for x, h in zip(scores, criterion.has, strict=True) if h is False]
    status = ("tested" if enough and n1 >= MIN_GROUP and n0 >= MIN_GROUP
              else NOT_ENOUGH if shown else TOO_SMALL)
    return {
        "criterion": criterion.name, "kind": criterion.kind, "aliases": aliases,
        "family": family, "status": status,
        "with": _group(s1, n1, wi, with_scores, shown),
        "without": _group(s0, n0, woi, without_scores, shown),
        "unknown": sum(1 for h in criterion.has if h is None),
        "attrition": ({"with": sum(1 for a in attrition if a is True),
                       "without": sum(1 for a in attrition if a is False)}
                      if shown else None),
        "unadjusted": None, "adjusted": None, "significant": False, "direction": None,
        "why": "", "refinements": [], "_with": n1}


def _refinement(row: Mapping[str, Any], refines: str) -> dict[str, Any]:
    """A nested criterion as its root row lists it: its counts (hidden like a row's), no
    test."""
    return {"criterion": row["criterion"], "kind": row["kind"], "aliases": row["aliases"],
            "refines": refines, "status": TOO_SMALL if row["status"] == TOO_SMALL
            else "refinement", "with": row["with"], "without": row["without"],
            "unknown": row["unknown"], "attrition": row["attrition"]}


def _side(row: Mapping[str, Any]) -> tuple[str, str]:
    first = str(row["criterion"]).split(" ", 1)[0]
    return (str(row["kind"]), first if first in ("mentor", "mentee") else "")


def protect(rows: Sequence[dict[str, Any]], small: int) -> None:
    """Secondary suppression: among the rows of one categorical trait (a side's job family,
    say), whose pairs add up to the total, one hidden row could be recovered by
    subtraction; hide the smallest shown rows too, until two or more are hidden and they
    hold ``small`` pairs or more together."""
    families: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["kind"] not in ("rule", "same"):
            families.setdefault(_side(row), []).append(row)
    for family in families.values():
        while True:
            hidden = [r for r in family if r["status"] == TOO_SMALL]
            shown = sorted((r for r in family if r["status"] != TOO_SMALL),
                           key=lambda r: (r["with"]["pairs"], r["criterion"]))
            held = sum(r["_with"] for r in hidden)
            if not (hidden and shown and (len(hidden) == 1 or held < small)):
                break
            _hide(shown[0])
    for row in rows:
        del row["_with"]


def _hide(row: dict[str, Any]) -> None:
    empty = {"pairs": None, "successes": None, "rate": None, "interval": None,
             "mean_score": None}
    row.update(status=TOO_SMALL, attrition=None, **{"with": dict(empty),
                                                   "without": dict(empty)})


def _test(row: dict[str, Any], has: Sequence[bool | None], success: npt.NDArray[np.bool_],
          base: npt.NDArray[np.float64]) -> None:
    """Fill in the unadjusted and adjusted comparisons of a tested row."""
    s1, n1 = row["with"]["successes"], row["with"]["pairs"]
    s0, n0 = row["without"]["successes"], row["without"]["pairs"]
    (low, high), = difference_intervals([s1], [n1], [s0], [n0])
    row["unadjusted"] = {"difference": {"value": _r(s1 / n1 - s0 / n0),
                                        "interval": [_r(low), _r(high)]},
                         "p_value": fisher_p(s1, n1, s0, n0)}
    known = np.array([h is not None for h in has])
    column = np.array([1.0 if h else 0.0 for h in has])[known]
    try:
        fit = adjusted_fit(column, base[known], success[known])
    except FitError as exc:
        row["status"] = NOT_ESTIMABLE
        row["reason"] = str(exc)
        return
    row["adjusted"] = {"odds_ratio": _r(fit.odds_ratio()), "log_odds": fit.log_odds,
                       "se": fit.se, "p_value": fit.p_value, "p_adjusted": None,
                       "interval": [_r(b) for b in fit.interval()],
                       "interval_adjusted": False, "method": fit.method}


def _correct(rows: Sequence[dict[str, Any]], alpha: float) -> dict[str, int]:
    """Benjamini-Hochberg over the rows' adjusted p-values, and the intervals of the
    flagged rows widened to the false coverage rate level."""
    from engine.insights.stats import Adjusted

    tested = [r for r in rows if r["adjusted"] is not None]
    for row, p in zip(tested, bh_adjust([r["adjusted"]["p_value"] for r in tested]),
                      strict=True):
        row["adjusted"]["p_adjusted"] = p
        row["significant"] = p < alpha
        odds = row["adjusted"]["odds_ratio"]
        row["direction"] = "higher" if odds > 1 else "lower" if odds < 1 else "same"
    flagged = [r for r in tested if r["significant"]]
    for row in flagged:
        a = row["adjusted"]
        fit = Adjusted(a["log_odds"], a["se"], a["p_value"], 0)
        a["interval"] = [_r(b) for b in fit.interval(alpha * len(flagged) / len(tested))]
        a["interval_adjusted"] = True
    return {"tested": len(tested), "flagged": len(flagged)}


def _strength(row: Mapping[str, Any]) -> tuple[Any, ...]:
    family = 0 if row["family"] == CONFIRMATORY else 1
    if row["adjusted"] is None:
        return (family, 1, 0.0, 0.0, row["criterion"])
    return (family, 0, row["adjusted"]["p_adjusted"], row["adjusted"]["p_value"],
            row["criterion"])


# -- recommendations -------------------------------------------------------------------------

def _pairs(n: int) -> str:
    return f"{n} pair{'' if n == 1 else 's'}"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{round(rate * 100):d}%"


def _span(interval: Sequence[float] | None) -> str:
    if not interval:
        return ""
    return f"[{round(interval[0] * 100):d}-{round(interval[1] * 100):d}%]"


def recommendation(row: Mapping[str, Any], points: int | None, effect: str,
                   within: str | None = None) -> dict[str, Any]:
    """A plain sentence for the admin about one rule, read from its adjusted comparison
    (``within``: the broader criterion whose row it refines, and whose figures these are).
    Never applied automatically."""
    now = "excludes" if effect == "exclude" else f"{points:+d}" if points is not None else "?"
    head = f"{row['criterion']} ({now} now)"
    if within is not None:
        head += (f", tested as part of {within} (every pair where it fired is among "
                 f"{within}'s, so the two are one finding)")
    w, wo = row["with"], row["without"]
    if row["adjusted"] is None:
        verdict = NOT_ENOUGH
        if row["status"] == NOT_ESTIMABLE:
            text = (f"{head}: the comparison adjusted for the score and the cohort cannot be "
                    "estimated yet; keep it as it is and keep recording outcomes.")
        elif w["pairs"] is None:
            text = (f"{head}: not enough data yet (fewer than {MIN_GROUP} ended pairs on one "
                    "side); keep it as it is and keep recording outcomes.")
        else:
            text = (f"{head}: not enough data yet ({_pairs(w['pairs'])} with a result where "
                    f"it fired, {wo['pairs']} where it did not; {MIN_GROUP} of each are "
                    "needed); keep it as it is and keep recording outcomes.")
        return {"rule": row["criterion"], "points": points, "effect": effect,
                "verdict": verdict, "text": text}
    a = row["adjusted"]
    subject = "pairs where it fired" if within is None else f"pairs with {within}"
    figures = (f"{subject} succeeded {_pct(w['rate'])} {_span(w['interval'])} "
               f"against {_pct(wo['rate'])} {_span(wo['interval'])} without; at the same "
               f"score and cohort, odds ratio {a['odds_ratio']:.2f} "
               f"[{a['interval'][0]:.2f}-{a['interval'][1]:.2f}]")
    favours = effect == "score" and (points or 0) > 0
    if not row["significant"]:
        verdict = "unsupported"
        advice = ("once the score and the cohort are accounted for, the evidence neither "
                  "supports nor contradicts it (the difference could be chance): it is "
                  "unsupported, not wrong; keep recording outcomes")
    elif (row["direction"] == "higher") == favours:
        verdict = "supported"
        advice = (f"the evidence supports keeping it{' high' if (points or 0) >= HIGH else ''}"
                  if favours
                  else "the evidence supports keeping it: pairs where it fired did worse")
    else:
        verdict = "against"
        advice = ("the evidence goes against it: at the same score, pairs where it fired did "
                  "worse; consider lowering it, and see what that changes with `tandem "
                  "rules compare`"
                  if favours else
                  "the evidence goes against it: at the same score, pairs where it fired did "
                  "better; consider softening it, and see what that changes with `tandem "
                  "rules compare`")
    return {"rule": row["criterion"], "points": points, "effect": effect, "verdict": verdict,
            "text": f"{head}: {figures}; {advice}."}


# -- the whole report -------------------------------------------------------------------------

def _score_trend(facts: Sequence[PairFact], success: npt.NDArray[np.bool_]
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


def rules_in_force(facts: Sequence[PairFact]) -> dict[str, tuple[str, int]]:
    """Rule id -> (effect, points) as the latest pair where each rule fired recorded it."""
    current: dict[str, tuple[str, int]] = {}
    for fact in sorted(facts, key=lambda f: f.seq):
        for rule in fact.fired:
            current[rule] = ("score", int(fact.points.get(rule, 0)))
    return current


def _analyse(facts: Sequence[PairFact], rules: Mapping[str, tuple[str, int]],
             small: int, only: str | None = None, nest: bool = True
             ) -> tuple[list[dict[str, Any]], npt.NDArray[np.bool_]]:
    """Every criterion's row over the analysed pairs (the attrition pairs counted apart);
    with ``nest``, nested criteria become refinements of their root row."""
    found = scope(facts)
    everyone = [*found.analysed, *found.attrition]
    n = len(found.analysed)
    success = np.array([f.success for f in found.analysed], bool)
    scores = [float(f.score) for f in found.analysed]
    enough = n >= MIN_OUTCOMES
    base = covariates(found.analysed) if n else np.zeros((0, 2))
    rows, columns = [], []
    merged = merge_aliases([c for c in criteria(everyone) if c.kind != "score"])
    for criterion, aliases in merged:
        names = {criterion.name, *aliases}
        family = CONFIRMATORY if names & set(rules) else EXPLORATORY
        own = Criterion(criterion.name, criterion.kind, criterion.has[:n])
        rows.append(_row(own, aliases, family, success.tolist(), scores, criterion.has[n:],
                         enough, small))
        columns.append(own.has)
    protect(rows, small)
    if nest:
        parents = nesting([c for c, _ in merged])
        for i, parent in enumerate(parents):
            if parent is None:
                continue
            root = rows[_root(parents, i)]
            root["refinements"].append(_refinement(rows[i], rows[parent]["criterion"]))
            if rows[i]["family"] == CONFIRMATORY:
                root["family"] = CONFIRMATORY
        kept = [i for i, parent in enumerate(parents) if parent is None]
        rows, columns = [rows[i] for i in kept], [columns[i] for i in kept]
    if only is not None:
        kept = [i for i, r in enumerate(rows) if only in (r["criterion"], *r["aliases"])]
        rows, columns = [rows[i] for i in kept], [columns[i] for i in kept]
    for row, has in zip(rows, columns, strict=True):
        if row["status"] == "tested":
            _test(row, has, success, base)
    return rows, success


def insights(facts: Sequence[PairFact], *,
             rules: Mapping[str, tuple[str, int]] | None = None,
             min_group: int = SMALL_GROUP, alpha: float = ALPHA) -> dict[str, Any]:
    """The whole report. ``facts``: every pair the log formed, with its result kind and
    cohort. ``rules``: rule id -> (effect, points) in force now (the confirmatory family and
    the recommendations); by default, what the latest pair where each rule fired recorded."""
    found = scope(facts)
    analysed = found.analysed
    current = dict(rules) if rules is not None else rules_in_force(facts)
    rows, success = _analyse(facts, current, min_group)
    families = {family: _correct([r for r in rows if r["family"] == family], alpha)
                for family in (CONFIRMATORY, EXPLORATORY)}
    trend = _score_trend(analysed, success)
    for row in rows:
        if row["adjusted"] is not None:
            row["why"] = _why(row, trend["odds_ratio_per_10_points"])
        if row["adjusted"] is not None:
            del row["adjusted"]["log_odds"], row["adjusted"]["se"]
    rows.sort(key=_strength)
    results = {name: sum(1 for f in analysed if f.result == name) for name in OUTCOMES}
    low, high = rate_interval(results["success"], len(analysed))
    report: dict[str, Any] = {
        "pairs": len(analysed), "successes": results["success"],
        "partials": results["partial"], "failures": results["failure"],
        "from_separations": sum(1 for f in analysed if f.source == "separation"),
        "success_rate": _r(results["success"] / len(analysed)) if analysed else None,
        "success_interval": [_r(low), _r(high)],
        "results": dict(sorted(found.counts.items())),
        "attrition": len(found.attrition),
        "running_cohorts": list(found.running_cohorts),
        "left_out": sum(c["with_result"] for c in found.running_cohorts),
        "alpha": alpha, "min_group": min_group,
        "minimums": {"outcomes": MIN_OUTCOMES, "group": MIN_GROUP},
        "adjusted_for": ADJUSTMENT, "why_adjusted": WHY,
        "status": "tested" if len(analysed) >= MIN_OUTCOMES else NOT_ENOUGH,
        "families": families,
        "tested": sum(f["tested"] for f in families.values()),
        "flagged": sum(f["flagged"] for f in families.values()),
        "criteria": rows,
        "score_trend": trend,
    }
    by_name = {name: r for r in rows for name in (r["criterion"], *r["aliases"])}
    within = {name: r["criterion"] for r in rows for sub in r["refinements"]
              for name in (sub["criterion"], *sub["aliases"])}
    by_name.update({name: next(r for r in rows if r["criterion"] == root)
                    for name, root in within.items()})
    report["recommendations"] = [
        recommendation({**by_name[rule], "criterion": rule},
                       points if effect == "score" else None, effect, within.get(rule))
        for rule, (effect, points) in sorted(current.items()) if rule in by_name]
    return report


def question(facts: Sequence[PairFact], name: str, *, difference: float = DIFFERENCE,
             min_group: int = SMALL_GROUP, alpha: float = ALPHA) -> dict[str, Any]:
    """One pre-specified test: the criterion ``name`` (or one of its aliases), adjusted for
    the score and the cohort, with no correction for other tests, and its power: the chance
    that it flags a true difference of ``difference`` at the present numbers."""
    found = scope(facts)
    rows, success = _analyse(facts, {}, min_group, name, nest=False)
    match = [r for r in rows if name in (r["criterion"], *r["aliases"])]
    if not match:
        rows, _ = _analyse(facts, {}, min_group, None, nest=False)
        from engine.base.errors import TandemError
        from engine.base.suggest import closest

        names = [n for r in rows for n in (r["criterion"], *r["aliases"])]
        near = closest(name, names)
        hint = f" (did you mean {near!r}?)" if near else ""
        raise TandemError(f"no criterion is named {name!r}{hint}; `tandem insights --format "
                          "json` lists them all")
    row = match[0]
    row["family"] = "pre-specified"
    if row["adjusted"] is not None:
        a = row["adjusted"]
        a["p_adjusted"] = a["p_value"]
        row["significant"] = a["p_value"] < alpha
        row["direction"] = ("higher" if a["odds_ratio"] > 1 else
                            "lower" if a["odds_ratio"] < 1 else "same")
        del a["log_odds"], a["se"]
        row["why"] = _why(row, _score_trend(found.analysed, success)
                          ["odds_ratio_per_10_points"])
    everyone = [*found.analysed, *found.attrition]
    criterion = next(c for c in criteria(everyone) if c.name == row["criterion"])
    has = criterion.has[:len(found.analysed)]
    known = np.array([h is not None for h in has])
    n1 = sum(1 for h in has if h is True)
    n0 = sum(1 for h in has if h is False)
    kept = (inflation(np.array([1.0 if h else 0.0 for h in has])[known],
                      covariates(found.analysed)[known]) if n1 and n0 else 1.0)
    rate0 = (sum(ok for ok, h in zip(success, has, strict=True) if h is False) / n0
             if n0 else 0.5)
    chance = power(rate0, difference, n1 * kept, n0 * kept, alpha) if n1 and n0 else 0.0
    share = n1 / (n1 + n0) if n1 and n0 else 0.5
    return {"question": name, "alpha": alpha, "difference": difference,
            "pairs": len(found.analysed), "left_out": sum(c["with_result"]
                                                          for c in found.running_cohorts),
            "adjusted_for": ADJUSTMENT, "criterion": row,
            "power": _r(chance), "kept_after_adjustment": _r(kept),
            "pairs_for_80_percent": pairs_needed(rate0, difference, share, alpha, kept=kept)}


def plan(facts: Sequence[PairFact], *, difference: float = DIFFERENCE,
         share: float = 0.5, base: float | None = None, alpha: float = ALPHA
         ) -> dict[str, Any]:
    """How many ended pairs with a result a single pre-specified test needs to flag a true
    ``difference`` with 80% power, when a ``share`` of pairs have the criterion and the
    others succeed at ``base`` (by default, the program's success rate so far)."""
    found = scope(facts)
    n = len(found.analysed)
    rate = base if base is not None else (
        sum(f.success for f in found.analysed) / n if n else 0.5)
    needed = pairs_needed(rate, difference, share, alpha)
    return {"difference": difference, "share": share, "base": _r(rate), "alpha": alpha,
            "power": 0.8, "pairs_needed": needed, "pairs_now": n,
            "left_out": sum(c["with_result"] for c in found.running_cohorts),
            "note": ("for one pre-specified test; a criterion that goes with the score needs "
                     "more (`--question` says how many for a given criterion), and a "
                     "criterion tested among many needs more still")}
