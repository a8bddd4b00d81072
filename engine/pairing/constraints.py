"""Cohort-wide constraints: the best pairing under quotas, solved exactly as a MILP.

In: the weight matrix of the assignment (mentors x mentees, 0 for a pair that may not be
formed; see engine.pairing.assignment), the mentors' capacities, and the cells of each constraint
(for each pair, which combination of the `per` fields' values it falls in). Out: the pairs
of a best pairing that keeps every cell within its `at_most`, and whether the solver
proved it optimal (or stopped at its time limit, with the gap it proved).

Two models of the same problem, both solved by HiGHS through `scipy.optimize.milp`:
- **pairs**: one binary variable per eligible pair;
- **classes**: people whom no rule and no constraint can tell apart (the same weights with
  every partner, the same values of the constraints' fields) form a class, and there is
  one integer variable per (mentor class, mentee class): how many such pairs are formed.
  Any such counts that respect the class totals can be spread over the class members, so
  the model is exact. It is far smaller when the rules read few features; when nearly
  everyone is a class of their own, it is no smaller and slower (general integers).
  Pairing runs use "auto": the class model when it has at most CLASS_SHARE of the pair
  model's variables, else the pair model.

Past COLUMN_PAIRS possible pairs, "auto" uses a third, **columns** (solve_columns): column
generation over the LP, kept by OR-Tools' GLOP between pricing rounds (new columns join a
warm-started model), a first pairing from the LP answer, and, when that pairing does not
reach the LP bound, a HiGHS MILP over the only pairs that can improve it.

The weights are whole numbers and the relative gap asked of the solver is 0, so an answer
called optimal is optimal; one stopped at the time limit says so, with its proved gap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.base.errors import TandemError
from engine.evaluation.features import PairSpace, person_value
from engine.evaluation.scoring import OutcomeTable
from engine.pairing.assignment import Assignment, _weights
from engine.profiles.cohort import Participant
from engine.rules.conditions import Condition
from engine.rules.ruleset import Constraint

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Model = Literal["classes", "pairs", "columns", "auto"]
# "auto" solves the class model when it has at most this share of the pair model's
# variables, else the pair model: with few repeats, general integers cost more than binaries.
CLASS_SHARE = 0.8
# The weights of every pair are held in memory (8 bytes each, plus the scores and the
# eligibility while they are built): past this many pairs a constrained run is refused.
MAX_CONSTRAINED_PAIRS = 25_000_000
# Past this many possible pairs, "auto" generates columns (solve_columns) instead of
# writing every eligible pair (or class pair) into the MILP.
COLUMN_PAIRS = 40_000


@dataclass(frozen=True)
class Cells:
    """One constraint's cells: a pair (i, j) is in cell mentor_key[i] * width + mentee_key[j].

    ``mask`` (mentors x mentees), for a constraint with `where:`: only the pairs where it is
    true count towards the constraint; None counts every pair.
    """

    mentor_key: IntArray
    mentee_key: IntArray
    width: int
    at_most: int
    # Which pairs the constraint counts (its `where:`), as a mask over (mentor, mentee);
    # None counts every pair.
    mask: BoolArray | None = None

    def of(self, mentors: IntArray, mentees: IntArray) -> IntArray:
        return self.mentor_key[mentors] * self.width + self.mentee_key[mentees]

    def counts(self, mentors: IntArray, mentees: IntArray) -> BoolArray:
        """Which of the aligned pairs (mentors[k], mentees[k]) count towards it."""
        if self.mask is None:
            return np.ones(len(mentors), bool)
        return np.asarray(self.mask[mentors, mentees], bool)

    def counted_cells(self, mentors: IntArray, mentees: IntArray) -> IntArray:
        """The cell of each pair, -1 for a pair the constraint does not count."""
        cell = self.of(mentors, mentees)
        if self.mask is None:
            return cell
        return np.where(self.counts(mentors, mentees), cell, -1)


@dataclass(frozen=True)
class Solution:
    mentors: IntArray
    mentees: IntArray
    optimal: bool
    gap: float | None  # relative gap proved by the solver (0 when optimal; None: no bound)
    model: Model
    variables: int
    seconds: float
    # The columns model: the LP bound it proved (no pairing is worth more), for a check.
    bound: float | None = None


class SolverStopped(Exception):  # noqa: N818 - reads as what happened
    """The solver reached its time limit without any feasible pairing."""


class Infeasible(Exception):  # noqa: N818 - reads as what happened
    """No pairing keeps every quota with the pairs asked for (a forced pair in a cell
    whose at_most is 0)."""


def _milp(weights: FloatArray, rows: Any, upper: FloatArray, var_upper: FloatArray,
          var_lower: FloatArray, time_limit: float
          ) -> tuple[FloatArray, bool, float | None, float]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    started = time.perf_counter()
    constraints = [LinearConstraint(rows, -np.inf, upper)] if rows.shape[0] else []
    result = milp(-weights, constraints=constraints,
                  integrality=np.ones(len(weights)),
                  bounds=Bounds(var_lower, var_upper),
                  options={"time_limit": float(time_limit), "mip_rel_gap": 0.0,
                           "presolve": True})
    seconds = time.perf_counter() - started
    if result.x is None:
        if result.status == 1:
            raise SolverStopped(f"no pairing found within the time limit of {time_limit} s")
        if result.status == 2:
            raise Infeasible()
        raise SolverStopped(f"the solver failed: {result.message}")
    optimal = result.status == 0
    found = float(getattr(result, "mip_gap", np.nan))
    gap: float | None = 0.0 if optimal else (found if np.isfinite(found) else None)
    return np.round(result.x).astype(np.float64), optimal, gap, seconds


def _sparse(rows: list[IntArray], n_vars: int) -> Any:
    """A 0/1 matrix with one row per array of variable indexes."""
    from scipy.sparse import csr_array

    if not rows:
        return csr_array((0, n_vars))
    indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    indices = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return csr_array((np.ones(len(indices)), indices, indptr), shape=(len(rows), n_vars))


def _group_rows(groups: IntArray, n_groups: int) -> list[IntArray]:
    """For each group id, the indexes of the variables in it."""
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(n_groups)]


def _cell_rows(cells: Sequence[Cells], mentors: IntArray, mentees: IntArray,
               counts: IntArray | None = None) -> tuple[list[IntArray], list[float]]:
    """Rows of the quota constraints that can bind: cells holding more than at_most."""
    rows: list[IntArray] = []
    upper: list[float] = []
    weight = np.ones(len(mentors), np.int64) if counts is None else counts
    for limit in cells:
        scope = np.flatnonzero(limit.counts(mentors, mentees))  # the variables it counts
        cell = limit.of(mentors[scope], mentees[scope])
        distinct, inverse = np.unique(cell, return_inverse=True)
        inverse = inverse.reshape(-1)
        room = np.bincount(inverse, weights=weight[scope], minlength=len(distinct))
        for k, group in enumerate(_group_rows(inverse, len(distinct))):
            if room[k] > limit.at_most:
                rows.append(scope[group])
                upper.append(float(limit.at_most))
    return rows, upper


def solve(weights: FloatArray, capacities: IntArray, cells: Sequence[Cells],
          time_limit: float, model: Model = "classes",
          forced: tuple[int, int] | None = None) -> Solution:
    """The best pairing under the quotas: maximise the total weight of the pairs formed.

    ``forced`` (mentor row, mentee row), an eligible pair, is made part of the answer.
    """
    if forced is not None and weights[forced] <= 0:
        forced = None
    if model == "pairs":
        return _solve_pairs(weights, capacities, cells, time_limit, forced)
    if model == "columns":
        return solve_columns(lambda rows: weights[rows], capacities, weights.shape[1], cells,
                             time_limit, forced)
    return _solve_classes(weights, capacities, cells, time_limit, forced, model == "auto")


def _solve_pairs(weights: FloatArray, capacities: IntArray, cells: Sequence[Cells],
                 time_limit: float, forced: tuple[int, int] | None) -> Solution:
    mentors, mentees = np.nonzero(weights > 0)
    mentors, mentees = mentors.astype(np.int64), mentees.astype(np.int64)
    n_vars = len(mentors)
    if n_vars == 0:
        return Solution(mentors, mentees, True, 0.0, "pairs", 0, 0.0)
    rows = _group_rows(mentors, weights.shape[0]) + _group_rows(mentees, weights.shape[1])
    upper = [float(c) for c in capacities] + [1.0] * weights.shape[1]
    quota_rows, quota_upper = _cell_rows(cells, mentors, mentees)
    lower = np.zeros(n_vars)
    if forced is not None:
        lower[(mentors == forced[0]) & (mentees == forced[1])] = 1
    x, optimal, gap, seconds = _milp(weights[mentors, mentees], _sparse(rows + quota_rows,
                                                                        n_vars),
                                     np.array(upper + quota_upper), np.ones(n_vars), lower,
                                     time_limit)
    chosen = x > 0.5
    return Solution(mentors[chosen], mentees[chosen], optimal, gap, "pairs", n_vars, seconds)


def _classes(matrix: FloatArray, keys: Sequence[IntArray]) -> tuple[IntArray, IntArray]:
    """Class of each row (rows equal in the matrix and in every key), and a member of each."""
    stacked = np.column_stack([matrix, *(k.astype(np.float64) for k in keys)]) if keys else (
        matrix)
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), first.astype(np.int64)


def _row_key(mask: BoolArray) -> IntArray:
    """A key per row, equal for rows that are equal in the mask."""
    if mask.shape[1] == 0:
        return np.zeros(mask.shape[0], np.int64)
    return np.unique(mask, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _solve_classes(weights: FloatArray, capacities: IntArray, cells: Sequence[Cells],
                   time_limit: float, forced: tuple[int, int] | None, auto: bool) -> Solution:
    n_m, n_e = weights.shape
    mentor_keys = [c.mentor_key for c in cells]
    mentee_keys = [c.mentee_key for c in cells]
    for limit in cells:  # a scope splits classes: every class pair is wholly in or out
        if limit.mask is not None:
            mentor_keys.append(_row_key(limit.mask))
            mentee_keys.append(_row_key(limit.mask.T))
    if forced is not None:  # the forced pair's two people are classes of their own
        mentor_keys.append((np.arange(n_m) == forced[0]).astype(np.int64))
        mentee_keys.append((np.arange(n_e) == forced[1]).astype(np.int64))
    mentor_class, mentor_rep = _classes(weights, mentor_keys)
    mentee_class, mentee_rep = _classes(weights.T, mentee_keys)
    class_weights = weights[np.ix_(mentor_rep, mentee_rep)]
    a, b = np.nonzero(class_weights > 0)
    a, b = a.astype(np.int64), b.astype(np.int64)
    n_vars = len(a)
    empty = np.zeros(0, np.int64)
    if n_vars == 0:
        return Solution(empty, empty, True, 0.0, "classes", 0, 0.0)
    if auto and n_vars > CLASS_SHARE * int(np.count_nonzero(weights > 0)):
        return _solve_pairs(weights, capacities, cells, time_limit, forced)
    places = np.bincount(mentor_class, weights=capacities, minlength=len(mentor_rep))
    people = np.bincount(mentee_class, minlength=len(mentee_rep)).astype(np.float64)
    rows = _group_rows(a, len(mentor_rep)) + _group_rows(b, len(mentee_rep))
    upper = list(places) + list(people)
    # A class pair stands for every pair of its members: its cell is its members' cell.
    var_upper = np.minimum(places[a], people[b])
    quota_rows, quota_upper = _cell_rows(cells, mentor_rep[a], mentee_rep[b],
                                         var_upper.astype(np.int64))
    lower = np.zeros(n_vars)
    if forced is not None:
        lower[(a == mentor_class[forced[0]]) & (b == mentee_class[forced[1]])] = 1
    y, optimal, gap, seconds = _milp(class_weights[a, b], _sparse(rows + quota_rows, n_vars),
                                     np.array(upper + quota_upper, np.float64), var_upper,
                                     lower, time_limit)
    mentors, mentees = _spread(y.astype(np.int64), a, b, mentor_class, mentee_class,
                               capacities, n_m, n_e)
    return Solution(mentors, mentees, optimal, gap, "classes", n_vars, seconds)


def _spread(counts: IntArray, a: IntArray, b: IntArray, mentor_class: IntArray,
            mentee_class: IntArray, capacities: IntArray, n_m: int, n_e: int
            ) -> tuple[IntArray, IntArray]:
    """Turn class-pair counts into pairs of people, deterministically.

    A class's places are taken in order: every member's first place (by row), then every
    member's second place, and so on; a class's mentees by row.
    """
    places: dict[int, list[int]] = {}
    for cls in np.unique(mentor_class).tolist():
        members = np.flatnonzero(mentor_class == cls)
        order = [int(m) for level in range(int(capacities[members].max(initial=0)))
                 for m in members if capacities[m] > level]
        places[cls] = order
    waiting = {cls: np.flatnonzero(mentee_class == cls).tolist()
               for cls in np.unique(mentee_class).tolist()}
    mentors: list[int] = []
    mentees: list[int] = []
    taken = dict.fromkeys(places, 0)
    used = dict.fromkeys(waiting, 0)
    for k in np.lexsort((b, a)).tolist():
        n = int(counts[k])
        if n <= 0:
            continue
        ca, cb = int(a[k]), int(b[k])
        mentors += places[ca][taken[ca]:taken[ca] + n]
        mentees += waiting[cb][used[cb]:used[cb] + n]
        taken[ca] += n
        used[cb] += n
    del n_m, n_e
    return np.array(mentors, np.int64), np.array(mentees, np.int64)


# -- column generation: a model whose size follows the columns it needs, not the pairs -----------
# Columns added per mentor in each pricing round (the best reduced costs), and the largest
# number of columns the gap-closing step may add before it reports the gap instead.
COLUMNS_PER_ROUND = 6
INITIAL_COLUMNS = 6  # each mentor's and each mentee's best partners, to start with
MAX_CLOSING_COLUMNS = 2_000_000
# An LP objective is a floating-point number; the weights are whole numbers, so an integer
# answer within this distance of the LP bound is the best whole number under it.
LP_TOLERANCE = 0.5
# Column generation stops adding columns past this share of the time limit (its bound stays
# valid); the integer step is given at least MIN_MILP_SHARE of the limit.
LP_SHARE = 0.5
MIN_MILP_SHARE = 0.25
WeightRows = Callable[[IntArray], FloatArray]


def _counted_cells(cells: Sequence[Cells], mentors: IntArray, mentees: IntArray
                   ) -> list[IntArray]:
    """For each constraint, the cell of each pair (mentors[k], mentees[k]), -1 where the
    constraint does not count the pair."""
    return [limit.counted_cells(mentors, mentees) for limit in cells]


def _rows_of(cols_m: IntArray, cols_e: IntArray, capacities: IntArray, n_e: int,
             cells: Sequence[Cells]) -> tuple[Any, FloatArray, list[tuple[int, IntArray]]]:
    """The constraint matrix over the columns: mentor places, mentee places, then one row
    per quota cell that the columns touch."""
    from scipy.sparse import csr_array, vstack

    n = len(cols_m)
    ones = np.ones(n)
    parts = [csr_array((ones, (cols_m, np.arange(n))), shape=(len(capacities), n)),
             csr_array((ones, (cols_e, np.arange(n))), shape=(n_e, n))]
    upper = [capacities.astype(np.float64), np.ones(n_e)]
    quota_rows: list[tuple[int, IntArray]] = []
    for k, cell in enumerate(_counted_cells(cells, cols_m, cols_e)):
        counted = cell >= 0
        distinct, inverse = np.unique(cell[counted], return_inverse=True)
        parts.append(csr_array((ones[counted], (inverse.reshape(-1),
                                                np.flatnonzero(counted))),
                               shape=(len(distinct), n)))
        upper.append(np.full(len(distinct), float(cells[k].at_most)))
        quota_rows.append((k, distinct.astype(np.int64)))
    return vstack(parts, format="csr"), np.concatenate(upper), quota_rows


class _ColumnLP:
    """The LP over the generated columns, kept by GLOP (OR-Tools) between pricing rounds:
    new columns join the model, and each re-solve starts from the last optimal basis."""

    def __init__(self, capacities: IntArray, n_e: int, cells: Sequence[Cells]) -> None:
        from ortools.linear_solver import pywraplp

        self._pywraplp = pywraplp
        solver = pywraplp.Solver.CreateSolver("GLOP")
        self._solver = solver
        self._inf = solver.infinity()
        self._n_m = len(capacities)
        self._rows = [solver.Constraint(-self._inf, float(c)) for c in capacities.tolist()] + [
            solver.Constraint(-self._inf, 1.0) for _ in range(n_e)]
        self._upper = np.concatenate([capacities.astype(np.float64), np.ones(n_e)])
        self._cells = cells
        self._cell_rows: list[dict[int, Any]] = [{} for _ in cells]
        self._columns: list[Any] = []
        self._objective = solver.Objective()
        self._objective.SetMaximization()

    def add(self, mentors: IntArray, mentees: IntArray, weights: FloatArray,
            lower: FloatArray) -> None:
        """New columns: the pairs (mentors[k], mentees[k]), worth weights[k], at least
        lower[k]."""
        solver, rows, objective = self._solver, self._rows, self._objective
        counted = _counted_cells(self._cells, mentors, mentees)
        for k, (m, e, w, low) in enumerate(zip(mentors.tolist(), mentees.tolist(),
                                               weights.tolist(), lower.tolist(), strict=True)):
            column = solver.NumVar(low, self._inf, "")
            rows[m].SetCoefficient(column, 1.0)
            rows[self._n_m + e].SetCoefficient(column, 1.0)
            for limit, cell_rows, cells in zip(self._cells, self._cell_rows, counted,
                                               strict=True):
                cell = int(cells[k])
                if cell < 0:
                    continue
                if cell not in cell_rows:
                    cell_rows[cell] = solver.Constraint(-self._inf, float(limit.at_most))
                cell_rows[cell].SetCoefficient(column, 1.0)
            objective.SetCoefficient(column, w)
            self._columns.append(column)

    def solve(self) -> tuple[FloatArray, list[dict[int, float]], float]:
        """Re-solve: the duals of the mentor and mentee rows, the positive duals of each
        constraint's cells, and the dual objective y.b."""
        status = self._solver.Solve()
        if status == self._pywraplp.Solver.INFEASIBLE:
            raise Infeasible()
        if status != self._pywraplp.Solver.OPTIMAL:
            raise SolverStopped(f"the LP solver failed (status {status})")
        duals = np.maximum(np.array([r.dual_value() for r in self._rows]), 0.0)
        dual_objective = float(duals @ self._upper)
        cell_duals: list[dict[int, float]] = []
        for limit, cell_rows in zip(self._cells, self._cell_rows, strict=True):
            positive = {cell: max(0.0, row.dual_value()) for cell, row in cell_rows.items()}
            dual_objective += limit.at_most * sum(positive.values())
            cell_duals.append({c: v for c, v in positive.items() if v > 0})
        return duals, cell_duals, dual_objective

    def values(self) -> FloatArray:
        """The value of every column in the last solve, in the order they were added."""
        return np.array([c.solution_value() for c in self._columns])


