"""The class path: the transportation problem between classes of people, against the dense
assignment, its duality certificate, its explanations and its refusal of sizes that do not
fit in memory."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base.errors import TandemError
from engine.evaluation import features
from engine.evaluation.explain import candidates
from engine.evaluation.features import PairSpace
from engine.evaluation.rete import GroupedEngine
from engine.evaluation.scoring import OutcomeTable
from engine.pairing import assignment, transport
from engine.pairing import classes as classes_module
from engine.pairing.assignment import Assignment, assign, assign_auto, assign_by_classes
from engine.pairing.classes import candidates_by_class, classes_of
from engine.pairing.transport import check, expand, solve_flow, solve_priced
from engine.rules.conditions import Test
from engine.rules.history import PairRecord, Standing
from engine.rules.ruleset import Settings
from tests.pairing.factories import AS_OF, THEMED_VOCABULARY, random_cohort, random_rules, rule

ROOT = Path(__file__).resolve().parents[2]


def _setup(seed: int, n_mentors: int, n_mentees: int, n_rules: int, objective: str,
           min_score: int, history: bool):
    rng = random.Random(seed)
    cohort = random_cohort(rng, n_mentors, n_mentees)
    rules = random_rules(rng, n_rules)
    standing = Standing()
    if history:
        rules.append(rule("again", Test("pair", "paired_before", "eq", True), -15))
        rules.append(rule("forbidden", Test("pair", "forbidden", "eq", True)))
        couples = [(m.id, e.id) for m in cohort.mentors for e in cohort.mentees]
        standing = Standing({}, {c: PairRecord(paired_before=True, forbidden=rng.random() < 0.3)
                                 for c in rng.sample(couples, min(len(couples), 4))})
    conditions = [r.when for r in rules]
    space = PairSpace(conditions, cohort.mentors, cohort.mentees, THEMED_VOCABULARY, AS_OF, 1,
                      history=standing)
    engine = GroupedEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    table = OutcomeTable(space.code_space, rules, Settings(objective=objective,
                                                           min_score=min_score),
                         lambda codes: engine.fired_many([space.features(c) for c in codes]))
    capacities = np.array([m.capacity or 1 for m in cohort.mentors], np.int64)
    return space, table, capacities, rules


def _valid(found: Assignment, space: PairSpace, table: OutcomeTable,
           capacities: np.ndarray) -> None:
    assert len(set(found.mentees.tolist())) == len(found.mentees)
    assert (np.bincount(found.mentors, minlength=len(capacities)) <= capacities).all()
    assert table.eligible(space.pair_codes(found.mentors, found.mentees)).all()
    assert list(zip(found.mentors.tolist(), found.mentees.tolist(), strict=True)) == sorted(
        zip(found.mentors.tolist(), found.mentees.tolist(), strict=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n_mentors=st.integers(1, 12), n_mentees=st.integers(1, 14),
       n_rules=st.integers(1, 8), objective=st.sampled_from(["participation", "score"]),
       min_score=st.sampled_from([-100, 0, 10]), history=st.booleans(),
       tiny_blocks=st.booleans(), tiny_sweeps=st.booleans())
def test_class_path_matches_the_dense_solver(seed: int, n_mentors: int, n_mentees: int,
                                             n_rules: int, objective: str, min_score: int,
                                             history: bool, tiny_blocks: bool,
                                             tiny_sweeps: bool) -> None:
    """Random cohorts, rule sets and histories: the class path forms as many pairs, with the
    same total score, as the dense solver, within capacities, and proves it by duality
    (with one mentor class per chunk of the pricing sweeps, and one arc per class kept)."""
    with pytest.MonkeyPatch.context() as patch:
        if tiny_blocks:  # listed equal pairs, per-pair overlaps and differences
            patch.setattr(features, "BLOCK_LIMIT", 4)
        space, table, capacities, _ = _setup(seed, n_mentors, n_mentees, n_rules, objective,
                                             min_score, history)
    dense = assign(space, table, capacities, objective)
    with pytest.MonkeyPatch.context() as patch:
        if tiny_sweeps:
            patch.setattr(classes_module, "SWEEP_CELLS", 1)
            patch.setattr(transport, "PER_CLASS", 1)
            patch.setattr(transport, "PER_ROW", 0)
            patch.setattr(transport, "PER_COLUMN", 1)
        found = assign_by_classes(space, table, capacities, objective)
    _valid(found, space, table, capacities)
    assert (len(found.mentors), found.total) == (len(dense.mentors), dense.total)
    assert found.path == "classes" and found.proved


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n_a=st.integers(1, 9), n_b=st.integers(1, 9),
       levels=st.integers(1, 4), per_class=st.integers(1, 3), big=st.booleans(),
       rows_per_chunk=st.integers(1, 4), per_row=st.integers(0, 2),
       per_column=st.integers(1, 2), near_steps=st.integers(0, 3))
def test_pricing_reaches_the_flow_over_every_class_pair(
        seed: int, n_a: int, n_b: int, levels: int, per_class: int, big: bool,
        rows_per_chunk: int, per_row: int, per_column: int, near_steps: int) -> None:
    """The flow solved on the arcs the pricing sweeps keep weighs as much as the flow over
    every eligible class pair, and its prices cover every class pair, however few arcs a
    sweep keeps and however near to covered."""
    rng = np.random.default_rng(seed)
    base = 1000 if big else 0
    weight = np.where(rng.random((n_a, n_b)) < 0.7,
                      base + rng.integers(1 if not big else 0, levels + 1, (n_a, n_b)), 0)
    places = rng.integers(0, 3, n_a).astype(np.int64)
    sizes = rng.integers(0, 3, n_b).astype(np.int64)
    chunks = [slice(s, min(s + rows_per_chunk, n_a)) for s in range(0, n_a, rows_per_chunk)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transport, "PER_ROW", per_row)
        patch.setattr(transport, "PER_COLUMN", per_column)
        patch.setattr(transport, "NEAR_STEPS", near_steps)
        priced = solve_priced(places, sizes, lambda rows: weight[rows], chunks,
                              base if big else None, per_class)
        threaded = solve_priced(places, sizes, lambda rows: weight[rows], chunks,
                                base if big else None, per_class, workers=3)
    # Sweeps in threads find the very same arcs: the same flow, the same counts.
    assert threaded.sweeps == priced.sweeps
    for got, want in zip((threaded.tails, threaded.heads, threaded.counts),
                         (priced.tails, priced.heads, priced.counts), strict=True):
        assert got.tolist() == want.tolist()
    tails, heads = np.nonzero(weight > 0)
    full = solve_flow(tails.astype(np.int64), heads.astype(np.int64), weight[tails, heads],
                      places, sizes)
    assert priced.certificate.proved
    assert priced.certificate.primal == full.certificate.primal
    u, v = priced.certificate.mentor_prices, priced.certificate.mentee_prices
    if len(priced.counts):
        open_pairs = (places[:, None] > 0) & (sizes[None, :] > 0)
        assert ((u[:, None] + v[None, :] >= weight) | ~open_pairs).all()


@pytest.mark.parametrize("seed", range(8))
def test_forcing_a_pair_costs_the_same_on_both_paths(seed: int) -> None:
    """A forced eligible pair is formed on the class path, and the rest of the cohort is as
    good as the dense solver's answer with the same pair forced."""
    space, table, capacities, _ = _setup(seed, 7, 9, 6, "participation", 0, True)
    codes = space.codes(slice(None), slice(None))
    ids = table.resolve(codes)  # learn the codes first: `eligible` reads the table before
    rows, cols = np.nonzero(table.eligible_ids[ids])
    if not len(rows):
        pytest.skip("no eligible pair in this cohort")
    forced = (int(rows[seed % len(rows)]), int(cols[seed % len(rows)]))
    dense = assign(space, table, capacities, "participation", forced)
    found = assign_by_classes(space, table, capacities, "participation", forced)
    _valid(found, space, table, capacities)
    assert forced in set(zip(found.mentors.tolist(), found.mentees.tolist(), strict=True))
    assert (len(found.mentors), found.total) == (len(dense.mentors), dense.total)


