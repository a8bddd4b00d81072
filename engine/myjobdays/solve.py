"""The optimal set of visits, as mixed-integer programs solved by scipy's milp (HiGHS).

In: an `Instance` (candidate visits with their scores, the hosts' places per day, the
number of days, the visits allowed per person) and a time limit. Out: the chosen
(candidate, day) pairs, and which path proved them optimal (or the gap when the time limit
stopped the solver).

The rules of a plan:

- a host's visitors on a day: at most the host's slots;
- one visit a day per visitor, and none on a day they host (a person who both hosts and
  visits: the coupling);
- at most `visits_per_person` visits each;
- one visit per job family a visitor asked for (so each visit shows another family, and
  no host is visited twice).

The objective is lexicographic: first the most visits, then the highest total score. Each
model is solved in two stages, each to proven optimality (relative gap 0; the scores are
whole numbers, so HiGHS's default absolute gap of 1e-6 cannot hide a better plan): the
second stage keeps the first stage's number of visits as a constraint.

Three paths, named in the plan (`Solution.path`):

- ``exact``: the whole model, one variable per (candidate, day), with y[p, d] = 1 when a
  person p who both visits and hosts has visitors on day d. Used directly for small
  instances (below `EXACT_BELOW` variables), where it is fast.
- ``visits-then-days``: the visits first, without days, under aggregated rows (a host's
  visitors at most slots x days; for a person who both hosts and visits: slots x visits
  made + visitors received <= slots x days), then the days of the chosen visits by a small
  feasibility MILP. The visits are solved through `hosting_days_model`, where that
  coupling is written with one whole-number variable per such person (the days they
  receive visitors) and the visits are continuous: with those days fixed the rest is a
  network flow, whose vertices are whole numbers, so HiGHS branches on a few hundred
  variables instead of one per visit. Its linear relaxation bounds the number of visits;
  when a plan reaches that bound rounded down, the number is proved without a search of
  its own, and only the score stage is searched (else `visits_model`, one binary per
  visit, is solved in two stages). Every plan of the exact model gives a solution of the
  aggregated one with the same visits, so the aggregated optimum bounds the exact one;
  when its visits can be given days, the plan reaches the bound and is optimal for the
  exact model.
- ``exact-fallback``: the days cannot always be given (an odd cycle among people who both
  host and visit can block them), and then the exact model is solved, with the aggregated
  number of visits as a valid upper bound.

The plan is checked against every constraint after it is read back.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.base.errors import TandemError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Path = Literal["exact", "visits-then-days", "exact-fallback"]
Method = Literal["auto", "exact", "visits-then-days"]

# Below this many (candidate, day) variables the exact model is solved directly. Above it
# the exact model soon takes seconds where visits-then-days takes hundredths (random
# cohorts of 80 people, 525 variables: 1.25 s against 0.03 s of CPU).
EXACT_BELOW = 500


@dataclass(frozen=True)
class Edge:
    """One candidate visit."""

    visitor: int
    host: int
    family: str
    score: int


@dataclass(frozen=True)
class Instance:
    edges: Sequence[Edge]
    slots: Sequence[int]  # by host
    host_is_visitor: Sequence[int]  # by host: the same person's visitor index, or -1
    days: int
    visits_per_person: int


@dataclass(frozen=True)
class Solution:
    chosen: tuple[tuple[int, int], ...]  # (edge index, day index), sorted
    visits: int
    total_score: int
    path: Path = "exact"
    optimal: bool = True
    gap: float | None = 0.0  # relative gap of the stage that stopped; None when unknown
    stopped_at: Literal["visits", "score"] | None = None  # the stage the time limit stopped


class SolverStopped(TandemError):  # noqa: N818 - reads as what happened
    """The time limit came before any plan was found."""


def violations(instance: Instance, chosen: Sequence[tuple[int, int]]) -> list[str]:
    """Every constraint the chosen visits break, in words (empty when the plan is valid)."""
    found: list[str] = []
    per_host_day: dict[tuple[int, int], int] = {}
    per_visitor_day: dict[tuple[int, int], int] = {}
    per_visitor: dict[int, int] = {}
    per_family: dict[tuple[int, str], int] = {}
    for e, d in chosen:
        edge = instance.edges[e]
        per_host_day[(edge.host, d)] = per_host_day.get((edge.host, d), 0) + 1
        per_visitor_day[(edge.visitor, d)] = per_visitor_day.get((edge.visitor, d), 0) + 1
        per_visitor[edge.visitor] = per_visitor.get(edge.visitor, 0) + 1
        key = (edge.visitor, edge.family)
        per_family[key] = per_family.get(key, 0) + 1
    for (h, d), n in sorted(per_host_day.items()):
        if n > instance.slots[h]:
            found.append(f"host {h} has {n} visitors on day {d}, over {instance.slots[h]}")
        v = instance.host_is_visitor[h]
        if v >= 0 and per_visitor_day.get((v, d)):
            found.append(f"host {h} hosts and visits on day {d}")
    found += [f"visitor {v} makes {n} visits on day {d}"
              for (v, d), n in sorted(per_visitor_day.items()) if n > 1]
    found += [f"visitor {v} makes {n} visits, over {instance.visits_per_person}"
              for v, n in sorted(per_visitor.items()) if n > instance.visits_per_person]
    found += [f"visitor {v} visits {family} {n} times"
              for (v, family), n in sorted(per_family.items()) if n > 1]
    if len(set(chosen)) != len(chosen):
        found.append("a visit is chosen twice")
    return found


# -- the models, as sparse rows ------------------------------------------------------------
@dataclass
class _Rows:
    """Constraint rows lower <= A x <= upper, gathered as (row, col, value) triplets."""

    rows: list[IntArray]
    cols: list[IntArray]
    vals: list[FloatArray]
    lower: list[float]
    upper: list[float]

    @classmethod
    def empty(cls) -> _Rows:
        return cls([], [], [], [], [])

    def add(self, cols: Sequence[int] | IntArray, vals: Sequence[float] | FloatArray | float,
            upper: float, lower: float = -np.inf) -> None:
        index = np.asarray(cols, np.int64)
        values = np.broadcast_to(np.asarray(vals, np.float64), index.shape)
        self.rows.append(np.full(len(index), len(self.upper), np.int64))
        self.cols.append(index)
        self.vals.append(values)
        self.lower.append(lower)
        self.upper.append(upper)

    def constraint(self, n_vars: int) -> Any:
        from scipy.optimize import LinearConstraint
        from scipy.sparse import coo_array

        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64)
        vals = np.concatenate(self.vals) if self.vals else np.zeros(0)
        matrix = coo_array((vals, (rows, cols)), shape=(len(self.upper), n_vars)).tocsr()
        return LinearConstraint(matrix, np.array(self.lower), np.array(self.upper))


@dataclass(frozen=True)
class _Model:
    rows: _Rows
    n_vars: int
    upper: FloatArray  # each variable's upper bound (lower bounds are 0)
    count: FloatArray  # 1 on each visit variable
    score: FloatArray  # the visit's score on each visit variable
    integrality: FloatArray | None = None  # 1 on each whole-number variable; None: all


@dataclass(frozen=True)
class _Found:
    x: FloatArray
    visits: int
    score: int
    optimal: bool
    gap: float | None
    stopped_at: Literal["visits", "score"] | None


def _groups(keys: Sequence[Any]) -> dict[Any, list[int]]:
    out: dict[Any, list[int]] = {}
    for i, key in enumerate(keys):
        out.setdefault(key, []).append(i)
    return out


def _both(instance: Instance) -> list[int]:
    """Hosts with candidate visitors who also have candidate visits of their own."""
    visiting = {e.visitor for e in instance.edges}
    return sorted(h for h in {e.host for e in instance.edges}
                  if instance.host_is_visitor[h] in visiting)


def _scores(instance: Instance) -> FloatArray:
    return np.array([float(e.score) for e in instance.edges])


def exact_model(instance: Instance, at_most: int | None = None) -> _Model:
    """The whole model: x[e, d] for every candidate visit and day, y[h, d] for the hosts
    who also visit. `at_most` bounds the number of visits (a valid bound from a
    relaxation), or None."""
    n_edges, n_days = len(instance.edges), instance.days
    both = _both(instance)
    y_of = {h: n_edges * n_days + k * n_days for k, h in enumerate(both)}
    n_vars = n_edges * n_days + len(both) * n_days
    rows = _Rows.empty()
    days = np.arange(n_days)
    by_host = _groups([e.host for e in instance.edges])
    by_visitor = _groups([e.visitor for e in instance.edges])
    by_family = _groups([(e.visitor, e.family) for e in instance.edges])
    visitor_host = {instance.host_is_visitor[h]: h for h in both}
    for h, edges in sorted(by_host.items()):
        base = np.asarray(edges, np.int64) * n_days
        for d in range(n_days):
            if h in y_of:
                rows.add([*(base + d), y_of[h] + d], [1.0] * len(edges)
                         + [-float(instance.slots[h])], 0.0)
            else:
                rows.add(base + d, 1.0, float(instance.slots[h]))
    for v, edges in sorted(by_visitor.items()):
        base = np.asarray(edges, np.int64) * n_days
        for d in range(n_days):
            if v in visitor_host:
                rows.add([*(base + d), y_of[visitor_host[v]] + d], 1.0, 1.0)
            else:
                rows.add(base + d, 1.0, 1.0)
        rows.add((base[:, None] + days).ravel(), 1.0, float(instance.visits_per_person))
    for _, edges in sorted(by_family.items()):
        base = np.asarray(edges, np.int64) * n_days
        rows.add((base[:, None] + days).ravel(), 1.0, 1.0)
    count = np.zeros(n_vars)
    count[: n_edges * n_days] = 1.0
    if at_most is not None:
        rows.add(np.arange(n_edges * n_days), 1.0, float(at_most))
    score = np.zeros(n_vars)
    score[: n_edges * n_days] = np.repeat(_scores(instance), n_days)
    return _Model(rows, n_vars, np.ones(n_vars), count, score)


def visits_model(instance: Instance) -> _Model:
    """The visits without their days: z[e] for every candidate visit. A host h who also
    visits hosts on at least ceil(in(h) / slots) days, so their visits plus those days fit
    in the days: slots x out(h) + in(h) <= slots x days (for whole numbers the same as
    out(h) + ceil(in(h) / slots) <= days)."""
    n_edges, n_days = len(instance.edges), instance.days
    both = set(_both(instance))
    visitor_host = {instance.host_is_visitor[h]: h for h in both}
    rows = _Rows.empty()
    by_host = _groups([e.host for e in instance.edges])
    for h, edges in sorted(by_host.items()):
        if h not in both and len(edges) > instance.slots[h] * n_days:
            rows.add(edges, 1.0, float(instance.slots[h] * n_days))
    per_person = float(min(instance.visits_per_person, n_days))
    for v, edges in sorted(_groups([e.visitor for e in instance.edges]).items()):
        if len(edges) > per_person:
            rows.add(edges, 1.0, per_person)
        if v in visitor_host:
            h = visitor_host[v]
            slots = float(instance.slots[h])
            rows.add([*edges, *by_host[h]], [slots] * len(edges) + [1.0] * len(by_host[h]),
                     slots * n_days)
    for _, edges in sorted(_groups([(e.visitor, e.family) for e in instance.edges]).items()):
        if len(edges) > 1:
            rows.add(edges, 1.0, 1.0)
    return _Model(rows, n_edges, np.ones(n_edges), np.ones(n_edges), _scores(instance))


def hosting_days_model(instance: Instance) -> _Model:
    """The visits model again, with the coupling written through k[p], the number of days a
    person p who both hosts and visits receives visitors: visitors received <= slots x k[p]
    and visits made + k[p] <= days. Only k is a whole number: once k is fixed, what is left
    is a network flow (a visitor's visits, by family, to hosts with slots x days or
    slots x k places), whose constraint matrix is totally unimodular, so its vertices are
    whole numbers and the branching happens on k alone."""
    n_edges, n_days = len(instance.edges), instance.days
    both = _both(instance)
    k_of = {h: n_edges + i for i, h in enumerate(both)}
    visitor_host = {instance.host_is_visitor[h]: h for h in both}
    n_vars = n_edges + len(both)
    rows = _Rows.empty()
    for h, edges in sorted(_groups([e.host for e in instance.edges]).items()):
        slots = float(instance.slots[h])
        if h in k_of:
            rows.add([*edges, k_of[h]], [1.0] * len(edges) + [-slots], 0.0)
        elif len(edges) > slots * n_days:
            rows.add(edges, 1.0, slots * n_days)
    per_person = float(min(instance.visits_per_person, n_days))
    for v, edges in sorted(_groups([e.visitor for e in instance.edges]).items()):
        if len(edges) > per_person:
            rows.add(edges, 1.0, per_person)
        if v in visitor_host:
            rows.add([*edges, k_of[visitor_host[v]]], 1.0, float(n_days))
    for _, edges in sorted(_groups([(e.visitor, e.family) for e in instance.edges]).items()):
        if len(edges) > 1:
            rows.add(edges, 1.0, 1.0)
    upper = np.ones(n_vars)
    upper[n_edges:] = n_days
    count = np.zeros(n_vars)
    count[:n_edges] = 1.0
    score = np.zeros(n_vars)
    score[:n_edges] = _scores(instance)
    integrality = np.zeros(n_vars)
    integrality[n_edges:] = 1.0
    return _Model(rows, n_vars, upper, count, score, integrality)


def days_model(instance: Instance, chosen: Sequence[int]) -> tuple[_Rows, int]:
    """Days for the chosen visits: x[i, d] for the i-th chosen visit, y[h, d] for a host
    who also visits; each chosen visit gets exactly one day."""
    n_days = instance.days
    edges = [instance.edges[e] for e in chosen]
    visiting = {e.visitor for e in edges}
    both = sorted(h for h in {e.host for e in edges} if instance.host_is_visitor[h] in visiting)
    y_of = {h: len(edges) * n_days + k * n_days for k, h in enumerate(both)}
    visitor_host = {instance.host_is_visitor[h]: h for h in both}
    rows = _Rows.empty()
    days = np.arange(n_days)
    for i in range(len(edges)):
        rows.add(i * n_days + days, 1.0, 1.0, lower=1.0)
    for h, mine in sorted(_groups([e.host for e in edges]).items()):
        base = np.asarray(mine, np.int64) * n_days
        for d in range(n_days):
            if h in y_of:
                rows.add([*(base + d), y_of[h] + d], [1.0] * len(mine)
                         + [-float(instance.slots[h])], 0.0)
            elif len(mine) > instance.slots[h]:
                rows.add(base + d, 1.0, float(instance.slots[h]))
    for v, mine in sorted(_groups([e.visitor for e in edges]).items()):
        base = np.asarray(mine, np.int64) * n_days
        for d in range(n_days):
            if v in visitor_host:
                rows.add([*(base + d), y_of[visitor_host[v]] + d], 1.0, 1.0)
            elif len(mine) > 1:
                rows.add(base + d, 1.0, 1.0)
    return rows, len(edges) * n_days + len(both) * n_days


# -- solving -----------------------------------------------------------------------------
def _milp(objective: FloatArray, model: _Model, extra: list[Any], seconds: float,
          relaxed: bool = False, lower: FloatArray | None = None) -> Any:
    """HiGHS on the model (its linear relaxation when `relaxed`), to a relative gap of 0."""
    from scipy.optimize import Bounds, milp

    if relaxed:
        integrality = np.zeros(model.n_vars)
    elif model.integrality is None:
        integrality = np.ones(model.n_vars)
    else:
        integrality = model.integrality
    return milp(objective, integrality=integrality,
                bounds=Bounds(np.zeros(model.n_vars) if lower is None else lower, model.upper),
                constraints=[model.rows.constraint(model.n_vars), *extra],
                options={"mip_rel_gap": 0.0, "presolve": True,
                         "time_limit": max(seconds, 0.01)})


def _gap(result: Any) -> float | None:
    value = getattr(result, "mip_gap", None)
    if value is None or not np.isfinite(float(value)):
        return None
    return float(value)


def _lexicographic(model: _Model, deadline: float) -> _Found:
    """The most visits, then the highest score; stops at the deadline with the best plan
    found and the gap of the stage it stopped in."""
    from scipy.optimize import LinearConstraint

    first = _milp(-model.count, model, [], deadline - time.perf_counter())
    if first.x is None:
        if first.status == 1:
            raise SolverStopped("no plan found within the time limit")
        raise TandemError(f"the my-job-day solver failed: {first.message}")
    x1 = np.round(first.x)
    if first.status != 0:
        return _Found(x1, round(float(model.count @ x1)), round(float(model.score @ x1)),
                      False, _gap(first), "visits")
    most = round(float(-first.fun))
    keep = LinearConstraint(model.count.reshape(1, -1), most, most)
    second = _milp(-model.score, model, [keep], deadline - time.perf_counter())
    if second.x is None:
        if second.status != 1:
            raise TandemError(f"the my-job-day solver failed: {second.message}")
        return _Found(x1, most, round(float(model.score @ x1)), False, None, "score")
    x2 = np.round(second.x)
    return _Found(x2, most, round(float(model.score @ x2)), second.status == 0,
                  0.0 if second.status == 0 else _gap(second),
                  None if second.status == 0 else "score")


def _whole(values: FloatArray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) <= 1e-6))


def _count_bound(model: _Model, deadline: float) -> Any:
    """The linear relaxation's most visits, by HiGHS's interior-point method: the count
    objective is so degenerate that the simplex method takes tens of times longer."""
    from scipy.optimize import linprog

    constraint = model.rows.constraint(model.n_vars)
    return linprog(-model.count, A_ub=constraint.A, b_ub=constraint.ub,
                   bounds=np.column_stack([np.zeros(model.n_vars), model.upper]),
                   method="highs-ipm",
                   options={"time_limit": max(deadline - time.perf_counter(), 0.01)})


def _by_hosting_days(instance: Instance, deadline: float) -> _Found | None:
    """The visits model solved through `hosting_days_model`: the most visits is the linear
    relaxation's bound rounded down when a plan reaches it, then the highest score with
    that many visits. None when no plan reaches the rounded bound (the caller then proves
    the number of visits by `_lexicographic`)."""
    from scipy.optimize import LinearConstraint

    model = hosting_days_model(instance)
    n_edges = len(instance.edges)
    relaxation = _count_bound(model, deadline)
    if relaxation.status != 0:
        return None
    # Rounding up a bound a hair below a whole number errs on the safe side: no plan then
    # reaches it, and the binary model searches. Rounding it down would not.
    most = int(np.floor(-float(relaxation.fun) + 1e-3))
    keep = LinearConstraint(model.count.reshape(1, -1), most, most)
    found = _milp(-model.score, model, [keep], deadline - time.perf_counter())
    if found.x is None:
        if found.status == 1:
            raise SolverStopped("no plan found within the time limit")
        return None  # no plan reaches the rounded bound (or HiGHS failed: the caller says)
    x = found.x
    if not _whole(x[:n_edges]):
        # The same k, as a flow: its basic solution is whole (total unimodularity).
        k = np.round(x[n_edges:])
        fixed = np.concatenate([np.zeros(n_edges), k])
        flow = _milp(-model.score, _Model(model.rows, model.n_vars,
                                          np.concatenate([model.upper[:n_edges], k]),
                                          model.count, model.score),
                     [keep], deadline - time.perf_counter(), relaxed=True, lower=fixed)
        if flow.x is None or not _whole(flow.x[:n_edges]):
            return None
        x = flow.x
    z = np.round(x[:n_edges])
    proved = found.status == 0
    return _Found(z, most, round(float(model.score[:n_edges] @ z)), proved,
                  0.0 if proved else _gap(found), None if proved else "score")


def _exact(instance: Instance, deadline: float, at_most: int | None,
           path: Path) -> Solution:
    n_edges, n_days = len(instance.edges), instance.days
    found = _lexicographic(exact_model(instance, at_most), deadline)
    values = found.x[: n_edges * n_days].astype(np.int64).reshape(n_edges, n_days)
    chosen = tuple((int(e), int(d)) for e, d in zip(*np.nonzero(values), strict=True))
    return _checked(instance, chosen, found, path)


def _days(instance: Instance, chosen: Sequence[int], deadline: float
          ) -> tuple[tuple[int, int], ...] | None:
    """A day for each chosen visit, or None when no assignment of days exists."""
    from scipy.optimize import Bounds, milp

    rows, n_vars = days_model(instance, chosen)
    result = milp(np.zeros(n_vars), integrality=np.ones(n_vars),
                  bounds=Bounds(np.zeros(n_vars), np.ones(n_vars)),
                  constraints=[rows.constraint(n_vars)],
                  options={"presolve": True,
                           "time_limit": max(deadline - time.perf_counter(), 0.01)})
    if result.x is None:
        if result.status == 2:
            return None
        if result.status == 1:
            raise SolverStopped("no days found for the visits within the time limit")
        raise TandemError(f"the my-job-day solver failed: {result.message}")
    values = np.round(result.x[: len(chosen) * instance.days]).astype(np.int64)
    days = values.reshape(len(chosen), instance.days).argmax(axis=1)
    return tuple(sorted((int(e), int(d)) for e, d in zip(chosen, days, strict=True)))


def _visits_then_days(instance: Instance, deadline: float) -> Solution:
    found = _by_hosting_days(instance, deadline) or _lexicographic(visits_model(instance),
                                                                    deadline)
    chosen = [int(e) for e in np.nonzero(found.x[: len(instance.edges)])[0]]
    with_days = _days(instance, chosen, deadline)
    if with_days is not None:
        return _checked(instance, with_days, found, "visits-then-days")
    # The aggregated optimum bounds the exact one only when it was proved.
    bound = found.visits if found.optimal or found.stopped_at == "score" else None
    return _exact(instance, deadline, bound, "exact-fallback")


def _checked(instance: Instance, chosen: tuple[tuple[int, int], ...], found: _Found,
             path: Path) -> Solution:
    broken = violations(instance, chosen)
    if broken or len(chosen) != found.visits:
        what = "; ".join(broken) or f"{len(chosen)} visits, not {found.visits}"
        raise TandemError(f"the my-job-day solver returned an invalid plan ({what}); this is "
                          "a bug in Tandem: please report it")
    total = sum(instance.edges[e].score for e, _ in chosen)
    return Solution(chosen, len(chosen), total, path, found.optimal, found.gap,
                    found.stopped_at)


def solve(instance: Instance, time_limit: float = 60.0, method: Method = "auto") -> Solution:
    """The plan with the most visits, then the highest total score, proved optimal or
    stopped at `time_limit` seconds with its gap. `method` "auto" solves small instances
    by the exact model and the others visits first, then days (the exact model when the
    days cannot be given)."""
    n_edges, n_days = len(instance.edges), instance.days
    if n_edges == 0 or n_days == 0:
        return Solution((), 0, 0)
    deadline = time.perf_counter() + time_limit
    try:
        if method == "exact" or (method == "auto" and n_edges * n_days < EXACT_BELOW):
            return _exact(instance, deadline, None, "exact")
        return _visits_then_days(instance, deadline)
    except SolverStopped as exc:
        raise SolverStopped(f"{exc} of {time_limit:g} s; raise settings.time_limit in the "
                            "my-job-day settings") from exc
