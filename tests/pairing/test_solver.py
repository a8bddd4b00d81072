"""The assignment solver is scipy's, loaded on its own: same answers, and a safe fallback."""

from __future__ import annotations

import importlib.machinery

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from engine.pairing import assignment


@pytest.mark.parametrize("shape", [(1, 1), (5, 9), (40, 40), (120, 300)])
def test_directly_loaded_solver_is_scipys(shape: tuple[int, int]) -> None:
    """The solver loaded from scipy/optimize/_lsap answers exactly like the public import."""
    assignment.solver.cache_clear()
    cost = np.random.default_rng(sum(shape)).integers(-50, 0, shape).astype(np.float64)
    rows, cols = assignment.solver()(cost)
    expected_rows, expected_cols = linear_sum_assignment(cost)
    assert np.array_equal(rows, expected_rows)
    assert np.array_equal(cols, expected_cols)


def test_solver_falls_back_to_the_public_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """If scipy's compiled solver cannot be loaded on its own, the documented import is used."""
    def refuse(*args: object) -> None:
        raise ImportError("not here")

    assignment.solver.cache_clear()
    monkeypatch.setattr(importlib.machinery, "ExtensionFileLoader", refuse)
    try:
        solve = assignment.solver()
        assert solve is linear_sum_assignment
        assert solve(np.array([[-1.0, 0.0], [0.0, -1.0]]))[1].tolist() == [0, 1]
    finally:
        assignment.solver.cache_clear()
