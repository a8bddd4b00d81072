"""Rule outcomes per distinct pair code, learnt as codes turn up, and spread to every pair.

The table starts empty. Each time a block of pair codes is resolved, the codes not seen
before go through the rule engine once (the ``evaluate`` callback); every later pair with
one of those codes is a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.rules.ruleset import Rule, Settings

IntArray = npt.NDArray[np.int64]
DENSE_LIMIT = 1 << 24  # codes below this are looked up in a flat array


@dataclass(frozen=True)
class Outcome:
    """What the rules decided for one kind of pair."""

    fired: tuple[int, ...]  # indexes into the rule list, in rule order
    points: int
    excluded: bool


def outcome_of(fired: frozenset[int], rules: Sequence[Rule]) -> Outcome:
    ordered = tuple(sorted(fired))
    points = sum(rules[i].points for i in ordered if rules[i].effect == "score")
    excluded = any(rules[i].effect == "exclude" for i in ordered)
    return Outcome(ordered, points, excluded)


class OutcomeTable:
    """Outcomes by pair code, with vectorised lookups of score and eligibility."""

    def __init__(self, code_space: int, rules: Sequence[Rule], settings: Settings,
                 evaluate: Callable[[Sequence[int]], Sequence[frozenset[int]]]) -> None:
        self.rules = rules
        self.settings = settings
        self._evaluate = evaluate
        self.codes: list[int] = []  # the code of each outcome, by outcome id
        self.outcomes: list[Outcome] = []
        self.dense = code_space <= DENSE_LIMIT
        self._id = np.full(code_space if self.dense else 0, -1, np.intp)
        self._known: dict[int, int] = {}
        self.scores = np.zeros(0, np.int64)  # by outcome id
        self.eligible_ids = np.zeros(0, bool)  # by outcome id
        self.excluded_ids = np.zeros(0, bool)  # by outcome id: an exclusion fired
        self._fired: npt.NDArray[np.bool_] | None = None

    def learn(self, new: Sequence[int]) -> None:
        """Evaluate codes not seen before (the caller knows they are new)."""
        if not len(new):
            return
        start = len(self.outcomes)
        outcomes = [outcome_of(f, self.rules) for f in self._evaluate(new)]
        self.outcomes += outcomes
        self.codes += list(new)
        for offset, code in enumerate(new):
            if self.dense:
                self._id[code] = start + offset
            else:
                self._known[code] = start + offset
        minimum = self.settings.min_score
        self.scores = np.concatenate([self.scores, [o.points for o in outcomes]]).astype(
            np.int64)
        self.eligible_ids = np.concatenate(
            [self.eligible_ids, [not o.excluded and o.points >= minimum for o in outcomes]]
        ).astype(bool)
        self.excluded_ids = np.concatenate(
            [self.excluded_ids, [o.excluded for o in outcomes]]).astype(bool)

    def ids_by_code(self) -> npt.NDArray[np.intp] | None:
        """The outcome id of every code (-1: not seen yet), when the codes are few enough
        to be listed; read only."""
        if not self.dense:
            return None
        view = self._id.view()
        view.flags.writeable = False
        return view

    def resolve(self, codes: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
        """Outcome ids of the codes, evaluating the codes not seen before."""
        if self.dense:
            ids: npt.NDArray[np.int64] = self._id[codes]
            missing = ids < 0
            if missing.any():
                flags = np.zeros(len(self._id), bool)  # a scatter beats sorting the codes
                flags[codes[missing]] = True
                self.learn(np.flatnonzero(flags).tolist())
                ids = self._id[codes]
            return ids
        distinct, inverse = np.unique(codes, return_inverse=True)
        self.learn([c for c in distinct.tolist() if c not in self._known])
        lookup = np.array([self._known[c] for c in distinct.tolist()], np.int64)
        return lookup[inverse].reshape(np.shape(codes))

    def score(self, codes: npt.NDArray[np.integer]) -> IntArray:
        ids = self.resolve(codes)  # first: resolving may grow self.scores
        return self.scores[ids]

    def eligible(self, codes: npt.NDArray[np.integer]) -> npt.NDArray[np.bool_]:
        ids = self.resolve(codes)  # first: resolving may grow self.eligible_ids
        return self.eligible_ids[ids]

    def outcome(self, code: int) -> Outcome:
        return self.outcomes[int(self.resolve(np.array([code], np.int64))[0])]

    def fired_matrix(self) -> npt.NDArray[np.bool_]:
        """outcomes x rules: whether each rule fired in each outcome."""
        if self._fired is None or self._fired.shape[0] != len(self.outcomes):
            fired = np.zeros((len(self.outcomes), len(self.rules)), bool)
            for row, outcome in enumerate(self.outcomes):
                fired[row, list(outcome.fired)] = True
            self._fired = fired
        return self._fired

    def score_bounds(self) -> tuple[int, int]:
        """Lowest and highest score any eligible pair can have under these rules."""
        positive = sum(r.points for r in self.rules if r.effect == "score" and r.points > 0)
        negative = sum(r.points for r in self.rules if r.effect == "score" and r.points < 0)
        return max(negative, self.settings.min_score), max(positive, self.settings.min_score)
