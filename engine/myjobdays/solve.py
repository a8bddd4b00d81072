"""The optimal set of visits, as a mixed-integer program solved by scipy's milp (HiGHS).

In: an `Instance` (candidate visits with their scores, the hosts' places per day, the
number of days, the visits allowed per person). Out: the chosen (candidate, day) pairs.

Variables: x[e, d] = 1 when candidate visit e takes place on day d; y[p, d] = 1 when a
person p who both visits and hosts has visitors on day d. Constraints:

- a host's visitors on a day: sum over e to h of x[e, d] <= slots[h] (times y[h, d] for a
  host who also visits, which ties the two together);
- one visit a day per visitor, and none on a day they host: sum over e from v of x[e, d]
  + y[v, d] <= 1;
- at most `visits_per_person` visits each;
- one visit per job family a visitor asked for (so each visit shows another family, and
  no host is visited twice).

The objective is lexicographic: first the most visits, then the highest total score. It
is solved in two stages, each to proven optimality (relative gap 0; the scores are whole
numbers, so HiGHS's default absolute gap of 1e-6 cannot hide a better plan): the second
stage keeps the first stage's number of visits as a constraint. The side constraints (a
host who also visits) make this more than a network flow, so the integrality comes from
the solver's branch and bound, not from the relaxation; the plan is checked against every
constraint after it is read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.base.errors import TandemError

FloatArray = npt.NDArray[np.float64]


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


def solve(instance: Instance) -> Solution:
    """The plan with the most visits, then the highest total score."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    n_edges, n_days = len(instance.edges), instance.days
    if n_edges == 0 or n_days == 0:
        return Solution((), 0, 0)
    visiting = {e.visitor for e in instance.edges}
    both = sorted(h for h in {e.host for e in instance.edges}
                  if instance.host_is_visitor[h] in visiting)  # hosts who also visit
    y_of = {h: n_edges * n_days + k * n_days for k, h in enumerate(both)}
    n_vars = n_edges * n_days + len(both) * n_days

    def x(e: int, d: int) -> int:
        return e * n_days + d

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    upper: list[float] = []

    def add(row: Sequence[tuple[int, float]], bound: float) -> None:
        r = len(upper)
        for col, val in row:
            rows.append(r)
            cols.append(col)
            vals.append(val)
        upper.append(bound)

    by_host: dict[int, list[int]] = {}
    by_visitor: dict[int, list[int]] = {}
    by_family: dict[tuple[int, str], list[int]] = {}
    for e, edge in enumerate(instance.edges):
        by_host.setdefault(edge.host, []).append(e)
        by_visitor.setdefault(edge.visitor, []).append(e)
        by_family.setdefault((edge.visitor, edge.family), []).append(e)
    visitor_host = {instance.host_is_visitor[h]: h for h in both}
    for h, edges in sorted(by_host.items()):
        for d in range(n_days):
            row = [(x(e, d), 1.0) for e in edges]
            if h in y_of:
                add([*row, (y_of[h] + d, -float(instance.slots[h]))], 0.0)
            else:
                add(row, float(instance.slots[h]))
    for v, edges in sorted(by_visitor.items()):
        for d in range(n_days):
            row = [(x(e, d), 1.0) for e in edges]
            if v in visitor_host:
                row.append((y_of[visitor_host[v]] + d, 1.0))
            add(row, 1.0)
        add([(x(e, d), 1.0) for e in edges for d in range(n_days)],
            float(instance.visits_per_person))
    for _, edges in sorted(by_family.items()):
        add([(x(e, d), 1.0) for e in edges for d in range(n_days)], 1.0)
    matrix = coo_array((vals, (rows, cols)), shape=(len(upper), n_vars)).tocsr()
    integrality = np.ones(n_vars)
    bounds = Bounds(np.zeros(n_vars), np.ones(n_vars))
    limits = LinearConstraint(matrix, -np.inf, np.array(upper))
    options = {"mip_rel_gap": 0.0, "presolve": True}

    count = np.zeros(n_vars)
    count[: n_edges * n_days] = -1.0
    first = milp(count, integrality=integrality, bounds=bounds, constraints=[limits],
                 options=options)
    _require_optimal(first)
    most = round(float(-first.fun))
    score = np.zeros(n_vars)
    score[: n_edges * n_days] = -np.repeat([float(e.score) for e in instance.edges], n_days)
    keep_count = LinearConstraint(-count.reshape(1, -1), most, most)
    second = milp(score, integrality=integrality, bounds=bounds,
                  constraints=[limits, keep_count], options=options)
    _require_optimal(second)
    values = np.round(second.x[: n_edges * n_days]).astype(np.int64).reshape(n_edges, n_days)
    chosen = tuple((int(e), int(d)) for e, d in zip(*np.nonzero(values), strict=True))
    broken = violations(instance, chosen)
    if broken or len(chosen) != most:
        what = "; ".join(broken) or f"{len(chosen)} visits, not {most}"
        raise TandemError(f"the my-job-day solver returned an invalid plan ({what}); this is "
                          "a bug in Tandem: please report it")
    return Solution(chosen, most, sum(instance.edges[e].score for e, _ in chosen))


def _require_optimal(result: object) -> None:
    if getattr(result, "status", None) != 0:
        raise TandemError(f"the my-job-day solver found no optimal plan: "
                          f"{getattr(result, 'message', 'no message')}")