@pytest.mark.parametrize(("seed", "learnt"), [(s, s % 3 == 0) for s in range(10)])
def test_explanations_read_from_classes_equal_the_pair_by_pair_counts(seed: int,
                                                                      learnt: bool) -> None:
    """Candidates, exclusions, the best score and the best partner of every person are the
    same counted over classes as over every partner, whether the table already knows every
    pair code (read through its list of ids) or learns them on the way."""
    space, table, _, rules = _setup(seed, 9, 11, 7, "participation", 0, seed % 2 == 0)
    mentors, mentees = classes_of(space)
    if learnt:
        table.resolve(space.codes(slice(None), slice(None)))
        assert table.ids_by_code() is not None
    # Chunks of two classes, counted in three threads: the same counts.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(classes_module, "class_chunks",
                      lambda n_rows, n_cols: [slice(s, min(s + 2, n_rows))
                                              for s in range(0, n_rows, 2)])
        threaded = [candidates_by_class(list(range(n)), is_mentor, space, table, rules,
                                        table.settings, mentors, mentees, threads=3)
                    for is_mentor, n in ((True, len(space.mentors)),
                                         (False, len(space.mentees)))]
    settings_ = table.settings
    for k, (is_mentor, n) in enumerate(((True, len(space.mentors)),
                                        (False, len(space.mentees)))):
        rows = list(range(n))
        want = candidates(rows, is_mentor, space, table, rules, settings_)
        assert candidates_by_class(rows, is_mentor, space, table, rules, settings_, mentors,
                                   mentees) == want
        assert threaded[k] == want


