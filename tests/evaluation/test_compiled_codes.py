"""Large tables of pair codes sum their blocks compiled; the codes are the same."""

from __future__ import annotations

import random

import numpy as np
import pytest

from engine.evaluation import features
from engine.evaluation.features import PairSpace
from engine.rules.history import PairRecord, Standing
from tests.pairing.factories import AS_OF, THEMED_VOCABULARY, random_cohort, random_rules


@pytest.mark.parametrize("seed", range(12))
def test_the_compiled_block_sum_gives_the_same_codes(seed: int) -> None:
    rng = random.Random(seed)
    cohort = random_cohort(rng, rng.randint(1, 15), rng.randint(1, 15))
    rules = random_rules(rng, rng.randint(1, 8))
    couples = [(m.id, e.id) for m in cohort.mentors for e in cohort.mentees]
    standing = Standing({}, {c: PairRecord(paired_before=True)
                             for c in rng.sample(couples, min(len(couples), 3))})
    with pytest.MonkeyPatch.context() as patch:
        if seed % 2:
            patch.setattr(features, "BLOCK_LIMIT", 4)  # many small blocks
        space = PairSpace([r.when for r in rules], cohort.mentors, cohort.mentees,
                          THEMED_VOCABULARY, AS_OF, 1, history=standing)
    rows = np.array(sorted(rng.sample(range(len(cohort.mentors)),
                                      rng.randint(1, len(cohort.mentors)))))
    plain = space.codes(rows, slice(None))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(features, "COMPILED_CELLS", 0)
        patch.setattr(features, "COMPILED_PAIRS", 0)
        compiled = space.codes(rows, slice(None))
    assert compiled.dtype == plain.dtype
    assert compiled.tolist() == plain.tolist()


@pytest.mark.parametrize("seed", range(20))
def test_classes_of_several_parts_are_numbered_as_distinct_rows(seed: int) -> None:
    """Each row's tuple of part values gets its rank among the distinct tuples, in
    lexicographic order (np.unique over rows), whether the tuple fits one number or not."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    wide = seed % 4 == 0  # values too large to combine into one number
    keys = [rng.integers(0, 2**40 if wide else int(rng.integers(1, 6)), n).astype(np.int64)
            for _ in range(int(rng.integers(2, 5)))]
    want = np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)[1].reshape(-1)
    assert features._classes(keys, n).tolist() == want.tolist()
