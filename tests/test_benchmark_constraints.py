"""The constrained solver's benchmark, in small: both models prove the same optimum."""

from __future__ import annotations

import pytest

from benchmarks.constraints import run


@pytest.mark.parametrize("coarse", [False, True])
def test_both_models_agree_on_a_small_benchmark_cohort(coarse: bool) -> None:
    """At n = 40 both models are proved optimal with the same pairs count and total."""
    rows = run(40, 1, 60.0, coarse)
    assert [r["model"] for r in rows] == ["classes", "pairs"]
    assert all(r["optimal"] for r in rows)
    assert rows[0]["pairs"] == rows[1]["pairs"] and rows[0]["total"] == rows[1]["total"]
    if coarse:
        assert int(rows[0]["variables"]) < int(rows[1]["variables"])  # type: ignore[call-overload]
