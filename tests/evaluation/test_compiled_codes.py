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