@pytest.mark.parametrize(("seed", "tiny"), [(s, s % 2 == 0) for s in range(8)])
def test_people_of_one_class_are_the_same_to_every_rule(seed: int, tiny: bool) -> None:
    """Every pair of a (mentor class, mentee class) has the code of its representatives."""
    with pytest.MonkeyPatch.context() as patch:
        if tiny:
            patch.setattr(features, "BLOCK_LIMIT", 4)
        space, _, _, _ = _setup(seed, 12, 14, 3, "participation", 0, True)
    mentors, mentees = classes_of(space)
    codes = space.codes(slice(None), slice(None))
    reps = codes[np.ix_(mentors.first, mentees.first)]
    assert np.array_equal(codes, reps[np.ix_(mentors.of, mentees.of)])


def test_the_certificate_rejects_a_pairing_that_is_not_the_best() -> None:
    """Prices proving the optimum do not prove a worse flow; the solver's own flow is
    proved."""
    tails = np.array([0, 0, 1], np.int64)
    heads = np.array([0, 1, 1], np.int64)
    weights = np.array([5, 4, 9], np.int64)
    places = np.array([1, 1], np.int64)
    sizes = np.array([1, 1], np.int64)
    best = solve_flow(tails, heads, weights, places, sizes)
    assert best.counts.tolist() == [1, 0, 1]
    assert best.certificate.proved and best.certificate.dual == 14
    worse = np.array([0, 1, 0], np.int64)  # weight 4 < 14
    u, v = best.certificate.mentor_prices, best.certificate.mentee_prices
    assert not check(tails, heads, weights, places, sizes, worse, u, v).proved
    too_low = u.copy()
    too_low[1] -= 1  # no longer covers the weight 9 of class pair (1, 1)
    assert not check(tails, heads, weights, places, sizes, best.counts, too_low, v).proved


def test_class_flows_are_spread_over_members_in_row_order() -> None:
    """A class's places go by level, then row; a class's mentees by row."""
    mentor_of = np.array([0, 1, 0], np.int64)  # rows 0 and 2 form class 0
    mentee_of = np.array([0, 0, 1, 0], np.int64)
    capacities = np.array([2, 1, 1], np.int64)
    mentors, mentees = expand(np.array([0, 1, 0], np.int64), np.array([0, 0, 1], np.int64),
                              np.array([2, 1, 1], np.int64), mentor_of, mentee_of, capacities)
    # class 0's places: row 0, row 2 (first places), then row 0 (second place)
    assert list(zip(mentors.tolist(), mentees.tolist(), strict=True)) == [
        (0, 0), (2, 1), (0, 2), (1, 3)]


def test_the_same_cohort_in_another_order_gives_the_same_pairs() -> None:
    """People are read sorted by id: shuffling the file changes no pair of the class path."""
    from engine.base.resources import rules_dir
    from engine.pairing.pipeline import pair_cohort
    from engine.profiles.cohort import Cohort
    from engine.rules.ruleset import load_rules
    from tests.pairing.factories import random_cohort as make

    rules = load_rules(rules_dir())
    base = make(random.Random(9), 30, 40)
    shuffled = list(base.participants)
    random.Random(1).shuffle(shuffled)
    other = Cohort(sorted(shuffled, key=lambda p: p.id), base.as_of, base.source)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assignment, "CLASS_GAIN", 0)  # the class path whatever the size
        first, second = pair_cohort(base, rules), pair_cohort(other, rules)
    assert first["solver"]["path"] == "classes"
    assert first["pairs"] == second["pairs"] and first["unpaired"] == second["unpaired"]


