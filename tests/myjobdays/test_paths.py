"""The fast path (visits, then days) gives the exact model's plan value, falls back to the
exact model when the days cannot be given, and reports the time limit honestly."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
import pytest

from benchmarks.myjobdays import cohort as benchmark_cohort
from engine.base.errors import TandemError
from engine.base.resources import rules_dir
from engine.myjobdays import solve as solver
from engine.myjobdays.candidates import candidates
from engine.myjobdays.plan import _instance, plan_my_job_days
from engine.myjobdays.solve import Edge, Instance, solve, violations
from engine.rules.ruleset import load_rules

RULES = load_rules(rules_dir())
ODD_CYCLE = Instance([Edge(0, 1, "b", 10), Edge(1, 2, "c", 10), Edge(2, 0, "a", 10)],
                     slots=[1, 1, 1], host_is_visitor=[0, 1, 2], days=2, visits_per_person=1)


def _instance_of(n: int, seed: int) -> Instance:
    people = benchmark_cohort(n, seed)
    return _instance(candidates(people, RULES), RULES.my_job_days.planner)


# -- against the exact model, kept as the reference -----------------------------------------
@pytest.mark.parametrize(("n", "seed"), [(n, seed) for n in (24, 40, 60) for seed in range(4)])
def test_visits_then_days_equals_the_exact_model_on_random_cohorts(n: int, seed: int) -> None:
    """On random cohorts (the benchmark's generator), the fast path's plan value (visits,
    then total score) is the exact model's, and the plan is valid."""
    instance = _instance_of(n, 1000 * n + seed)
    fast = solve(instance, method="visits-then-days")
    exact = solve(instance, method="exact")
    assert violations(instance, fast.chosen) == []
    assert (fast.visits, fast.total_score) == (exact.visits, exact.total_score)
    assert fast.optimal and exact.optimal
    assert fast.path in ("visits-then-days", "exact-fallback")


def test_an_odd_cycle_of_hosts_who_visit_falls_back_to_the_exact_model() -> None:
    """Three people who each host the next and visit the previous, on two days: the visits
    alone allow three visits, no days do; the exact model proves two, and the plan says
    which path proved it."""
    found = solve(ODD_CYCLE, method="visits-then-days")
    assert found.path == "exact-fallback"
    assert (found.visits, found.total_score, found.optimal) == (2, 20, True)
    assert violations(ODD_CYCLE, found.chosen) == []


def test_small_instances_take_the_exact_model_and_larger_ones_the_fast_path() -> None:
    """`auto` solves small instances by the exact model, larger ones visits first."""
    assert solve(ODD_CYCLE).path == "exact"
    large = _instance_of(300, 7)
    assert len(large.edges) * large.days >= solver.EXACT_BELOW
    assert solve(large).path in ("visits-then-days", "exact-fallback")


# -- the time limit ----------------------------------------------------------------------------
def _stopping_milp(monkeypatch: pytest.MonkeyPatch, gap: float) -> None:
    import scipy.optimize

    real = scipy.optimize.milp

    def stopped(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        if found.x is not None and kwargs.get("options", {}).get("mip_rel_gap") == 0.0:
            found.status, found.mip_gap = 1, gap
        return found

    monkeypatch.setattr(scipy.optimize, "milp", stopped)


def test_the_time_limit_reaches_the_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    """settings.time_limit is the solver's time limit."""
    import scipy.optimize

    seen: list[float] = []
    real = scipy.optimize.milp

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["options"]["time_limit"])
        return real(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "milp", spy)
    solve(ODD_CYCLE, time_limit=7)
    assert seen and all(0 < limit <= 7 for limit in seen)


def test_a_plan_stopped_by_the_time_limit_says_so_with_its_gap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """When HiGHS stops at the time limit, the plan is not called optimal; it names the
    stage it stopped in and the gap proved there."""
    _stopping_milp(monkeypatch, 0.125)
    people = benchmark_cohort(30, 3)
    result = plan_my_job_days(people, RULES)
    assert result["solver"] == {"path": "exact", "optimal": False, "time_limit": 600,
                                "stopped_at": "visits", "gap": 0.125}


def test_a_proved_plan_reports_its_path() -> None:
    """A plan proved optimal says which path proved it and the time limit it had."""
    result = plan_my_job_days(benchmark_cohort(30, 3), RULES)
    assert result["solver"] == {"path": "exact", "optimal": True, "time_limit": 600}


def test_no_plan_within_the_time_limit_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No plan found within the time limit: a clear error naming the setting to raise."""
    import scipy.optimize

    class Nothing:
        x = None
        status = 1
        message = "time limit reached"

    monkeypatch.setattr(scipy.optimize, "milp", lambda *a, **k: Nothing())
    with pytest.raises(TandemError) as caught:
        solve(ODD_CYCLE, time_limit=5)
    assert str(caught.value) == ("no plan found within the time limit of 5 s; raise "
                                 "settings.time_limit in the my-job-day settings")


def test_a_random_instance_gives_the_same_value_by_every_method() -> None:
    """A quick property: on many random instances both paths agree with each other."""
    rng = random.Random(5)
    for _ in range(20):
        instance = _instance_of(rng.randint(8, 20), rng.randint(0, 10**6))
        values = {(s.visits, s.total_score) for s in
                  (solve(instance, method=m) for m in ("exact", "visits-then-days"))}
        assert len(values) == 1


# -- the visits through the days each person hosts ---------------------------------------------
# Two people (0 and 2) who host two visitors a day and visit two job families, on two days,
# each with one visitor of their own: hosting half a day, the relaxation makes 2.5 visits
# around each of them, whole plans make 2. Its bound, 5, rounded down, is out of reach.
HALF_DAYS = Instance([Edge(1, 2, "sales", 10), Edge(0, 0, "finance", 10),
                      Edge(0, 1, "it", 10), Edge(3, 3, "sales", 10),
                      Edge(2, 0, "finance", 10), Edge(2, 1, "it", 10)],
                     slots=[2, 2, 2, 2], host_is_visitor=[-1, -1, 0, 2], days=2,
                     visits_per_person=2)


@pytest.mark.parametrize(("n", "seed"), [(n, seed) for n in (60, 120) for seed in range(3)])
def test_the_hosting_days_model_gives_the_binary_visits_models_value(n: int, seed: int) -> None:
    """One whole number per person who hosts and visits, the visits continuous, gives the
    same optimum (visits, then score) as one binary per visit, and whole visits."""
    instance = _instance_of(n, 7000 * n + seed)
    far = time.perf_counter() + 600
    fast = solver._by_hosting_days(instance, far)
    binary = solver._lexicographic(solver.visits_model(instance), far)
    assert fast is not None
    assert (fast.visits, fast.score, fast.optimal) == (binary.visits, binary.score, True)
    assert set(np.unique(fast.x)) <= {0.0, 1.0}


def test_a_relaxation_bound_out_of_reach_is_proved_by_the_binary_model() -> None:
    """When no plan reaches the relaxation's bound rounded down, the number of visits is
    searched for by the binary visits model, and the plan is still proved optimal."""
    assert solver._by_hosting_days(HALF_DAYS, time.perf_counter() + 60) is None
    found = solve(HALF_DAYS, method="visits-then-days")
    exact = solve(HALF_DAYS, method="exact")
    assert (found.visits, found.total_score, found.optimal) == (4, 40, True)
    assert (exact.visits, exact.total_score) == (4, 40)
    assert violations(HALF_DAYS, found.chosen) == []


def test_the_same_cohort_gives_the_same_plan() -> None:
    """Planning twice, on the fast path, gives the same plan, visit for visit."""
    people = benchmark_cohort(300, 11)
    first, second = plan_my_job_days(people, RULES), plan_my_job_days(people, RULES)
    assert first["solver"]["path"] in ("visits-then-days", "exact-fallback")
    assert first == second
