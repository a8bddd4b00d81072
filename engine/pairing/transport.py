"""The assignment between classes: a transportation problem, solved as a min-cost flow.

In: the classes of a PairSpace (engine.pairing.classes), the weight of each eligible
(mentor class, mentee class) under the objective (the same whole-number weights as the
dense assignment, engine.pairing.assignment), the places of each mentor class (the sum of
its members' capacities) and the size of each mentee class. Out: how many pairs each
(mentor class, mentee class) forms, a duality certificate that this is optimal, and the
pairs of people.

The network: source -> mentor class (its places) -> mentee class (every eligible class
pair, cost = -weight) -> sink (the class size), and a bypass source -> sink at cost 0, so
that the flow may leave places empty; OR-Tools' SimpleMinCostFlow solves it. Since every
pair of a class pair weighs the same, the class flows are exactly the best pairing of the
people, spread over the members afterwards.

The certificate is LP duality, checked on whole numbers: a price u for each mentor class's
place and v for each mentee class's place, both >= 0, with u + v >= weight on every
eligible class pair, whose total sum(places * u) + sum(size * v) equals the weight of the
pairs formed. Any pairing weighs at most that total (weak duality), so equality proves the
flow optimal. The prices are the shortest distances of the residual network from the
source (found by a queue-based Bellman-Ford), and the check does not trust them: it
recomputes every inequality and the total.

When the rules tell most people apart, the classes are nearly as many as the people, and a
network with every eligible class pair is as big as the dense matrix. `solve_priced` then
solves the flow on a few candidate arcs and prices the rest (column generation): each sweep
over every class pair, one chunk at a time, adds the arcs whose weight the current prices do
not cover, and the flow is solved again. When a sweep finds none, the prices cover every
class pair: the certificate holds for the whole problem, not only for the arcs solved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.base import oplog
from engine.base.errors import TandemError
from engine.pairing.kernels import ColumnTops, distances, price_chunk

IntArray = npt.NDArray[np.int64]
log = oplog.get_logger("tandem.pairing")
INFINITY = np.int64(1) << np.int64(62)
# Arcs a sweep adds: for each mentor class, the first column reaching its largest excess
# from PER_CLASS starting points, and its PER_ROW near pairs of largest excess; for each
# mentee class, its PER_COLUMN near pairs of largest excess. A pair is near when its excess
# is above -(NEAR_STEPS x the smallest difference between two weights): adding the pairs the
# prices only just cover, with the uncovered ones, halves the number of sweeps (the
# solver's prices move by such steps).
PER_CLASS = 4
PER_ROW = 4
PER_COLUMN = 8
NEAR_STEPS = 4


@dataclass(frozen=True)
class Certificate:
    """Dual prices proving a class flow optimal (or not)."""

    proved: bool
    primal: int  # the weight of the pairs formed
    dual: int  # sum(places * u) + sum(size * v): no pairing weighs more (when feasible)
    mentor_prices: IntArray
    mentee_prices: IntArray


@dataclass(frozen=True)
class Flow:
    """Pairs formed per eligible class pair (aligned with its arcs), and the certificate."""

    counts: IntArray
    certificate: Certificate


def solve_flow(tails: IntArray, heads: IntArray, weights: IntArray, places: IntArray,
               sizes: IntArray, then: IntArray | None = None) -> Flow:
    """The largest total weight of class-pair counts within places and sizes.

    ``then``, when given, says that every weight is one constant, larger than any difference
    of totals of ``then``, plus ``then``: the best flow is then a maximum flow, and among
    those the one of largest total ``then``. It is solved so (the solver's work grows with
    the size of the costs); the certificate still reads ``weights``.
    """
    from ortools.graph.python import min_cost_flow

    n_a, n_b = len(places), len(sizes)
    source, sink = n_a + n_b, n_a + n_b + 1
    supply = int(places.sum()) + 1  # one unit always takes the bypass (see the certificate)
    flow = min_cost_flow.SimpleMinCostFlow()
    mentor_nodes = np.arange(n_a, dtype=np.int64)
    mentee_nodes = n_a + np.arange(n_b, dtype=np.int64)
    # Arcs between classes are never the binding bound: places and sizes are.
    costs = weights if then is None else then
    # Divided by their greatest common divisor (scores step by 5 under the bundled rules):
    # the same best flow, and the cost-scaling solver runs fewer scaling rounds.
    step = int(np.gcd.reduce(costs)) if len(costs) else 1
    flow.add_arcs_with_capacity_and_unit_cost(
        tails, n_a + heads, np.full(len(tails), supply, np.int64),
        -(costs // step if step > 1 else costs))
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(n_a, source, np.int64), mentor_nodes, places, np.zeros(n_a, np.int64))
    flow.add_arcs_with_capacity_and_unit_cost(
        mentee_nodes, np.full(n_b, sink, np.int64), sizes, np.zeros(n_b, np.int64))
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    if then is None:
        flow.add_arc_with_capacity_and_unit_cost(source, sink, supply, 0)
        status = flow.solve()
    else:
        status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise TandemError(f"the min-cost flow solver stopped with status {status}")
    counts = flow.flows(np.arange(len(tails), dtype=np.int64)).astype(np.int64)
    return Flow(counts, certify(tails, heads, weights, places, sizes, counts))


def certify(tails: IntArray, heads: IntArray, weights: IntArray, places: IntArray,
            sizes: IntArray, counts: IntArray) -> Certificate:
    """Dual prices for a class flow, and whether they prove it optimal."""
    n_a, n_b = len(places), len(sizes)
    source, sink = n_a + n_b, n_a + n_b + 1
    used = np.bincount(tails, weights=counts, minlength=n_a).astype(np.int64)
    filled = np.bincount(heads, weights=counts, minlength=n_b).astype(np.int64)
    primal = int((weights * counts).sum())
    mentor_nodes = np.arange(n_a, dtype=np.int64)
    mentee_nodes = n_a + np.arange(n_b, dtype=np.int64)
    positive = counts > 0
    open_a, busy_a = used < places, used > 0
    open_b, busy_b = filled < sizes, filled > 0
    parts = [
        (tails, n_a + heads, -weights),  # between classes: never full
        (n_a + heads[positive], tails[positive], weights[positive]),  # undo a pair
        (np.full(int(open_a.sum()), source), mentor_nodes[open_a], 0),
        (mentor_nodes[busy_a], np.full(int(busy_a.sum()), source), 0),
        (mentee_nodes[open_b], np.full(int(open_b.sum()), sink), 0),
        (np.full(int(busy_b.sum()), sink), mentee_nodes[busy_b], 0),
        (np.array([source, sink]), np.array([sink, source]), 0),  # the bypass, both ways
    ]
    tail = np.concatenate([np.asarray(p[0], np.int64) for p in parts])
    head = np.concatenate([np.asarray(p[1], np.int64) for p in parts])
    cost = np.concatenate([np.broadcast_to(np.asarray(p[2], np.int64), len(p[0]))
                           for p in parts])
    distance = distances(n_a + n_b + 2, tail, head, cost, source, int(INFINITY))
    empty = np.zeros(0, np.int64)
    if distance is None:
        return Certificate(False, primal, 0, empty, empty)
    # A class the residual network does not reach has no eligible pair left to price
    # (price 0); `check` verifies that claim with the rest.
    reached = distance < INFINITY
    u = np.where(reached[:n_a], np.maximum(distance[:n_a], 0), 0)
    v = np.where(reached[n_a:n_a + n_b], np.maximum(-distance[n_a:n_a + n_b], 0), 0)
    return check(tails, heads, weights, places, sizes, counts, u, v)


def check(tails: IntArray, heads: IntArray, weights: IntArray, places: IntArray,
          sizes: IntArray, counts: IntArray, u: IntArray, v: IntArray) -> Certificate:
    """Whether the prices u, v prove the counts optimal: the counts are within places and
    sizes, the prices are >= 0 and cover every weight, and both totals are equal."""
    n_a, n_b = len(places), len(sizes)
    used = np.bincount(tails, weights=counts, minlength=n_a)
    filled = np.bincount(heads, weights=counts, minlength=n_b)
    primal = int((weights * counts).sum())
    dual = int((places * u).sum() + (sizes * v).sum())
    feasible = bool((counts >= 0).all() and (used <= places).all() and (filled <= sizes).all())
    covered = bool((u >= 0).all() and (v >= 0).all()
                   and (u[tails] + v[heads] >= weights).all())
    return Certificate(feasible and covered and dual == primal, primal, dual, u, v)


def expand(tails: IntArray, heads: IntArray, counts: IntArray, mentor_of: IntArray,
           mentee_of: IntArray, capacities: IntArray) -> tuple[IntArray, IntArray]:
    """Class-pair counts as pairs of people, deterministically.

    A mentor class's places are taken in order: every member's first place (by row), then
    every member's second place, and so on; a mentee class's members by row. Class pairs
    take them in the order (mentor class, mentee class).
    """
    keep = counts > 0
    tails, heads, counts = tails[keep], heads[keep], counts[keep]
    if not len(counts):
        empty = np.zeros(0, np.int64)
        return empty, empty
    # Places of every mentor, sorted by (class, level, row).
    owner = np.repeat(np.arange(len(capacities), dtype=np.int64), capacities)
    level = np.arange(len(owner), dtype=np.int64) - np.repeat(
        np.cumsum(capacities) - capacities, capacities)
    places = owner[np.lexsort((owner, level, mentor_of[owner]))]
    place_start = np.searchsorted(mentor_of[places], np.arange(int(mentor_of.max()) + 1))
    mentees = np.lexsort((np.arange(len(mentee_of)), mentee_of))
    mentee_start = np.searchsorted(mentee_of[mentees], np.arange(int(mentee_of.max()) + 1))
    by_mentor = np.lexsort((heads, tails))
    tails, heads, counts = tails[by_mentor], heads[by_mentor], counts[by_mentor]

    mentor_at = offsets_sorted(tails, counts, place_start)
    # Mentee classes are filled in the same (mentor class, mentee class) order.
    by_mentee = np.lexsort((tails, heads))
    mentee_at = np.empty(len(counts), np.int64)
    mentee_at[by_mentee] = offsets_sorted(heads[by_mentee], counts[by_mentee], mentee_start)
    step = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts)
    return (places[np.repeat(mentor_at, counts) + step],
            mentees[np.repeat(mentee_at, counts) + step])


def offsets_sorted(groups: IntArray, counts: IntArray, starts: IntArray) -> IntArray:
    """Where each run of ``counts`` begins within its (sorted) group."""
    before = np.cumsum(counts) - counts
    group_first = np.searchsorted(groups, groups)
    at: IntArray = starts[groups] + before - before[group_first]
    return at


@dataclass(frozen=True)
class PricedFlow:
    """A flow solved on the arcs the pricing kept, proved optimal over every class pair."""

    tails: IntArray
    heads: IntArray
    weights: IntArray
    counts: IntArray
    certificate: Certificate
    sweeps: int  # sweeps over every class pair (the first one picks the first arcs)


# The weights of some mentor classes with every mentee class: a matrix, or (ids, by_id) with
# the weights by_id[ids] (read pair by pair, never built).
WeightRows = Callable[[slice], IntArray | tuple[npt.NDArray[np.integer[Any]], IntArray]]


def solve_priced(places: IntArray, sizes: IntArray, weight_rows: WeightRows,
                 chunks: Sequence[slice], big: int | None = None, per_class: int | None = None,
                 workers: int = 1) -> PricedFlow:
    """The largest total weight of class-pair counts within places and sizes, without a
    network of every class pair.

    ``weight_rows(rows)`` gives the weights of the mentor classes ``rows`` with every mentee
    class (0: no pair); ``chunks`` cover the mentor classes in order. A mentor class with no
    place, or a mentee class with no one left, takes no arc. ``big``: every positive weight
    is ``big`` plus a smaller part (see `solve_flow`'s ``then``). ``workers``: threads for
    the sweeps (``weight_rows`` must allow them); the arcs found, and so the result, do
    not depend on it.
    """
    n_a, n_b = len(places), len(sizes)
    per_class = per_class or PER_CLASS
    u, v = np.zeros(n_a, np.int64), np.zeros(n_b, np.int64)
    empty = np.zeros(0, np.int64)
    keys = weights = empty  # the arcs kept, as tail * n_b + head (sorted), and their weights
    sweeps, near = 0, 0
    flow: Flow | None = None
    while True:
        sweeps += 1
        clock = time.process_time()
        found, found_weights = _uncovered(places, sizes, weight_rows, chunks, u, v,
                                          per_class, near, workers)
        at = np.searchsorted(keys, found)  # keys are sorted
        fresh = at >= len(keys)
        fresh[~fresh] = keys[at[~fresh]] != found[~fresh]  # an arc already solved is covered
        found, found_weights = found[fresh], found_weights[fresh]
        uncovered = int((found_weights - u[found // n_b] - v[found % n_b] > 0).sum())
        swept = time.process_time() - clock
        if not uncovered:  # near pairs alone change nothing: the prices cover every pair
            log.debug("pricing sweep", sweep=sweeps, uncovered=0, sweep_s=round(swept, 3))
            break
        if sweeps == 1:
            levels = np.unique(found_weights)
            near = NEAR_STEPS * int(np.diff(levels).min()) + 1 if len(levels) > 1 else 1
        keys = np.concatenate([keys, found])
        weights = np.concatenate([weights, found_weights])
        order = np.argsort(keys, kind="stable")
        keys, weights = keys[order], weights[order]
        clock = time.process_time()
        flow = solve_flow(keys // n_b, keys % n_b, weights, places, sizes,
                          None if big is None else weights - big)
        log.debug("pricing sweep", sweep=sweeps, uncovered=uncovered, new_arcs=len(found),
                  arcs=len(keys), sweep_s=round(swept, 3),
                  flow_s=round(time.process_time() - clock, 3))
        if not flow.certificate.proved:  # prices that fail on the arcs solved: stop here
            return PricedFlow(keys // n_b, keys % n_b, weights, flow.counts, flow.certificate,
                              sweeps)
        u, v = flow.certificate.mentor_prices, flow.certificate.mentee_prices
    if flow is None:  # no eligible pair at all: nothing to form, nothing to prove
        return PricedFlow(empty, empty, empty, empty,
                          check(empty, empty, empty, places, sizes, empty, u, v), sweeps)
    # The last sweep found every class pair covered by u + v; with the check of the arcs
    # solved (feasible counts, prices >= 0, equal totals), the prices prove the whole problem.
    # (A class with no place, or no one left, may take any price at no cost to the total.)
    return PricedFlow(keys // n_b, keys % n_b, weights, flow.counts, flow.certificate, sweeps)


def _uncovered(places: IntArray, sizes: IntArray, weight_rows: WeightRows,
               chunks: Sequence[slice], u: IntArray, v: IntArray, per_class: int, near: int,
               workers: int = 1) -> tuple[IntArray, IntArray]:
    """One sweep over every class pair (engine.pairing.kernels.price_chunk, chunk by chunk):
    the pairs whose weight u + v does not cover, and near pairs, as tail * n_b + head
    (sorted) with their weights. Kept: for each mentor class, its PER_ROW near pairs of
    largest excess and the first pair reaching its largest excess from ``per_class``
    starting points spread over the mentee classes (so that equal classes do not all pick
    the same); for each mentee class, its PER_COLUMN near pairs of largest excess (ties:
    the first mentor classes).

    ``workers`` > 1 sweeps consecutive runs of chunks in as many threads (the kernel
    releases the GIL; ``weight_rows`` must allow it): each row's pairs are its own, and the
    columns' are merged as one pass would keep them, so the arcs found are the same.
    """
    n_b = len(sizes)
    row_open, col_open = places > 0, sizes > 0

    def sweep(first: int, part: Sequence[slice]
              ) -> tuple[list[IntArray], list[IntArray], ColumnTops]:
        columns = ColumnTops(PER_COLUMN, n_b, near)
        keys: list[IntArray] = []
        values: list[IntArray] = []
        for k, rows in enumerate(part, first):
            offsets = (k * 7919 + np.arange(min(per_class, n_b), dtype=np.int64) * n_b
                       // per_class) % n_b
            found, found_weights = price_chunk(
                weight_rows(rows), u[rows], v, row_open[rows], col_open, rows.start,
                offsets, near, PER_ROW, columns)
            keys.append(found)
            values.append(found_weights)
        return keys, values, columns

    workers = max(1, min(workers, len(chunks)))
    bounds = [len(chunks) * w // workers for w in range(workers + 1)]
    parts = [(bounds[w], chunks[bounds[w]:bounds[w + 1]]) for w in range(workers)]
    if workers == 1:
        swept = [sweep(*parts[0])]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            swept = list(pool.map(lambda part: sweep(*part), parts))
    found, found_weights = ColumnTops.merged([s[2] for s in swept]).found()
    key_all = np.concatenate([np.zeros(0, np.int64), *(k for s in swept for k in s[0]), found])
    value_all = np.concatenate([np.zeros(0, np.int64), *(w for s in swept for w in s[1]),
                                found_weights])
    key_all, first = np.unique(key_all, return_index=True)  # one arc found twice: once
    return key_all, value_all[first]
