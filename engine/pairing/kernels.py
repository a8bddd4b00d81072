"""The class path's inner loops, compiled by numba (engine.base.jit): the pricing of one
chunk of class pairs, the shortest distances of the flow's residual network, pair codes to
weight indices, and the counts of candidates behind the explanations of unpaired people.

In: whole-number arrays (weights, prices, arcs, outcome ids). Out: whole-number arrays, in
one pass over the data instead of one pass per numpy operation. At 10,000 x 10,000 classes
a pricing sweep reads 86 million class pairs and a run makes about six of them, so the
passes are what the assignment's time is made of. tests/pairing/test_kernels.py states each
kernel with plain numpy or scipy.

numba is imported on the first call, never when Tandem starts: only the class path (large
cohorts) needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.base.jit import compiled

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
CLOSED = 1 << 60  # the price of a closed column, in the pricing sweep
NO_PAIR = -CLOSED  # the weight of a pair that may not be formed, in the pricing sweep


@cache
def _compiled() -> SimpleNamespace:
    """Compile (or load from the cache) the kernels; returns a namespace of them."""

    @compiled
    def price_chunk(ids: Any, by_id: Any, u_rows: Any, v: Any,
                    row_open: Any, start_row: int, offsets: Any, near: int,
                    per_row: int, col_excess: Any, col_row: Any, col_weight: Any,
                    col_low: Any, col_floor: Any, out_keys: Any, out_weights: Any) -> int:
        n_rows, n_b = ids.shape
        per_col = col_excess.shape[1]
        # No pair (a weight of NO_PAIR) and closed columns (a price of CLOSED) give an
        # excess far below any kept.
        never = CLOSED
        n_found = 0
        ties = np.empty(n_b, np.int64)
        row_excess = np.empty(max(per_row, 1), np.int64)
        row_col = np.empty(max(per_row, 1), np.int64)
        for i in range(n_rows):
            if not row_open[i]:
                continue
            best = np.int64(0)
            n_ties = 0
            row_excess[:] = -near
            row_low = 0  # the slot of the row's smallest excess kept
            # ... and that excess (never reached when no pair of the row is kept)
            row_floor = -near if per_row > 0 else never
            ui = u_rows[i]
            for j in range(n_b):
                w = by_id[ids[i, j]]  # no pair: NO_PAIR
                e = w - ui - v[j]
                # One test, nearly always false once the prices settle: whether the pair
                # beats the column's kept pairs, the row's, or the row's largest excess.
                if e <= min(col_floor[j], row_floor, best - 1 if best > 0 else 0):
                    continue
                if e > col_floor[j]:  # one of the column's largest excesses so far
                    low = col_low[j]
                    col_excess[j, low] = e
                    col_row[j, low] = start_row + i
                    col_weight[j, low] = w
                    # The next to leave: the smallest excess, and of those the last row
                    # (rows come in order), so that a column keeps its pairs of largest
                    # excess, ties to the first rows, however the rows are split.
                    for k in range(per_col):
                        if col_excess[j, k] < col_excess[j, low] or (
                                col_excess[j, k] == col_excess[j, low]
                                and col_row[j, k] > col_row[j, low]):
                            low = k
                    col_low[j] = low
                    col_floor[j] = col_excess[j, low]
                if e > row_floor:
                    row_excess[row_low] = e
                    row_col[row_low] = j
                    for k in range(per_row):
                        if row_excess[k] < row_excess[row_low]:
                            row_low = k
                    row_floor = row_excess[row_low]
                if e >= best and e > 0:
                    if e > best:
                        best = e
                        n_ties = 0
                    ties[n_ties] = j
                    n_ties += 1
            for k in range(per_row):
                if row_excess[k] > -near:
                    j = row_col[k]
                    out_keys[n_found] = (start_row + i) * n_b + j
                    out_weights[n_found] = by_id[ids[i, j]]
                    n_found += 1
            if n_ties == 0:
                continue
            # From each offset, the first column (wrapping round) reaching the row's largest
            # excess; the same column found twice is kept once by the caller.
            for k in range(len(offsets)):
                offset = offsets[k]
                at = np.searchsorted(ties[:n_ties], offset)
                j = ties[at] if at < n_ties else ties[0]
                out_keys[n_found] = (start_row + i) * n_b + j
                out_weights[n_found] = by_id[ids[i, j]]
                n_found += 1
        return n_found

    @compiled
    def distances(n_nodes: int, bounds: Any, head: Any, cost: Any, start: int,
                  infinity: int) -> Any:
        distance = np.full(n_nodes, infinity, np.int64)
        distance[start] = 0
        queued = np.zeros(n_nodes, np.bool_)
        pops = np.zeros(n_nodes, np.int64)
        ring = np.empty(n_nodes + 1, np.int64)  # a node is queued at most once at a time
        first, size = 0, 1
        ring[0] = start
        queued[start] = True
        while size > 0:
            node = ring[first]
            first = (first + 1) % (n_nodes + 1)
            size -= 1
            queued[node] = False
            pops[node] += 1
            if pops[node] > n_nodes:  # a negative cycle
                return distance[:0]
            here = distance[node]
            for a in range(bounds[node], bounds[node + 1]):
                target = head[a]
                reach = here + cost[a]
                if reach < distance[target]:
                    distance[target] = reach
                    if not queued[target]:
                        queued[target] = True
                        ring[(first + size) % (n_nodes + 1)] = target
                        size += 1
        return distance

    @compiled
    def levels_of(codes: Any, ids_by_code: Any, level_of_id: Any, out: Any) -> int:
        missing = 0
        flat_codes, flat_out = codes.ravel(), out.ravel()
        for k in range(flat_codes.size):
            outcome = ids_by_code[flat_codes[k]]
            if outcome < 0 or outcome >= level_of_id.size:
                missing += 1
                flat_out[k] = 255  # UNSEEN
            else:
                flat_out[k] = level_of_id[outcome]
        return missing

    @compiled
    def unseen(codes: Any, ids_by_code: Any) -> int:
        flat = codes.ravel()
        count = 0
        for k in range(flat.size):
            if ids_by_code[flat[k]] < 0:
                count += 1
        return count

    @compiled
    def candidates(ids: Any, lookup: Any, transposed: bool, eligible: Any, below: Any,
                   excluded_by: Any, points: Any, size: Any, first: Any, n_eligible: Any,
                   n_below: Any, per_rule: Any, best: Any, best_first: Any) -> None:
        n_own = n_eligible.size
        n_other = size.size
        n_rules = excluded_by.shape[1]
        looked_up = lookup.size > 0
        for i in range(n_own):
            top = np.iinfo(np.int64).min
            at = np.iinfo(np.int64).max
            for j in range(n_other):
                raw = ids[j, i] if transposed else ids[i, j]
                outcome = lookup[raw] if looked_up else raw
                weight = size[j]
                if eligible[outcome]:
                    n_eligible[i] += weight
                    score = points[outcome]
                    if score > top or (score == top and first[j] < at):
                        top = score
                        at = first[j]
                elif below[outcome]:
                    n_below[i] += weight
                else:  # excluded (an exclusion that fires excludes the pair)
                    for r in range(n_rules):
                        if excluded_by[outcome, r]:
                            per_rule[i, r] += weight
            best[i] = top
            best_first[i] = at

    return SimpleNamespace(price_chunk=price_chunk, distances=distances, levels_of=levels_of,
                           candidates=candidates, unseen=unseen)


def price_chunk(weight: IntArray | tuple[npt.NDArray[np.integer[Any]], IntArray],
                u_rows: IntArray, v: IntArray, row_open: BoolArray, col_open: BoolArray,
                start_row: int, offsets: IntArray, near: int, per_row: int,
                columns: ColumnTops) -> tuple[IntArray, IntArray]:
    """Price one chunk of class pairs (mentor classes ``start_row`` on, every mentee class).

    ``weight``: the weights of the chunk (0: no pair), or (ids, by_id): the weight of a
    pair is ``by_id[ids]``, read pair by pair without building the weights. The excess of a
    pair is its weight less u + v; a pair is *near* when its excess is above ``-near``
    (``near`` = 0: uncovered). Updated in place: ``columns``, each column's ``per_col`` near
    pairs of largest excess so far (ties: the first row met). Returned, as row * n_b +
    column with their weights: for each row, its ``per_row`` near pairs of largest excess
    (ties: the first column), and, when some pair is uncovered, from each of ``offsets``
    the first column (wrapping round) reaching the row's largest excess, so that rows with
    many equal columns do not all pick the same.
    """
    if isinstance(weight, tuple):
        ids, by_id = np.ascontiguousarray(weight[0]), np.asarray(weight[1], np.int64)
    else:  # as a table of its distinct weights
        by_id, index = np.unique(np.asarray(weight, np.int64), return_inverse=True)
        ids = np.ascontiguousarray(index.reshape(np.shape(weight)), np.int64)
    by_id = np.where(by_id > 0, by_id, NO_PAIR)  # no pair: an excess below any kept
    n_rows = ids.shape[0]
    out_keys = np.empty(n_rows * max(1, len(offsets) + per_row), np.int64)
    out_weights = np.empty_like(out_keys)
    found = _compiled().price_chunk(
        ids, by_id,
        np.ascontiguousarray(u_rows, np.int64), np.where(col_open, v, CLOSED),
        np.ascontiguousarray(row_open, np.bool_), int(start_row),
        np.ascontiguousarray(offsets, np.int64), int(near), int(per_row),
        columns.excess, columns.row, columns.weight, columns.low, columns.floor, out_keys,
        out_weights)
    return out_keys[:found], out_weights[:found]


class ColumnTops:
    """Each column's ``per_col`` near pairs of largest excess met so far in a sweep."""

    def __init__(self, per_col: int, n_b: int, near: int) -> None:
        self.near = near
        self.excess = np.full((n_b, max(per_col, 1)), -near, np.int64)
        self.row = np.zeros((n_b, max(per_col, 1)), np.int64)
        self.weight = np.zeros((n_b, max(per_col, 1)), np.int64)
        self.low = np.zeros(n_b, np.int64)  # the slot of each column's smallest excess kept
        self.floor = np.full(n_b, -near, np.int64)  # ... and that excess

    @classmethod
    def merged(cls, parts: Sequence[ColumnTops]) -> ColumnTops:
        """The column tops of consecutive row ranges, as one pass over them all would keep
        them: each column's pairs of largest excess, ties to the first rows."""
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        per_col, n_b = first.excess.shape[1], first.excess.shape[0]
        excess = np.concatenate([p.excess for p in parts], axis=1)
        row = np.concatenate([p.row for p in parts], axis=1)
        weight = np.concatenate([p.weight for p in parts], axis=1)
        # Slots never filled hold -near and sort last.
        order = np.lexsort((row, -excess), axis=1)[:, :per_col]
        out = cls(per_col, n_b, first.near)
        out.excess = np.take_along_axis(excess, order, axis=1)
        out.row = np.take_along_axis(row, order, axis=1)
        out.weight = np.take_along_axis(weight, order, axis=1)
        out.low = np.full(n_b, per_col - 1, np.int64)
        out.floor = out.excess[:, -1].copy()
        return out

    def found(self) -> tuple[IntArray, IntArray]:
        """The pairs kept, as row * n_b + column, with their weights."""
        n_b = self.excess.shape[0]
        hit = self.excess > -self.near
        keys: IntArray = self.row[hit] * n_b + np.nonzero(hit)[0]
        weights: IntArray = self.weight[hit]
        return keys, weights