def _reduced(block: FloatArray, rows: IntArray, mentor_dual: FloatArray,
             mentee_dual: FloatArray, cells: Sequence[Cells],
             cell_duals: Sequence[dict[int, float]]) -> FloatArray:
    """Reduced cost of every pair of the given mentor rows (weight minus the duals of the
    rows the pair would enter); -inf for a pair that may not be formed."""
    reduced = block - mentor_dual[rows][:, None] - mentee_dual[None, :]
    for limit, duals in zip(cells, cell_duals, strict=True):
        if not duals:
            continue
        # The duals of the cells as a (mentor key x mentee key) table, read for every pair.
        n_keys = int(limit.mentor_key.max(initial=0)) + 1
        table = np.zeros(n_keys * limit.width)
        table[np.fromiter(duals, np.int64, len(duals))] = np.fromiter(
            duals.values(), np.float64, len(duals))
        term = table.reshape(n_keys, limit.width)[limit.mentor_key[rows]][:, limit.mentee_key]
        if limit.mask is not None:
            term = term * limit.mask[rows]
        reduced -= term
    return np.where(block > 0, reduced, -np.inf)


def _incumbent(x_lp: FloatArray, mentors: IntArray, mentees: IntArray, weights: FloatArray,
               capacities: IntArray, n_e: int, cells: Sequence[Cells]) -> FloatArray:
    """A pairing over the columns: the LP answer rounded down (it keeps every row, since
    the rows have no negative entries), then the other columns greedily, the largest LP
    value first, then the largest weight, wherever every row still has room."""
    x = np.minimum(np.floor(x_lp + 1e-9), 1.0)
    places = capacities.astype(np.int64) - np.bincount(mentors, weights=x,
                                                       minlength=len(capacities)).astype(np.int64)
    taken = np.bincount(mentees, weights=x, minlength=n_e) > 0
    counted = _counted_cells(cells, mentors, mentees)
    held = [dict(zip(*np.unique(c[(x > 0) & (c >= 0)], return_counts=True), strict=True))
            for c in counted]
    room = [{int(c): limit.at_most - int(n) for c, n in h.items()}
            for limit, h in zip(cells, held, strict=True)]
    order = np.lexsort((-weights, -x_lp))
    for k in order[x[order] == 0].tolist():
        m, e = int(mentors[k]), int(mentees[k])
        if places[m] <= 0 or taken[e]:
            continue
        keys = [int(c[k]) for c in counted]
        if any(cell >= 0 and r.get(cell, limit.at_most) <= 0
               for cell, r, limit in zip(keys, room, cells, strict=True)):
            continue
        x[k] = 1.0
        places[m] -= 1
        taken[e] = True
        for cell, r, limit in zip(keys, room, cells, strict=True):
            if cell >= 0:
                r[cell] = r.get(cell, limit.at_most) - 1
    return x


