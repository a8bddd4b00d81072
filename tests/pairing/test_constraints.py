"""Cohort-wide constraints: exact under quotas, both models, explained when they bind."""

from __future__ import annotations

import random
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.evaluation.features import PairSpace, person_value
from engine.evaluation.rete import RuleEngine
from engine.evaluation.scoring import outcome_of
from engine.pairing import constraints as solver_module
from engine.pairing.constraints import assign_with_constraints, quotas_of
from engine.pairing.pipeline import evaluate, explain_pair, pair_cohort
from engine.profiles.cohort import Cohort
from engine.rules.conditions import Compare, Test
from engine.rules.ruleset import Constraint, Rules, RuleSet
from tests.pairing.factories import (
    AS_OF,
    THEMED_VOCABULARY,
    cohort,
    copy_bundled_rules,
    person,
    random_cohort,
    random_rules,
    rule,
    rules_of,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cohort.json"


def with_constraints(rules: Rules, *limits: Constraint) -> Rules:
    pairing = rules.pairing
    return replace(rules, rulesets={"pairing": RuleSet("pairing", pairing.rules,
                                                       pairing.settings, tuple(limits))},
                   vocabulary=THEMED_VOCABULARY)


def quota(cid: str, per: list[str], at_most: int) -> Constraint:
    return Constraint(cid, cid, f"because {cid}", tuple(
        tuple(p.split(".", 1)) for p in per), at_most, "settings.yaml", 1)  # type: ignore[misc]


def _brute_force(c: Cohort, rules: Rules) -> tuple[int, int]:
    """Best (pairs, score) or (score, pairs) by enumeration, with every quota kept."""
    ruleset = rules.pairing
    settings = ruleset.settings
    conditions = [r.when for r in ruleset.rules]
    space = PairSpace(conditions, c.mentors, c.mentees, rules.vocabulary, AS_OF,
                      settings.default_capacity)
    engine = RuleEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    scores: dict[tuple[int, int], int] = {}
    cells: dict[tuple[int, int], tuple[Any, ...]] = {}
    for i, m in enumerate(c.mentors):
        for j, e in enumerate(c.mentees):
            o = outcome_of(engine.fired(space.pair_features(m, e)), ruleset.rules)
            if o.excluded or o.points < settings.min_score or (
                    settings.objective == "score" and o.points < 0):
                continue
            scores[i, j] = o.points
            cells[i, j] = tuple(
                (k, tuple(person_value(m if side == "mentor" else e, f, AS_OF,
                                       settings.default_capacity) for side, f in limit.per))
                for k, limit in enumerate(ruleset.constraints))
    capacity = tuple(m.capacity or settings.default_capacity for m in c.mentors)
    limits = [limit.at_most for limit in ruleset.constraints]

    @cache
    def best(j: int, left: tuple[int, ...], used: frozenset[tuple[Any, int]]
             ) -> tuple[int, int]:
        if j == len(c.mentees):
            return (0, 0)
        options = [best(j + 1, left, used)]
        for i in range(len(c.mentors)):
            if not left[i] or (i, j) not in scores:
                continue
            counts = dict(used)
            if any(counts.get(cell, 0) >= limits[cell[0]] for cell in cells[i, j]):
                continue
            for cell in cells[i, j]:
                counts[cell] = counts.get(cell, 0) + 1
            rest = list(left)
            rest[i] -= 1
            pairs, total = best(j + 1, tuple(rest), frozenset(counts.items()))
            options.append((pairs + 1, total + scores[i, j]))
        if settings.objective == "score":
            return max(options, key=lambda o: (o[1], o[0]))
        return max(options)

    return best(0, capacity, frozenset())


def _random_limits(rng: random.Random) -> list[Constraint]:
    fields = ["mentor.department", "mentee.department", "mentor.subsidiary",
              "mentee.subsidiary", "mentee.learning_style", "mentor.job_family"]
    return [quota(f"q/{k}", rng.sample(fields, rng.randint(1, 2)), rng.randint(0, 2))
            for k in range(rng.randint(1, 3))]


def _check_pairs(result: dict[str, Any], c: Cohort, rules: Rules) -> None:
    """Capacities, one mentor per mentee, and every quota hold in a result."""
    people = c.by_id()
    load: dict[str, int] = {}
    for p in result["pairs"]:
        load[p["mentor"]] = load.get(p["mentor"], 0) + 1
    settings = rules.pairing.settings
    assert all(n <= (people[m].capacity or settings.default_capacity) for m, n in load.items())
    assert len({p["mentee"] for p in result["pairs"]}) == len(result["pairs"])
    for limit in rules.pairing.constraints:
        counts: dict[tuple[Any, ...], int] = {}
        for p in result["pairs"]:
            key = tuple(person_value(people[p[side]], f, AS_OF, settings.default_capacity)
                        for side, f in limit.per)
            counts[key] = counts.get(key, 0) + 1
        assert max(counts.values(), default=0) <= limit.at_most


# -- optimality against brute force ---------------------------------------------------------
@pytest.mark.parametrize("objective", ["participation", "score"])
@pytest.mark.parametrize("seed", range(20))
def test_constrained_pairing_is_optimal_against_brute_force(seed: int, objective: str) -> None:
    """Random cohorts, rules and quotas: pairs and total equal the enumerated optimum, and
    both models agree."""
    rng = random.Random(1000 + seed)
    c = random_cohort(rng, rng.randint(1, 4), rng.randint(1, 6))
    rules = with_constraints(
        rules_of(*random_rules(rng, 6), objective=objective, min_score=rng.choice([-10, 0, 10]),
                 default_capacity=rng.choice([1, 2])), *_random_limits(rng))
    result = pair_cohort(c, rules)
    expected = _brute_force(c, rules)
    assert (result["summary"]["pairs"], result["summary"]["total_score"]) == expected
    assert result["solver"]["method"] == "milp" and result["solver"]["optimal"] is True
    _check_pairs(result, c, rules)
    ev = evaluate(c, rules)
    quotas = quotas_of(rules.pairing.constraints, ev.space)
    by_pairs, _ = assign_with_constraints(ev.space, ev.table, ev.capacities, objective, quotas,
                                          60, model="pairs")
    assert (len(by_pairs.mentors), by_pairs.total) == expected
    by_columns, report = assign_with_constraints(ev.space, ev.table, ev.capacities, objective,
                                                 quotas, 60, model="columns")
    assert (len(by_columns.mentors), by_columns.total) == expected
    assert report.optimal and report.model == "columns"


@pytest.mark.parametrize("seed", range(10))
def test_loose_constraints_change_nothing(seed: int) -> None:
    """A quota no pairing can reach gives the same pairs count and total as no quota."""
    rng = random.Random(seed)
    c = random_cohort(rng, 4, 6)
    plain = rules_of(*random_rules(rng, 6))
    loose = with_constraints(plain, quota("q/loose", ["mentor.department"], 100))
    a, b = pair_cohort(c, replace(plain, vocabulary=THEMED_VOCABULARY)), pair_cohort(c, loose)
    assert (a["summary"]["pairs"], a["summary"]["total_score"]) == (
        b["summary"]["pairs"], b["summary"]["total_score"])


# -- explanations -----------------------------------------------------------------------------
FLOW = quota("quota/department-flow", ["mentor.department", "mentee.department"], 1)
PEOPLE = cohort(
    person("M1", "mentor", department="Finance"), person("M2", "mentor", department="Finance"),
    person("E1", "mentee", department="Sales"), person("E2", "mentee", department="Sales"))
SAME_FAMILY = rule("a/family", Compare(True, "job_family", "job_family"), 10)


def test_an_unpaired_person_held_back_by_a_quota_is_told_which_one() -> None:
    """The why names the constraint and the cell that was full."""
    result = pair_cohort(PEOPLE, with_constraints(rules_of(SAME_FAMILY), FLOW))
    assert [(p["mentor"], p["mentee"]) for p in result["pairs"]] == [("M1", "E1")]
    why = {u["id"]: u["why"] for u in result["unpaired"]}
    assert why == {
        "M2": "outscored: the quota quota/department-flow for (Finance, Sales) was full; E2 "
              "had room for this pair (score 10)",
        "E2": "outscored: the quota quota/department-flow for (Finance, Sales) was full; M2 "
              "had room for this pair (score 10)"}


def test_explain_names_the_full_quota_for_a_pair_not_formed() -> None:
    """explain of an eligible pair the quota kept out names the quota and the cost."""
    report = explain_pair(PEOPLE, with_constraints(rules_of(SAME_FAMILY), FLOW), "M2", "E2")
    assert report["verdict"] == (
        "eligible but not chosen: the quota quota/department-flow for (Finance, Sales) was "
        "full; forcing it would cost the cohort 0 pair(s) and 0 points of total score")
    assert report["if_forced"] == {"pairs": 1, "total_score": 10, "pairs_lost": 0,
                                   "score_lost": 0}


def test_explain_a_pair_that_a_zero_quota_forbids() -> None:
    """A quota of 0 allows no pair in its cell: explain says so and does not force it."""
    closed = quota("quota/closed", ["mentor.department", "mentee.department"], 0)
    people = cohort(person("M1", "mentor", department="Finance"),
                    person("M2", "mentor", department="Sales"),
                    person("E1", "mentee", department="Sales"))
    report = explain_pair(people, with_constraints(rules_of(SAME_FAMILY), closed), "M1", "E1")
    assert report["verdict"] == (
        "eligible but not chosen: the quota quota/closed for (Finance, Sales) was full, and "
        "the quota allows no such pair at all")
    assert "if_forced" not in report


def test_a_time_limited_answer_without_a_bound_says_the_gap_is_unknown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A gap the solver could not bound is null, and the table says it is unknown."""
    import scipy.optimize

    real = scipy.optimize.milp

    def stopped(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        found.status, found.mip_gap = 1, float("inf")
        return found

    monkeypatch.setattr(scipy.optimize, "milp", stopped)
    result = pair_cohort(PEOPLE, with_constraints(rules_of(SAME_FAMILY), FLOW))
    assert (result["solver"]["optimal"], result["solver"]["gap"]) == (False, None)
    from cli.views import show_pairing

    show_pairing(result, None)


def test_a_time_limited_answer_says_so_with_its_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    """When HiGHS stops at the time limit, the result is not called optimal and gives the
    gap it proved."""
    import scipy.optimize

    real = scipy.optimize.milp

    def stopped(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        found.status, found.mip_gap = 1, 0.125
        return found

    monkeypatch.setattr(scipy.optimize, "milp", stopped)
    result = pair_cohort(PEOPLE, with_constraints(rules_of(SAME_FAMILY), FLOW))
    assert result["solver"] == {"method": "milp", "optimal": False, "model": "classes",
                                "variables": 1, "gap": 0.125, "time_limit": 60}


def test_a_time_limit_without_any_pairing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No feasible pairing within the time limit: a clear error, never a silent answer."""
    import scipy.optimize

    class Nothing:
        x = None
        status = 1
        message = "time limit reached"

    monkeypatch.setattr(scipy.optimize, "milp", lambda *a, **k: Nothing())
    with pytest.raises(solver_module.TandemError) as caught:
        pair_cohort(PEOPLE, with_constraints(rules_of(SAME_FAMILY), FLOW))
    assert str(caught.value) == ("no pairing found within the time limit of 60 s; raise "
                                 "settings.time_limit, or loosen the constraints")


def test_a_cohort_too_large_for_the_constrained_solver_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the pair limit a constrained run stops with a message, before any memory use."""
    monkeypatch.setattr(solver_module, "MAX_CONSTRAINED_PAIRS", 3)
    with pytest.raises(solver_module.TandemError) as caught:
        pair_cohort(PEOPLE, with_constraints(rules_of(SAME_FAMILY), FLOW))
    assert str(caught.value) == (
        "cohort-wide constraints are solved over every possible pair, and 2 mentors x 2 "
        "mentees is more than 3 pairs; pair the cohort in parts, or remove the constraints")


def test_class_model_is_smaller_than_the_pair_model() -> None:
    """People no rule or quota tells apart share one variable per class pair."""
    rng = random.Random(3)
    c = random_cohort(rng, 30, 40)
    rules = with_constraints(rules_of(rule("a", Compare(True, "department", "department"), 5),
                                      rule("b", Test("mentee", "subsidiary", "eq", "Bank"), 3)),
                             quota("q", ["mentor.department", "mentee.department"], 2))
    ev = evaluate(c, rules)
    quotas = quotas_of(rules.pairing.constraints, ev.space)
    by_classes, small = assign_with_constraints(ev.space, ev.table, ev.capacities,
                                                "participation", quotas, 60)
    by_pairs, large = assign_with_constraints(ev.space, ev.table, ev.capacities,
                                              "participation", quotas, 60, model="pairs")
    assert small.variables is not None and large.variables is not None
    assert small.variables < large.variables // 5
    assert (len(by_classes.mentors), by_classes.total) == (len(by_pairs.mentors),
                                                           by_pairs.total)
    assert np.all(np.bincount(by_classes.mentors, minlength=30) <= ev.capacities)


# -- from YAML, through the CLI and the audit log ----------------------------------------------
SETTINGS = """ruleset: pairing
settings: {objective: participation, min_score: 10, default_capacity: 1}
constraints:
  - id: quota/subsidiary-flow
    title: At most one pair between two subsidiaries
    because: Spread the program across the company.
    per: [mentor.subsidiary, mentee.subsidiary]
    at_most: 1
"""


def test_pair_with_a_constraint_from_yaml_keeps_it_and_records_why(tmp_path: Path) -> None:
    """A constraints: list in settings.yaml binds the pairing; committed, the unpaired
    entries of the audit log carry the quota in their why."""
    rules = copy_bundled_rules(tmp_path / "r")
    (rules / "settings.yaml").write_text(SETTINGS)
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    runner = CliRunner()
    result = runner.invoke(cli, ["pair", str(EXAMPLE), "--rules", str(rules), "--format",
                                 "json", "--commit", "--actor", "hr.test", "--db", db])
    assert result.exit_code == 0, result.stderr
    import json

    out = json.loads(result.stdout)
    assert out["solver"]["method"] == "milp" and out["solver"]["optimal"] is True
    people = {p["id"]: p for p in json.loads(EXAMPLE.read_text())["participants"]}
    flows: dict[tuple[str, str], int] = {}
    for p in out["pairs"]:
        key = (people[p["mentor"]]["subsidiary"], people[p["mentee"]]["subsidiary"])
        flows[key] = flows.get(key, 0) + 1
    assert max(flows.values()) == 1
    held = [u for u in out["unpaired"] if "quota/subsidiary-flow" in u["why"]]
    assert held, out["unpaired"]
    log = runner.invoke(cli, ["audit", "log", "--db", db, "--format", "json"])
    assert log.exit_code == 0, log.stderr
    assert held[0]["why"] in log.stdout
    shown = runner.invoke(cli, ["audit", "show", "1", "--db", db, "--format", "json"])
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["entry"]["solver"] == out["solver"]


@pytest.mark.parametrize(("constraint", "expected"), [
    ("per: [mentor.topics]", "line 5: error: per takes fields with one value per person; "
                             "mentor.topics is a list"),
    ("per: [mentee.capacity]", "line 5: error: mentees have no capacity; only mentor.capacity "
                               "can be read"),
    ("per: [mentor.protected.gender]", "line 5: error: rules may never read protected data "
                                       "(mentor.protected.gender); it is kept for fairness "
                                       "monitoring only, so remove this condition"),
    ("per: [mentor.departement]", "line 5: error: unknown field mentor.departement; did you "
                                  "mean 'department'?"),
])
def test_a_bad_constraint_is_refused_with_its_line(tmp_path: Path, constraint: str,
                                                   expected: str) -> None:
    """A constraint's per fields are checked like a rule's fields."""
    rules = copy_bundled_rules(tmp_path / "r")
    (rules / "zz.yaml").write_text(
        "ruleset: pairing\nconstraints:\n  - id: q/x\n    title: T\n"
        f"    {constraint}\n    because: B\n    at_most: 2\n")
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", str(rules)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{rules}/zz.yaml: {expected}"


# -- column generation against the full models -----------------------------------------------
@pytest.mark.parametrize("objective", ["participation", "score"])
@pytest.mark.parametrize("seed", range(6))
def test_column_generation_reaches_the_optimum_of_the_full_model(seed: int,
                                                                 objective: str) -> None:
    """Larger random cohorts with tight quotas: the generated columns give the same pairs
    count and total as the MILP over every pair, proved optimal."""
    rng = random.Random(500 + seed)
    c = random_cohort(rng, 25, 30)
    rules = with_constraints(
        rules_of(*random_rules(rng, 6), objective=objective, min_score=0,
                 default_capacity=2), quota("q/dept", ["mentor.department",
                                                       "mentee.department"], 2))
    ev = evaluate(c, rules)
    quotas = quotas_of(rules.pairing.constraints, ev.space)
    full, _ = assign_with_constraints(ev.space, ev.table, ev.capacities, objective, quotas, 60,
                                      model="pairs")
    columns, report = assign_with_constraints(ev.space, ev.table, ev.capacities, objective,
                                              quotas, 60, model="columns")
    assert (len(columns.mentors), columns.total) == (len(full.mentors), full.total)
    assert report.optimal and report.gap == 0.0
    assert report.variables is not None and report.variables < 25 * 30


@pytest.mark.parametrize("seed", range(4))
def test_a_constraint_counts_only_the_pairs_it_is_given(seed: int) -> None:
    """A constraint that counts some pairs only (a mask, as data) binds those pairs alone,
    in the column model as in the pair model."""
    rng = random.Random(900 + seed)
    c = random_cohort(rng, 12, 14)
    rules = with_constraints(rules_of(*random_rules(rng, 5), min_score=0),
                             quota("q/dept", ["mentor.department", "mentee.department"], 1))
    ev = evaluate(c, rules)
    quotas = quotas_of(rules.pairing.constraints, ev.space)
    cells = quotas.cells[0]
    mask = np.zeros((len(ev.space.mentors), len(ev.space.mentees)), bool)
    mask[::2, :] = True  # the pairs of even mentor rows count
    scoped = replace(cells, mask=mask)
    weights = solver_module.weight_matrix(ev.space, ev.table, ev.capacities, "participation")
    by_pairs = solver_module.solve(weights, ev.capacities, [scoped], 60, "pairs")
    by_columns = solver_module.solve(weights, ev.capacities, [scoped], 60, "columns")
    def value(s: solver_module.Solution) -> float:
        return float(weights[s.mentors, s.mentees].sum())

    assert value(by_pairs) == value(by_columns) and by_columns.optimal
    for found in (by_pairs, by_columns):
        cell = scoped.of(found.mentors, found.mentees)[found.mentors % 2 == 0]
        assert np.bincount(cell).max(initial=0) <= 1
    unscoped = solver_module.solve(weights, ev.capacities, [cells], 60, "pairs")
    assert value(unscoped) <= value(by_pairs)


def test_a_column_run_stopped_before_any_integer_answer_keeps_its_first_pairing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """When the integer step finds nothing in its time, the first pairing (the LP answer
    rounded down, completed greedily) is the answer: every quota kept, called optimal only
    if it reaches the optimum, else with its gap to the bound."""
    rng = random.Random(77)
    c = random_cohort(rng, 20, 24)
    rules = with_constraints(rules_of(*random_rules(rng, 5), min_score=0),
                             quota("q/dept", ["mentor.department", "mentee.department"], 1))
    ev = evaluate(c, rules)
    quotas = quotas_of(rules.pairing.constraints, ev.space)

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise solver_module.SolverStopped("no pairing found within the time limit")

    best, _ = assign_with_constraints(ev.space, ev.table, ev.capacities, "participation",
                                      quotas, 60, model="pairs")
    monkeypatch.setattr(solver_module, "_milp", stopped)
    found, report = assign_with_constraints(ev.space, ev.table, ev.capacities,
                                            "participation", quotas, 60, model="columns")
    formed = (len(found.mentors), found.total)
    assert formed <= (len(best.mentors), best.total)
    if report.optimal:
        assert formed == (len(best.mentors), best.total)
    else:
        assert report.gap is not None and report.gap > 0
    cells = quotas.cells[0].of(found.mentors, found.mentees)
    assert np.bincount(cells).max(initial=0) <= 1
    assert len(set(found.mentees.tolist())) == len(found.mentees)


# -- the column model's first pairing and its integer step ------------------------------------
def _random_quota_case(seed: int, objective: str) -> tuple[Any, Any, str]:
    """A random cohort of 20 to 30 a side, with one to three tight random quotas."""
    rng = random.Random(3000 + seed)
    c = random_cohort(rng, rng.randint(20, 30), rng.randint(20, 30))
    limits = [quota("q/dept", ["mentor.department", "mentee.department"], rng.randint(1, 3)),
              *_random_limits(rng)[: rng.randint(0, 2)]]
    rules = with_constraints(rules_of(*random_rules(rng, 6), objective=objective, min_score=0,
                                      default_capacity=rng.randint(1, 3)), *limits)
    ev = evaluate(c, rules)
    return ev, quotas_of(rules.pairing.constraints, ev.space), objective


@pytest.mark.parametrize("objective", ["participation", "score"])
@pytest.mark.parametrize("seed", range(12))
def test_the_column_model_equals_the_pair_model_with_several_quotas(seed: int,
                                                                    objective: str) -> None:
    """Random cohorts under one to three tight quotas: the column model forms as many pairs
    with the same total as the MILP over every pair, and says it is optimal."""
    ev, quotas, objective = _random_quota_case(seed, objective)
    full, full_report = assign_with_constraints(ev.space, ev.table, ev.capacities, objective,
                                                quotas, 60, model="pairs")
    columns, report = assign_with_constraints(ev.space, ev.table, ev.capacities, objective,
                                              quotas, 60, model="columns")
    assert full_report.optimal
    assert (len(columns.mentors), columns.total) == (len(full.mentors), full.total)
    assert report.optimal is True and report.gap == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_the_column_model_keeps_a_forced_pair_and_stays_optimal(seed: int) -> None:
    """A forced pair is part of the column model's answer, whose value equals the MILP over
    every pair with the same pair forced."""
    ev, quotas, objective = _random_quota_case(100 + seed, "participation")
    weights = solver_module.weight_matrix(ev.space, ev.table, ev.capacities, objective)
    eligible = np.argwhere(weights > 0)
    if not len(eligible):
        pytest.skip("no eligible pair in this draw")
    forced = tuple(int(v) for v in eligible[len(eligible) // 2])
    cells = list(quotas.cells)
    try:
        by_pairs = solver_module.solve(weights, ev.capacities, cells, 60, "pairs", forced)
    except solver_module.Infeasible:
        with pytest.raises(solver_module.Infeasible):
            solver_module.solve(weights, ev.capacities, cells, 60, "columns", forced)
        return
    by_columns = solver_module.solve(weights, ev.capacities, cells, 60, "columns", forced)
    assert forced in set(zip(by_columns.mentors.tolist(), by_columns.mentees.tolist(),
                             strict=True))
    assert by_columns.optimal
    assert (float(weights[by_columns.mentors, by_columns.mentees].sum())
            == float(weights[by_pairs.mentors, by_pairs.mentees].sum()))


@pytest.mark.parametrize("start", ["nothing", "the LP rounded down"])
@pytest.mark.parametrize("seed", range(6))
def test_a_poor_first_pairing_is_closed_to_the_optimum_by_the_integer_step(
        monkeypatch: pytest.MonkeyPatch, seed: int, start: str) -> None:
    """When the first pairing is far from the LP bound, the integer step over the pairs
    within reach of the bound still finds the optimum of the MILP over every pair."""
    ev, quotas, objective = _random_quota_case(200 + seed, "participation")
    full, _ = assign_with_constraints(ev.space, ev.table, ev.capacities, objective, quotas, 60,
                                      model="pairs")

    def poor(x_lp: Any, *args: Any) -> Any:
        return np.zeros(len(x_lp)) if start == "nothing" else np.floor(x_lp + 1e-9)

    monkeypatch.setattr(solver_module, "_incumbent", poor)
    columns, report = assign_with_constraints(ev.space, ev.table, ev.capacities, objective,
                                              quotas, 60, model="columns")
    assert (len(columns.mentors), columns.total) == (len(full.mentors), full.total)
    assert report.optimal