def distances(n_nodes: int, tail: IntArray, head: IntArray, cost: IntArray, start: int,
              infinity: int) -> IntArray | None:
    """Shortest distances from ``start`` by a queue-based Bellman-Ford (None if a negative
    cycle is met); ``infinity`` for a node not reached."""
    order = np.argsort(tail, kind="stable")
    bounds = np.searchsorted(tail[order], np.arange(n_nodes + 1)).astype(np.int64)
    found: IntArray = _compiled().distances(
        int(n_nodes), bounds, np.ascontiguousarray(head[order], np.int64),
        np.ascontiguousarray(cost[order], np.int64), int(start), int(infinity))
    return None if len(found) < n_nodes else found


UNSEEN = 255  # the weight index `levels_of` gives a code with no index yet


def levels_of(codes: npt.NDArray[np.integer[Any]], ids_by_code: npt.NDArray[np.intp],
              level_of_id: IntArray) -> tuple[npt.NDArray[np.uint8], int]:
    """The weight index of each pair code, one byte each, in one pass: the code's outcome id
    (``ids_by_code``), then that outcome's index (``level_of_id``, below UNSEEN), and how
    many codes have no outcome yet or their outcome no index: those get UNSEEN (the caller
    learns them and asks again)."""
    out = np.empty(codes.shape, np.uint8)
    missing = _compiled().levels_of(np.ascontiguousarray(codes), ids_by_code,
                                    np.ascontiguousarray(level_of_id, np.int64), out)
    return out, int(missing)