def solve_columns(weight_rows: WeightRows, capacities: IntArray, n_e: int,
                  cells: Sequence[Cells], time_limit: float,
                  forced: tuple[int, int] | None = None, chunk: int = 256) -> Solution:
    """The best pairing under the quotas by column generation, then an integer step.

    The LP over a growing set of columns (pairs) is priced over every pair, a chunk of
    mentors at a time: pairs whose reduced cost is positive join, until none does; the LP
    optimum is then the LP optimum over all pairs, a bound on any pairing. The LP answer
    rounded down and completed greedily is a first pairing; when it reaches the bound it is
    proved optimal. Otherwise only the pairs whose reduced cost is within the distance from
    that pairing to the bound can be part of a better one: a MILP over them (and the first
    pairing's) gives the optimum, unless the time limit stopped it (its gap is reported).
    """
    started = time.perf_counter()
    n_m = len(capacities)
    empty = np.zeros(0, np.int64)
    starts = list(range(0, n_m, chunk))

    # The weights are read once, a chunk of mentors at a time, and kept for the pricing
    # rounds (the model itself holds only the columns).
    kept: dict[int, FloatArray] = {}

    def blocks() -> Any:
        for s in starts:
            rows = np.arange(s, min(s + chunk, n_m), dtype=np.int64)
            if s not in kept:
                kept[s] = weight_rows(rows)
            yield rows, kept[s]

    # The first columns: each mentor's and each mentee's best partners.
    picked_m: list[IntArray] = []
    picked_e: list[IntArray] = []
    best_for_mentee = np.full((n_e, INITIAL_COLUMNS), -1.0)
    best_row = np.full((n_e, INITIAL_COLUMNS), -1, np.int64)
    for rows, block in blocks():
        k = min(INITIAL_COLUMNS, n_e)
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        keep = np.take_along_axis(block, top, 1) > 0
        picked_m.append(np.repeat(rows, k)[keep.ravel()])
        picked_e.append(top.ravel()[keep.ravel()].astype(np.int64))
        both = np.concatenate([best_for_mentee, block.T], axis=1)
        both_rows = np.concatenate([best_row, np.broadcast_to(rows, (n_e, len(rows)))], axis=1)
        j = min(INITIAL_COLUMNS, both.shape[1])
        top = np.argpartition(-both, j - 1, axis=1)[:, :j]
        best_for_mentee = np.take_along_axis(both, top, 1)
        best_row = np.take_along_axis(both_rows, top, 1)
    mentee_side = best_for_mentee > 0
    picked_m.append(best_row[mentee_side])
    picked_e.append(np.nonzero(mentee_side)[0].astype(np.int64))
    forced_key = -1 if forced is None else forced[0] * n_e + forced[1]
    if forced is not None:
        picked_m.append(np.array([forced[0]], np.int64))
        picked_e.append(np.array([forced[1]], np.int64))
    new = np.unique(np.concatenate(picked_m) * n_e + np.concatenate(picked_e))
    if not len(new):
        return Solution(empty, empty, True, 0.0, "columns", 0, time.perf_counter() - started)

    def column_weights(keys: IntArray) -> FloatArray:
        out = np.empty(len(keys))
        mentors = keys // n_e
        for s in starts:
            inside = (mentors >= s) & (mentors < s + chunk)
            if inside.any():
                out[inside] = kept[s][mentors[inside] - s, keys[inside] % n_e]
        return out

    def price(duals: FloatArray, cell_duals: list[dict[int, float]],
              closing: tuple[float, float, FloatArray, FloatArray] | None = None
              ) -> tuple[IntArray, FloatArray, FloatArray, float]:
        """Price every pair under the duals: the candidates; each mentee's and each
        mentor's best positive reduced cost (0 if none) over the pairs but the forced one;
        the forced pair's reduced cost. The candidates are, without ``closing``, the best
        few pairs of each mentor with a positive reduced cost; with closing = (need_e,
        need_m, best_e, best_m), every pair whose reduced cost is at least
        need_e + best_e[its mentee] and need_m + best_m[its mentor]."""
        mentor_dual, mentee_dual = duals[:n_m], duals[n_m:]
        found: list[IntArray] = []
        best_e, best_m, forced_reduced = np.zeros(n_e), np.zeros(n_m), 0.0
        for rows, block in blocks():
            reduced = _reduced(block, rows, mentor_dual, mentee_dual, cells, cell_duals)
            if forced is not None and rows[0] <= forced[0] <= rows[-1]:
                forced_reduced = float(reduced[forced[0] - rows[0], forced[1]])
                reduced[forced[0] - rows[0], forced[1]] = -np.inf
            best_e = np.maximum(best_e, reduced.max(axis=0))
            best_m[rows] = np.maximum(reduced.max(axis=1), 0.0)
            if closing is None:
                k = min(COLUMNS_PER_ROUND, n_e)
                top = np.argpartition(-reduced, k - 1, axis=1)[:, :k]
                good = np.take_along_axis(reduced, top, 1) > 1e-6
                found.append(np.repeat(rows, k)[good.ravel()] * n_e + top.ravel()[good.ravel()])
            else:
                need_e, need_m, above_e, above_m = closing
                keep = np.isfinite(reduced) & (
                    reduced >= need_e + above_e[None, :] - LP_TOLERANCE) & (
                    reduced >= need_m + above_m[rows][:, None] - LP_TOLERANCE)
                r, c = np.nonzero(keep)
                found.append(rows[r] * n_e + c)
        return (np.concatenate(found) if found else empty), best_e, best_m, forced_reduced

    # For duals y >= 0 and any pairing x, w.x = y.Ax + r.x <= y.b + the sum of r over the
    # pairs of x, where r is the reduced cost. A mentee is in at most one pair, a mentor in
    # at most their capacity, and the forced pair is in every pairing: so no pairing is
    # worth more than y.b + r(forced) plus either each mentee's best positive r, or each
    # mentor's best positive r times their places. A bound at every round, equal to the LP
    # optimum once no pair has a positive reduced cost.
    places = capacities.astype(np.float64)
    if forced is not None:
        places[forced[0]] -= 1

    def bounds(dual_objective: float, best_e: FloatArray, best_m: FloatArray,
               forced_reduced: float) -> tuple[float, float]:
        by_mentee = float(best_e.sum()) - (float(best_e[forced[1]]) if forced else 0.0)
        by_mentor = float(places @ best_m)
        return (dual_objective + forced_reduced + by_mentee,
                dual_objective + forced_reduced + by_mentor)

    lp = _ColumnLP(capacities, n_e, cells)
    keys = empty
    while True:
        lp.add(new // n_e, new % n_e, column_weights(new),
               (new == forced_key).astype(np.float64))
        keys = np.concatenate([keys, new])
        duals, cell_duals, dual_objective = lp.solve()
        candidates, best_e, best_m, forced_reduced = price(duals, cell_duals)
        bound_e, bound_m = bounds(dual_objective, best_e, best_m, forced_reduced)
        bound = min(bound_e, bound_m)
        new = np.setdiff1d(candidates, keys)
        if not len(new) or time.perf_counter() - started > LP_SHARE * time_limit:
            break
    weights = column_weights(keys)
    x = _incumbent(lp.values(), keys // n_e, keys % n_e, weights, capacities, n_e, cells)
    found_value = float(weights @ x)
    best = float(np.floor(bound + LP_TOLERANCE))  # the weights are whole numbers
    proved = found_value >= best
    if not proved:
        # A pair (i, j) in a pairing worth found + 1 or more has r(i, j) >= found + 1 -
        # bound_e + best_e[j] (it takes mentee j's place in the first bound), and likewise
        # on the mentor's side: the integer step needs no other pair.
        if forced is not None:
            best_e[forced[1]] = np.inf  # the forced mentee has no other pair
        closing, _, _, _ = price(duals, cell_duals, (
            found_value + 1.0 - bound_e, found_value + 1.0 - bound_m, best_e, best_m))
        if len(closing) <= MAX_CLOSING_COLUMNS:
            held = keys[x > 0.5]
            keys = np.union1d(np.union1d(closing, held), [forced_key] if forced else empty)
            start = np.isin(keys, held).astype(np.float64)
            exact = True
        else:  # too many: the integer step over the generated columns gives a gap
            order = np.argsort(keys)
            keys, start, exact = keys[order], x[order], False
        weights = column_weights(keys)
        matrix, upper, _ = _rows_of(keys // n_e, keys % n_e, capacities, n_e, cells)
        lower = (keys == forced_key).astype(np.float64)
        left = max(MIN_MILP_SHARE * time_limit, time_limit - (time.perf_counter() - started))
        x = start
        try:
            x_milp, optimal, _, _ = _milp(weights, matrix, upper, np.ones(len(keys)), lower,
                                          left)
            if float(weights @ x_milp) > float(weights @ start):
                x = x_milp
            proved = bool(optimal) and exact
        except SolverStopped:
            pass
        found_value = float(weights @ x)
        proved = proved or found_value >= best
    gap: float | None = 0.0 if proved else (
        max(0.0, (best - found_value) / max(1.0, found_value)) if np.isfinite(bound) else None)
    chosen = x > 0.5
    return Solution((keys // n_e)[chosen], (keys % n_e)[chosen], proved, gap, "columns",
                    len(keys), time.perf_counter() - started, float(bound))


# -- a pairing run's view: constraints of the rules over the people of a PairSpace -------------
def cells_of(constraint: Constraint, mentors: Sequence[Participant],
             mentees: Sequence[Participant], as_of: date, default_capacity: int,
             mask: BoolArray | None = None
             ) -> tuple[Cells, Callable[[int, int], tuple[Any, ...]]]:
    """The cells of one constraint, and the `per` values of a (mentor row, mentee row).

    ``mask``: the pairs its `where:` holds on (see `where_mask`); None for every pair."""
    def keys(people: Sequence[Participant], side: str) -> tuple[IntArray, list[tuple[Any, ...]]]:
        fields = [name for s, name in constraint.per if s == side]
        index: dict[tuple[Any, ...], int] = {}
        codes = np.empty(len(people), np.int64)
        for row, person in enumerate(people):
            value = tuple(person_value(person, f, as_of, default_capacity) for f in fields)
            codes[row] = index.setdefault(value, len(index))
        return codes, list(index)

    mentor_key, mentor_values = keys(mentors, "mentor")
    mentee_key, mentee_values = keys(mentees, "mentee")

    def values(mentor: int, mentee: int) -> tuple[Any, ...]:
        sides = {"mentor": iter(mentor_values[mentor_key[mentor]]),
                 "mentee": iter(mentee_values[mentee_key[mentee]])}
        return tuple(next(sides[side]) for side, _ in constraint.per)

    return Cells(mentor_key, mentee_key, max(1, len(mentee_values)), constraint.at_most,
                 mask), values


@dataclass(frozen=True)
class Quotas:
    """The constraints of a run, with their cells over the run's people."""

    constraints: tuple[Constraint, ...]
    cells: tuple[Cells, ...]
    values: tuple[Callable[[int, int], tuple[Any, ...]], ...]

    def full(self, mentors: IntArray, mentees: IntArray) -> list[dict[int, int]]:
        """For each constraint, how many of the given pairs each cell holds."""
        out = []
        for limit in self.cells:
            scope = limit.counts(mentors, mentees)
            distinct, counts = np.unique(limit.of(mentors[scope], mentees[scope]),
                                         return_counts=True)
            out.append(dict(zip(distinct.tolist(), counts.tolist(), strict=True)))
        return out

    def blocking(self, full: list[dict[int, int]], mentor: int, mentee: int) -> str | None:
        """The first quota that the pair (mentor, mentee) would overfill, in words."""
        for constraint, limit, values, held in zip(self.constraints, self.cells, self.values,
                                                   full, strict=True):
            pair = (np.array([mentor]), np.array([mentee]))
            if not limit.counts(*pair)[0]:
                continue  # outside the constraint's where:
            cell = int(limit.of(*pair)[0])
            if held.get(cell, 0) >= limit.at_most:
                return (f"the quota {constraint.id} for "
                        f"{constraint.label(values(mentor, mentee))} was full")
        return None


def where_mask(condition: Condition, space: PairSpace) -> BoolArray:
    """For every mentor x mentee of the space, whether a constraint's `where:` holds.

    The condition is evaluated as a rule is: its own pair features, each distinct
    combination through the rule engine once, broadcast back to the pairs.
    """
    from engine.evaluation.rete import GroupedEngine

    own = PairSpace([condition], space.mentors, space.mentees, space.vocabulary, space.as_of,
                    space.default_capacity, history=space.history)
    codes = own.distinct_codes()
    engine = GroupedEngine([condition], lambda leaf: own.atom_for(leaf).name)
    holds = np.array([0 in fired for fired in engine.fired_many(
        [own.features(int(code)) for code in codes])], bool)
    mask = np.zeros((len(space.mentors), len(space.mentees)), bool)
    for rows in own.chunks():
        mask[rows] = holds[np.searchsorted(codes, own.codes(rows, slice(None)))]
    return mask


def quotas_of(constraints: Sequence[Constraint], space: PairSpace) -> Quotas:
    built = [cells_of(c, space.mentors, space.mentees, space.as_of, space.default_capacity,
                      None if c.where is None else where_mask(c.where, space))
             for c in constraints]
    return Quotas(tuple(constraints), tuple(b[0] for b in built), tuple(b[1] for b in built))


@dataclass(frozen=True)
class SolverReport:
    """How the pairing was solved, for the result and the audit log."""

    method: str  # "assignment" or "milp"
    optimal: bool
    gap: float | None
    model: str | None = None
    variables: int | None = None
    time_limit: int | None = None
    path: str | None = None  # assignment: "dense" or "classes" (engine.pairing.assignment)
    classes: tuple[int, int] | None = None  # the class path: mentor and mentee classes

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "optimal": self.optimal}
        if self.path is not None:
            out["path"] = self.path
        if self.classes is not None:
            out["classes"] = {"mentors": self.classes[0], "mentees": self.classes[1]}
            out["certificate"] = "duality" if self.optimal else "failed"
        if self.method == "milp":
            out.update({"model": self.model, "variables": self.variables, "gap": self.gap,
                        "time_limit": self.time_limit})
        return out


def pair_weight_rows(space: PairSpace, table: OutcomeTable, capacities: IntArray,
                     objective: str) -> WeightRows:
    """The assignment's weights of the given mentor rows with every mentee, on demand."""
    low, high = table.score_bounds()
    most_pairs = min(int(capacities.sum()), len(space.mentees))
    big = float((high - low) * most_pairs + 1) if objective == "participation" else float(
        most_pairs + 1)

    def rows_of(rows: IntArray) -> FloatArray:
        ids = table.resolve(space.codes(rows, slice(None)))
        return _weights(table.scores[ids], table.eligible_ids[ids], objective, low, big)

    return rows_of


def weight_matrix(space: PairSpace, table: OutcomeTable, capacities: IntArray,
                  objective: str) -> FloatArray:
    """The assignment's weights (engine.pairing.assignment) for every mentor x mentee."""
    n_m, n_e = len(space.mentors), len(space.mentees)
    scores = np.empty((n_m, n_e), np.int64)
    eligible = np.empty((n_m, n_e), bool)
    for rows in space.chunks():
        ids = table.resolve(space.codes(rows, slice(None)))
        scores[rows] = table.scores[ids]
        eligible[rows] = table.eligible_ids[ids]
    low, high = table.score_bounds()
    most_pairs = min(int(capacities.sum()), n_e)
    big = float((high - low) * most_pairs + 1) if objective == "participation" else float(
        most_pairs + 1)
    return _weights(scores, eligible, objective, low, big)


def assign_with_constraints(space: PairSpace, table: OutcomeTable, capacities: IntArray,
                            objective: str, quotas: Quotas, time_limit: int,
                            forced: tuple[int, int] | None = None,
                            model: Model = "auto") -> tuple[Assignment, SolverReport]:
    """The best pairing that keeps every quota: engine.pairing.assignment's contract, and a
    report."""
    empty = np.zeros(0, np.int64)
    if not len(space.mentors) or not len(space.mentees):
        return Assignment(empty, empty, empty), SolverReport("milp", True, 0.0, model, 0,
                                                             time_limit)
    if len(space.mentors) * len(space.mentees) > MAX_CONSTRAINED_PAIRS:
        raise TandemError(
            f"cohort-wide constraints are solved over every possible pair, and "
            f"{len(space.mentors):,} mentors x {len(space.mentees):,} mentees is more than "
            f"{MAX_CONSTRAINED_PAIRS:,} pairs; pair the cohort in parts, or remove the "
            "constraints")
    if model == "auto" and len(space.mentors) * len(space.mentees) > COLUMN_PAIRS:
        model = "columns"
    try:
        if model == "columns":
            weight_rows = pair_weight_rows(space, table, capacities, objective)
            if forced is not None and weight_rows(np.array([forced[0]]))[0, forced[1]] <= 0:
                forced = None
            found = solve_columns(weight_rows, capacities, len(space.mentees), quotas.cells,
                                  time_limit, forced)
        else:
            weights = weight_matrix(space, table, capacities, objective)
            found = solve(weights, capacities, quotas.cells, time_limit, model, forced)
    except SolverStopped as exc:
        raise TandemError(f"{exc}; raise settings.time_limit, or loosen the constraints") from exc
    order = np.lexsort((found.mentees, found.mentors))
    mentors, mentees = found.mentors[order], found.mentees[order]
    codes = space.pair_codes(mentors, mentees)
    report = SolverReport("milp", found.optimal, found.gap, found.model, found.variables,
                          time_limit)
    return Assignment(mentors, mentees, table.score(codes)), report