def test_the_class_path_gives_the_dense_result_on_the_example(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """On the bundled example, both paths form as many pairs with the same total, and the
    unpaired people get the same explanations."""
    from engine.base.resources import rules_dir
    from engine.pairing.pipeline import pair_cohort
    from engine.profiles.validate import load_cohort
    from engine.rules.ruleset import load_rules

    rules = load_rules(rules_dir())
    cohort, _ = load_cohort(ROOT / "examples" / "cohort.json", rules.vocabulary)
    dense = pair_cohort(cohort, rules)
    monkeypatch.setattr(assignment, "CLASS_GAIN", 0)
    by_class = pair_cohort(cohort, rules)
    assert dense["solver"]["path"] == "dense" and by_class["solver"]["path"] == "classes"
    assert by_class["solver"]["optimal"] and by_class["solver"]["certificate"] == "duality"
    assert {k: by_class["summary"][k] for k in ("pairs", "total_score", "unpaired")} == {
        k: dense["summary"][k] for k in ("pairs", "total_score", "unpaired")}
    reasons = {p["id"]: p["reason"] for p in dense["unpaired"]}
    if {p["id"] for p in by_class["unpaired"]} == set(reasons):
        assert {p["id"]: p["reason"] for p in by_class["unpaired"]} == reasons


def test_the_path_is_chosen_by_size() -> None:
    """Small cohorts keep the dense solver; the classes take over when they shrink the
    problem enough, when the dense matrix would be large, and always when it would not
    fit."""
    assert assignment.choose_path(100, 100, 10_000) == "dense"
    assert assignment.choose_path(3_900, 3_000, 3_000 * 3_000) == "dense"
    assert assignment.choose_path(10_000, 10_000, 1_000_000) == "classes"
    assert assignment.choose_path(13_000, 10_000, 9_000 * 9_000) == "classes"


@pytest.mark.parametrize("seed", range(6))
def test_the_class_path_forms_the_same_pairs_in_threads(seed: int) -> None:
    """Threads share the sweeps, and learn the outcomes in whatever order they meet them:
    the pairs formed are the same as with none."""
    formed = []
    for threads in (1, 3):
        space, table, capacities, _ = _setup(seed, 14, 16, 7, "participation", 0, True)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(assignment, "sweep_threads", lambda threads=threads: threads)
            patch.setattr(classes_module, "SWEEP_CELLS", 16)  # one or two rows a chunk
            found = assign_by_classes(space, table, capacities, "participation")
        assert found.proved
        formed.append((found.mentors.tolist(), found.mentees.tolist(), found.scores.tolist()))
    assert formed[0] == formed[1]


def test_sweep_threads_follow_tandem_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_THREADS", "3")
    assert assignment.sweep_threads() == 3
    monkeypatch.setenv("TANDEM_THREADS", "0")
    assert assignment.sweep_threads() == 1
    monkeypatch.delenv("TANDEM_THREADS")
    assert 1 <= assignment.sweep_threads() <= assignment.MAX_SWEEP_THREADS
    monkeypatch.setenv("TANDEM_THREADS", "two")
    with pytest.raises(TandemError, match="TANDEM_THREADS='two' is not a whole number"):
        assignment.sweep_threads()


def test_a_size_that_cannot_fit_is_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    """With too little memory for either path, `pair` exits 1 with a message naming the size
    and the way out, and writes nothing."""
    from cli.main import cli

    monkeypatch.setenv("TANDEM_MEMORY_LIMIT", "1000")
    result = CliRunner().invoke(cli, ["pair", str(ROOT / "examples" / "cohort.json")])
    assert result.exit_code == 1, result.output
    assert "pairing 18 mentors x 24 mentees needs about" in result.stderr
    assert "pair the cohort in parts" in result.stderr


def test_a_memory_error_becomes_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A MemoryError in the solver never reaches the crash handler: exit 1, not 3."""
    from cli.main import cli

    def no_memory(*args: object, **kwargs: object) -> Assignment:
        raise MemoryError

    monkeypatch.setattr(assignment, "assign", no_memory)
    result = CliRunner().invoke(cli, ["pair", str(ROOT / "examples" / "cohort.json")])
    assert result.exit_code == 1, result.output
    assert "ran out of memory on the dense path" in result.stderr
    assert assign_auto is not None
