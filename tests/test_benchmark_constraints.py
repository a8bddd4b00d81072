"""The constrained solver's benchmark, in small: the models prove the same optimum."""

from __future__ import annotations

import pytest

from benchmarks.constraints import run


@pytest.mark.parametrize("coarse", [False, True])
def test_both_models_agree_on_a_small_benchmark_cohort(coarse: bool) -> None:
    """At n = 40 the three models are proved optimal with the same pairs count and total."""
    rows = run(40, 1, 60.0, coarse, ("columns", "classes", "pairs"))
    assert rows[0]["model"] == "floor: no quota"
    rows = rows[1:]
    assert [r["model"] for r in rows] == ["columns", "classes", "pairs"]
    assert all(r["optimal"] for r in rows)
    assert len({(r["pairs"], r["total"]) for r in rows}) == 1
    assert all(str(r["check"]).startswith("quotas kept") for r in rows)
    assert "LP bound" in str(rows[0]["check"])
    if coarse:
        assert int(rows[1]["variables"]) < int(rows[2]["variables"])  # type: ignore[call-overload]
