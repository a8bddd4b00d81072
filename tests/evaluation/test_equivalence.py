"""The engine sees each distinct feature combination once; that must change no outcome."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.evaluation import features
from engine.evaluation.features import PairSpace
from engine.evaluation.rete import GroupedEngine, RuleEngine
from tests.pairing.factories import AS_OF, THEMED_VOCABULARY, random_cohort, random_rules


def _check(seed: int, n_mentors: int, n_mentees: int, n_rules: int) -> int:
    rng = random.Random(seed)
    cohort = random_cohort(rng, n_mentors, n_mentees)
    rules = random_rules(rng, n_rules)
    conditions = [r.when for r in rules]
    space = PairSpace(conditions, cohort.mentors, cohort.mentees, THEMED_VOCABULARY, AS_OF, 1)
    engine = RuleEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    codes = space.codes(slice(None), slice(None))
    by_code = {int(c): engine.fired(space.features(int(c))) for c in np.unique(codes)}
    assert set(by_code) == set(space.distinct_codes().tolist())
    grouped = GroupedEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    assert grouped.fired_many([space.features(c) for c in by_code]) == list(by_code.values())
    for i, mentor in enumerate(cohort.mentors):
        for j, mentee in enumerate(cohort.mentees):
            alone = engine.fired(space.pair_features(mentor, mentee))
            assert by_code[int(codes[i, j])] == alone, (seed, mentor.id, mentee.id)
    aligned = space.pair_codes(np.repeat(np.arange(n_mentors), n_mentees),
                               np.tile(np.arange(n_mentees), n_mentors))
    assert np.array_equal(aligned, codes.ravel())
    return len(by_code)


@pytest.mark.parametrize("seed", range(25))
def test_signature_outcomes_equal_per_pair_outcomes(seed: int) -> None:
    """Random cohorts and rule sets: distinct codes, whole or per rule group, give every
    pair's own outcome."""
    _check(seed, n_mentors=9, n_mentees=11, n_rules=8)


@pytest.mark.parametrize("seed", range(10))
def test_equivalence_holds_when_features_are_computed_pair_by_pair(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiny blocks, comparisons become listed pairs and overlaps per-pair counts."""
    monkeypatch.setattr(features, "BLOCK_LIMIT", 4)
    _check(100 + seed, n_mentors=7, n_mentees=8, n_rules=8)


def test_every_feature_path_is_exercised_with_tiny_blocks(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Tiny blocks force listed equal pairs and per-pair overlap counts; outcomes agree."""
    from engine.rules.conditions import Compare, Difference, Overlap
    from tests.pairing.factories import random_cohort, rule

    monkeypatch.setattr(features, "BLOCK_LIMIT", 4)
    cohort = random_cohort(random.Random(5), 8, 9)
    rules = [rule("manages", Compare(True, "id", "manager_id")),
             rule("overlap", Overlap("intentions", 1, None), 10),
             rule("family", Compare(True, "job_family", "job_family"), 5),
             rule("across", Overlap("topics", 1, None, "intentions"), 7),
             rule("older", Difference("tenure_years", "tenure_years", 10, None), 3),
             rule("band", Difference("tenure_years", "tenure_years", -2.5, 2.5), 2)]
    conditions = [r.when for r in rules]
    space = PairSpace(conditions, cohort.mentors, cohort.mentees, THEMED_VOCABULARY, AS_OF, 1)
    assert space.sparse and space.dense and space.differences
    engine = RuleEngine(conditions, lambda leaf: space.atom_for(leaf).name)
    codes = space.codes(slice(None), slice(None))
    for i, mentor in enumerate(cohort.mentors):
        for j, mentee in enumerate(cohort.mentees):
            assert engine.fired(space.features(int(codes[i, j]))) == engine.fired(
                space.pair_features(mentor, mentee))
