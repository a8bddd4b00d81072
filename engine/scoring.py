"""Rule outcomes per distinct pair code, and the lookups that spread them to every pair."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.ruleset import Rule, Settings

DENSE_LIMIT = 1 << 26


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

    def __init__(self, codes: npt.NDArray[np.int64], outcomes: Sequence[Outcome],
                 code_space: int, settings: Settings) -> None:
        self.codes = codes
        self.outcomes = list(outcomes)
        self.settings = settings
        self._fired: npt.NDArray[np.bool_] | None = None
        score = np.array([o.points for o in outcomes], np.int64)
        eligible = np.array([not o.excluded and o.points >= settings.min_score
                             for o in outcomes], bool)
        self.dense = code_space <= DENSE_LIMIT
        if self.dense:
            self._score = np.zeros(code_space, np.int64)
            self._eligible = np.zeros(code_space, bool)
            self._score[codes] = score
            self._eligible[codes] = eligible
            self._index = np.full(code_space, -1, np.int64)
            self._index[codes] = np.arange(len(codes))
        else:
            self._score, self._eligible = score, eligible
        self.eligible_scores = score[eligible]

    def _position(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.searchsorted(self.codes, codes)

    def positions(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Index into ``outcomes`` of each code."""
        return self._index[codes] if self.dense else self._position(codes)

    def fired_matrix(self, n_rules: int) -> npt.NDArray[np.bool_]:
        """outcomes x rules: whether each rule fired in each outcome (built once)."""
        if self._fired is None or self._fired.shape[1] != n_rules:
            fired = np.zeros((len(self.outcomes), n_rules), bool)
            for row, outcome in enumerate(self.outcomes):
                fired[row, list(outcome.fired)] = True
            self._fired = fired
        return self._fired

    def score(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return self._score[codes] if self.dense else self._score[self._position(codes)]

    def eligible(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return self._eligible[codes] if self.dense else self._eligible[self._position(codes)]

    def outcome(self, code: int) -> Outcome:
        position = int(self._index[code]) if self.dense else int(
            np.searchsorted(self.codes, code))
        return self.outcomes[position]
