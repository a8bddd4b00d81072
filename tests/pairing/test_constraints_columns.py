"""The column model of the quota solver against the MILP over every pair, on weights whose
LP relaxation is fractional: its integer step, not the LP, must find the optimum."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine.pairing import constraints as solver_module
from engine.pairing.constraints import Cells, solve


def _odd_cycles(seed: int) -> tuple[Any, Any, list[Cells]]:
    """Two to five blocks of two mentors and two mentees. In a block, the two "straight"
    pairs share a quota cell with at_most 1 and are worth more than the two crossed pairs:
    the LP takes every pair of the block at one half, a pairing cannot. Pairs across blocks
    have random small weights and count towards no quota."""
    rng = np.random.default_rng(seed)
    blocks = int(rng.integers(2, 6))
    n = 2 * blocks
    block = np.arange(n) // 2
    same = block[:, None] == block[None, :]
    straight = same & np.eye(n, dtype=bool)
    across = rng.integers(0, 9, (n, n)) * (rng.random((n, n)) < 0.3)
    weights = np.where(straight, rng.integers(10, 21, (n, n)),
                       np.where(same, rng.integers(5, 13, (n, n)), across)).astype(np.float64)
    return weights, np.ones(n, np.int64), [Cells(block, block, blocks, 1, straight)]


def _value(weights: Any, found: solver_module.Solution) -> float:
    return float(weights[found.mentors, found.mentees].sum())


def _lp_bound(weights: Any, capacities: Any, cells: list[Cells]) -> float:
    from scipy.optimize import linprog

    mentors, mentees = (a.astype(np.int64) for a in np.nonzero(weights > 0))
    rows = (solver_module._group_rows(mentors, weights.shape[0])
            + solver_module._group_rows(mentees, weights.shape[1]))
    quota_rows, quota_upper = solver_module._cell_rows(cells, mentors, mentees)
    result = linprog(-weights[mentors, mentees],
                     A_ub=solver_module._sparse(rows + quota_rows, len(mentors)),
                     b_ub=[*capacities.tolist(), *[1] * weights.shape[1], *quota_upper],
                     bounds=(0, 1))
    return -float(result.fun)


@pytest.mark.parametrize("seed", range(10))
def test_the_planted_cycles_have_a_fractional_lp(seed: int) -> None:
    """The cases below are hard ones: the LP bound is above the best pairing."""
    weights, capacities, cells = _odd_cycles(seed)
    best = solve(weights, capacities, cells, 60, "pairs")
    assert best.optimal
    assert _lp_bound(weights, capacities, cells) > _value(weights, best) + 0.5


@pytest.mark.parametrize("seed", range(20))
def test_the_column_model_reaches_the_optimum_when_the_lp_is_fractional(seed: int) -> None:
    """Odd cycles through quota cells: the column model's answer is worth the optimum of the
    MILP over every pair, keeps the quotas, and is called optimal."""
    weights, capacities, cells = _odd_cycles(seed)
    best = solve(weights, capacities, cells, 60, "pairs")
    found = solve(weights, capacities, cells, 60, "columns")
    assert found.optimal is True and found.gap == 0.0  # a bool, as the JSON output needs
    assert _value(weights, found) == _value(weights, best)
    counted = cells[0].counted_cells(found.mentors, found.mentees)
    assert np.bincount(counted[counted >= 0]).max(initial=0) <= 1
    assert len(set(found.mentees.tolist())) == len(found.mentees)


@pytest.mark.parametrize("start", ["nothing", "the LP rounded down"])
@pytest.mark.parametrize("seed", range(10))
def test_a_poor_first_pairing_on_a_fractional_lp_still_ends_at_the_optimum(
        monkeypatch: pytest.MonkeyPatch, seed: int, start: str) -> None:
    """With a first pairing far below the bound, the integer step over the pairs within
    reach of the bound finds the optimum and proves it."""
    weights, capacities, cells = _odd_cycles(seed)
    best = solve(weights, capacities, cells, 60, "pairs")

    def poor(x_lp: Any, *args: Any) -> Any:
        return np.zeros(len(x_lp)) if start == "nothing" else np.floor(x_lp + 1e-9)

    monkeypatch.setattr(solver_module, "_incumbent", poor)
    found = solve(weights, capacities, cells, 60, "columns")
    assert found.optimal
    assert _value(weights, found) == _value(weights, best)


@pytest.mark.parametrize("seed", range(10))
def test_a_stopped_integer_step_reports_the_first_pairing_with_its_gap(
        monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """When the integer step finds nothing in its time, the first pairing is the answer:
    every quota kept, not called optimal unless it reaches the bound, else with its gap."""
    weights, capacities, cells = _odd_cycles(seed)
    best = solve(weights, capacities, cells, 60, "pairs")

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise solver_module.SolverStopped("no pairing found within the time limit")

    monkeypatch.setattr(solver_module, "_milp", stopped)
    found = solve(weights, capacities, cells, 60, "columns")
    assert _value(weights, found) <= _value(weights, best)
    if not found.optimal:
        assert found.gap is not None and found.gap > 0
    else:
        assert _value(weights, found) == _value(weights, best)
    counted = cells[0].counted_cells(found.mentors, found.mentees)
    assert np.bincount(counted[counted >= 0]).max(initial=0) <= 1


@pytest.mark.parametrize("start", ["nothing", "the LP rounded down"])
@pytest.mark.parametrize("seed", range(10))
def test_an_lp_stopped_after_one_round_still_ends_at_the_optimum(
        monkeypatch: pytest.MonkeyPatch, seed: int, start: str) -> None:
    """Column generation cut short after its first LP (its time share used up): the bound
    then counts each mentee's or mentor's best positive reduced cost, and the integer step
    over the pairs within reach of it still finds the optimum and proves it."""
    weights, capacities, cells = _odd_cycles(seed)
    best = solve(weights, capacities, cells, 60, "pairs")

    def poor(x_lp: Any, *args: Any) -> Any:
        return np.zeros(len(x_lp)) if start == "nothing" else np.floor(x_lp + 1e-9)

    monkeypatch.setattr(solver_module, "LP_SHARE", 0.0)
    monkeypatch.setattr(solver_module, "INITIAL_COLUMNS", 1)
    monkeypatch.setattr(solver_module, "_incumbent", poor)
    found = solve(weights, capacities, cells, 60, "columns")
    assert found.optimal
    assert _value(weights, found) == _value(weights, best)
    assert found.bound is not None and found.bound >= _value(weights, best)
