"""The cohort-wide assignment: the best set of pairs under the objective and capacities.

Mentors are repeated once per unit of capacity and scipy's `linear_sum_assignment`
solves the rectangular problem. Every eligible pair gets a strictly positive weight and
every other pair weight 0; the solver's answer is then filtered through the eligibility
mask, so an excluded pair can never be formed, whatever its weight.

- participation: weight = C + (score - lowest eligible score), with C larger than any
  possible difference in total score, so more pairs always win, then the higher total.
- score: weight = score x (K) + 1 for pairs scoring 0 or more, with K larger than the
  number of pairs, so the higher total always wins, then more pairs; a pair with a
  negative score would lower the total and is never formed.

The matrix is built on participants sorted by id, so the same cohort in any file order
gives the same pairs; among equally good pairings the solver's choice is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from engine.features import CHUNK_CELLS, PairSpace
from engine.scoring import OutcomeTable

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Assignment:
    mentors: IntArray  # mentor row of each pair formed
    mentees: IntArray  # mentee row of each pair formed
    scores: IntArray

    @property
    def total(self) -> int:
        return int(self.scores.sum())


def _weights(scores: IntArray, eligible: npt.NDArray[np.bool_], objective: str, low: int,
             big: float) -> npt.NDArray[np.float64]:
    if objective == "participation":
        weight = (scores - low).astype(np.float64) + big
        return np.where(eligible, weight, 0.0)
    weight = scores.astype(np.float64) * big + 1.0
    return np.where(eligible & (scores >= 0), weight, 0.0)


def assign(space: PairSpace, table: OutcomeTable, capacities: IntArray, objective: str,
           forced: tuple[int, int] | None = None) -> Assignment:
    """Solve the assignment for every available mentor and mentee of ``space``.

    ``forced`` (mentor row, mentee row) makes that eligible pair part of the answer, to
    measure what forcing it would cost the cohort.
    """
    n_mentors, n_mentees = len(space.mentors), len(space.mentees)
    empty = np.zeros(0, np.int64)
    if n_mentors == 0 or n_mentees == 0 or not len(table.eligible_scores):
        return Assignment(empty, empty, empty)
    slot_owner = np.repeat(np.arange(n_mentors), capacities)
    n_slots = len(slot_owner)
    most_pairs = min(n_slots, n_mentees)
    low = int(table.eligible_scores.min())
    high = int(table.eligible_scores.max())
    big = float((high - low) * most_pairs + 1) if objective == "participation" else float(
        most_pairs + 1)
    # One negative weight per outcome, spread to the pairs through their codes.
    scores = np.array([o.points for o in table.outcomes], np.int64)
    eligible = table.eligible(table.codes)
    cost_of = np.negative(_weights(scores, eligible, objective, low, big))
    if table.dense:
        lookup = np.zeros(space.code_space, np.float64)
        lookup[table.codes] = cost_of
    codes = space.all_codes()

    def fill(out: npt.NDArray[np.float64], block: npt.NDArray[np.integer]) -> None:
        if table.dense:
            np.take(lookup, block, out=out)
        else:
            out[...] = cost_of[table.positions(np.asarray(block, np.int64))]

    # Rows are the shorter side, as the solver wants; the matrix is filled in chunks.
    slots_are_rows = n_slots <= n_mentees
    shape = (n_slots, n_mentees) if slots_are_rows else (n_mentees, n_slots)
    cost = np.empty(shape, np.float64)
    if slots_are_rows:
        step = max(1, CHUNK_CELLS // max(1, n_mentees))
        for start in range(0, n_slots, step):
            rows = slice(start, min(start + step, n_slots))
            fill(cost[rows], codes[slot_owner[rows]])
    else:
        step = max(1, CHUNK_CELLS // max(1, n_slots))
        for start in range(0, n_mentees, step):
            cols = slice(start, min(start + step, n_mentees))
            fill(cost[cols], codes[:, cols][slot_owner].T)
    if forced is not None:
        mentor, mentee = forced
        slots = slice(int(np.searchsorted(slot_owner, mentor)),
                      int(np.searchsorted(slot_owner, mentor, "right")))
        must = -((big + high - low) * most_pairs + 1.0)
        if slots_are_rows:
            keep = cost[slots, mentee].copy()
            cost[:, mentee] = 0.0
            cost[slots, mentee] = np.where(keep < 0, must, 0.0)
        else:
            keep = cost[mentee, slots].copy()
            cost[mentee, :] = 0.0
            cost[mentee, slots] = np.where(keep < 0, must, 0.0)
    rows_idx, cols_idx = linear_sum_assignment(cost)
    formed = cost[rows_idx, cols_idx] < 0
    rows_idx, cols_idx = rows_idx[formed], cols_idx[formed]
    del cost
    if slots_are_rows:
        mentors, mentees = slot_owner[rows_idx], cols_idx
    else:
        mentors, mentees = slot_owner[cols_idx], rows_idx
    order = np.lexsort((mentees, mentors))
    mentors, mentees = mentors[order].astype(np.int64), mentees[order].astype(np.int64)
    codes = space.pair_codes(mentors, mentees)
    eligible = table.eligible(codes)
    mentors, mentees, codes = mentors[eligible], mentees[eligible], codes[eligible]
    return Assignment(mentors, mentees, table.score(codes))
