"""Scoped constraints: `where:` limits the pairs a constraint counts; both solver models stay
exact (checked against brute force on small cohorts); `at_most: 0` is warned with what it
forbids."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result

from engine.evaluation.inputs import load_inputs
from engine.pairing.constraints import Cells, solve
from engine.pairing.pipeline import pair_cohort
from engine.rules.ruleset import load_rules
from tests.rules.helpers import EXAMPLE, rules_copy

CROSS_FAMILY = """constraints:
  - id: quota/family-flow
    title: At most one pair between two different job families
    because: Spread the program.
    per: [mentor.job_family, mentee.job_family]
    where: {not: {same: job_family}}
    at_most: 1
"""


def _with_settings(tmp_path: Path, extra: str) -> Path:
    rules = rules_copy(tmp_path / "r")
    settings = rules / "settings.yaml"
    settings.write_text(settings.read_text("utf-8") + extra, "utf-8")
    return rules


# -- brute force ------------------------------------------------------------------------------
def _best_total(weights: np.ndarray, capacities: np.ndarray, cells: list[Cells]) -> float:
    """The best total weight by trying every pairing (each mentee: no one or one mentor)."""
    n_m, n_e = weights.shape
    best = 0.0
    for choice in itertools.product(range(-1, n_m), repeat=n_e):
        pairs = [(m, e) for e, m in enumerate(choice) if m >= 0]
        if any(weights[m, e] <= 0 for m, e in pairs):
            continue
        load = Counter(m for m, _ in pairs)
        if any(load[m] > capacities[m] for m in load):
            continue
        if not _within(pairs, cells):
            continue
        best = max(best, float(sum(weights[m, e] for m, e in pairs)))
    return best


def _within(pairs: list[tuple[int, int]], cells: list[Cells]) -> bool:
    for limit in cells:
        held = Counter(int(limit.of(np.array([m]), np.array([e]))[0]) for m, e in pairs
                       if limit.mask is None or limit.mask[m, e])
        if any(n > limit.at_most for n in held.values()):
            return False
    return True


def _random_case(seed: int) -> tuple[np.ndarray, np.ndarray, list[Cells]]:
    rng = random.Random(seed)
    n_m, n_e = rng.randint(2, 4), rng.randint(2, 4)
    # Few distinct rows and columns, so that the class model has classes to merge.
    rows = [[rng.choice([0, 0, 1, 2, 3, 5]) for _ in range(n_e)] for _ in range(2)]
    weights = np.array([rows[rng.randrange(2)] for _ in range(n_m)], np.float64)
    capacities = np.array([rng.choice([1, 1, 2]) for _ in range(n_m)], np.int64)
    cells = []
    for _ in range(rng.randint(1, 2)):
        mentor_key = np.array([rng.randrange(2) for _ in range(n_m)], np.int64)
        mentee_key = np.array([rng.randrange(2) for _ in range(n_e)], np.int64)
        mask = None if rng.random() < 0.3 else np.array(
            [[rng.random() < 0.5 for _ in range(n_e)] for _ in range(n_m)], bool)
        cells.append(Cells(mentor_key, mentee_key, 2, rng.randint(0, 2), mask))
    return weights, capacities, cells


@pytest.mark.parametrize("model", ["pairs", "classes"])
@pytest.mark.parametrize("seed", range(60))
def test_both_models_match_brute_force_with_scoped_cells(seed: int, model: str) -> None:
    """Each model's pairing is feasible and as good as the best found by trying every one."""
    weights, capacities, cells = _random_case(seed)
    found = solve(weights, capacities, cells, 30, model)  # type: ignore[arg-type]
    pairs = list(zip(found.mentors.tolist(), found.mentees.tolist(), strict=True))
    assert found.optimal
    assert all(weights[m, e] > 0 for m, e in pairs)
    assert len({e for _, e in pairs}) == len(pairs)
    assert all(n <= capacities[m] for m, n in Counter(m for m, _ in pairs).items())
    assert _within(pairs, cells)
    assert sum(weights[m, e] for m, e in pairs) == _best_total(weights, capacities, cells)


