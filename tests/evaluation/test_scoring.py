"""The outcome table: scores and eligibility of pair codes, learnt on first sight."""

from __future__ import annotations

import numpy as np

from tests.pairing.test_classes import _setup


def test_score_and_eligible_learn_codes_they_have_not_seen() -> None:
    """Asking a fresh table for the score (or eligibility) of new codes evaluates them first,
    and answers in the order asked."""
    space, table, _, _ = _setup(7, 6, 7, 5, "score", 0, history=False)
    mentors, mentees = np.meshgrid(np.arange(6), np.arange(7), indexing="ij")
    codes = space.pair_codes(mentors.ravel(), mentees.ravel())
    assert len(table.outcomes) == 0
    scores = table.score(codes)
    assert len(table.outcomes) > 0

    _, fresh, _, _ = _setup(7, 6, 7, 5, "score", 0, history=False)
    eligible = fresh.eligible(codes)
    ids = table.resolve(codes)
    assert scores.tolist() == table.scores[ids].tolist()
    assert eligible.tolist() == table.eligible_ids[ids].tolist()