@dataclass(frozen=True)
class Counts:
    """For each of some people (rows), over the partners (columns, each a class of
    ``size`` people): partners eligible, below the minimum score, excluded by each rule,
    and the best score with the first partner row reaching it."""

    eligible: IntArray
    below: IntArray
    per_rule: IntArray  # rows x rules
    best: IntArray  # the lowest int64 when no partner is eligible
    best_first: IntArray


def unseen(codes: npt.NDArray[np.integer[Any]], ids_by_code: npt.NDArray[np.intp]) -> int:
    """How many pair codes have no outcome id yet (-1 in ``ids_by_code``)."""
    return int(_compiled().unseen(np.ascontiguousarray(codes), ids_by_code))


def candidates(ids: npt.NDArray[np.integer[Any]], transposed: bool, eligible: BoolArray,
               below: BoolArray, excluded_by: BoolArray, points: IntArray, size: IntArray,
               first: IntArray, ids_by_code: npt.NDArray[np.intp] | None = None) -> Counts:
    """The counts of `Counts` from the outcome ids of every (row, partner) pair, in one
    pass; ``transposed``: ``ids`` is partners x rows. With ``ids_by_code``, ``ids`` are
    pair codes, each read through it (every one of them seen: see `unseen`)."""
    n_own = ids.shape[1] if transposed else ids.shape[0]
    counts = Counts(np.zeros(n_own, np.int64), np.zeros(n_own, np.int64),
                    np.zeros((n_own, excluded_by.shape[1]), np.int64),
                    np.zeros(n_own, np.int64), np.zeros(n_own, np.int64))
    lookup = np.zeros(0, np.intp) if ids_by_code is None else ids_by_code
    _compiled().candidates(
        np.ascontiguousarray(ids), lookup, transposed, np.ascontiguousarray(eligible, np.bool_),
        np.ascontiguousarray(below, np.bool_), np.ascontiguousarray(excluded_by, np.bool_),
        np.ascontiguousarray(points, np.int64), np.ascontiguousarray(size, np.int64),
        np.ascontiguousarray(first, np.int64), counts.eligible, counts.below,
        counts.per_rule, counts.best, counts.best_first)
    return counts