def test_a_scope_leaves_the_pairs_outside_it_uncounted() -> None:
    """A cell full of pairs outside its where: does not stop them; inside, it does."""
    weights = np.ones((3, 3))
    capacities = np.array([1, 1, 1], np.int64)
    every = Cells(np.zeros(3, np.int64), np.zeros(3, np.int64), 1, 1)
    diagonal_only = Cells(np.zeros(3, np.int64), np.zeros(3, np.int64), 1, 1, np.eye(3, dtype=bool))
    assert len(solve(weights, capacities, [every], 30, "pairs").mentors) == 1
    for model in ("pairs", "classes"):
        found = solve(weights, capacities, [diagonal_only], 30, model)  # type: ignore[arg-type]
        assert len(found.mentors) == 3
        assert sum(int(m == e) for m, e in zip(found.mentors, found.mentees, strict=True)) <= 1


# -- the rules language -------------------------------------------------------------------------
def test_a_scoped_quota_caps_cross_family_pairs_only(tmp_path: Path) -> None:
    """`where: {not: {same: job_family}}`: same-family pairs are never capped by it."""
    cohort, rules, _ = load_inputs(EXAMPLE, _with_settings(tmp_path, CROSS_FAMILY))
    result = pair_cohort(cohort, rules)
    family = {p.id: p.job_family for p in cohort.participants}
    cells = Counter((family[p["mentor"]], family[p["mentee"]]) for p in result["pairs"])
    assert all(n <= 1 for (a, b), n in cells.items() if a != b)
    assert max(n for (a, b), n in cells.items() if a == b) > 1
    assert result["solver"]["optimal"] is True


def test_at_most_zero_is_warned_with_what_it_forbids(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """`at_most: 0` names the pairs it forbids, in `rules check` and at pair time."""
    rules = _with_settings(tmp_path, CROSS_FAMILY.replace("at_most: 1", "at_most: 0"))
    expected = (f"{rules}/settings.yaml: line 14: warning: constraint quota/family-flow has "
                "at_most 0: it forbids pairs where not (same job_family), whatever their "
                "mentor.job_family, mentee.job_family; if that is meant, an exclude rule with "
                "this condition says it plainly, else raise at_most")
    checked = run("rules", "check", "--rules", rules)
    assert checked.exit_code == 0
    assert checked.stderr.splitlines() == [expected]
    paired = run("pair", EXAMPLE, "--rules", rules)
    assert paired.exit_code == 0
    assert expected in paired.stderr.splitlines()


def test_a_constraint_without_where_at_zero_forbids_every_pair_in_words(tmp_path: Path) -> None:
    """Without where:, the warning says it forbids every pair."""
    rules = load_rules(_with_settings(tmp_path, CROSS_FAMILY.replace(
        "    where: {not: {same: job_family}}\n", "").replace("at_most: 1", "at_most: 0")))
    (warning,) = rules.warnings
    assert "it forbids every pair, whatever their" in warning.message


def test_a_broken_where_is_refused_with_its_line(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """A where: takes the rules' conditions and their checks: a misspelt field is located."""
    rules = _with_settings(tmp_path, CROSS_FAMILY.replace("same: job_family",
                                                          "same: job_familly"))
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rules}/settings.yaml: line 18: error: unknown field mentor.job_familly; did you "
        "mean 'job_family'?")


def test_a_where_beyond_the_engines_limits_is_refused_by_rules_check(
        tmp_path: Path, run: Callable[..., Result]) -> None:
    """A where: runs through the rule engine like a rule, so `rules check` probes it too."""
    families = ["finance", "marketing", "sales", "research", "manufacturing", "healthcare"]
    branches = ", ".join(f"{{all: [{{mentor.job_family: {a}}}, {{mentee.job_family: {b}}}]}}"
                         for a in families for b in families[:5])
    rules = _with_settings(tmp_path, CROSS_FAMILY.replace(
        "{not: {same: job_family}}", f"{{not: {{any: [{branches}]}}}}"))
    result = run("rules", "check", "--rules", rules)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        f"{rules}/settings.yaml: line 14: error: constraint 'quota/family-flow': where: ")
