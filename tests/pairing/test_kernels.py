"""The class path's compiled inner loops give what their plain numpy statement gives.

engine.pairing.kernels replaces passes of numpy over a chunk of class pairs (the pricing)
and a queue-based Bellman-Ford (the certificate's prices). Each is checked here against the
plain statement of what it computes, on random data with many ties.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import NegativeCycleError, bellman_ford

from engine.pairing.kernels import distances, price_chunk

INFINITY = 1 << 62


def price_reference(weight, u_rows, v, row_open, col_open, start_row, offsets, col_excess,
                    col_row, col_weight):
    """The pricing of one chunk, stated with numpy."""
    n_b = weight.shape[1]
    excess = weight - u_rows[:, None] - v[None, :]
    excess[~row_open[:, None] | ~col_open[None, :]] = 0
    top = excess.max(axis=0)
    better = np.flatnonzero(top > col_excess)
    best = np.argmax(excess[:, better], axis=0)
    col_excess[better] = top[better]
    col_row[better] = best + start_row
    col_weight[better] = weight[best, better]
    keys, weights = [], []
    for i in np.flatnonzero(excess.max(axis=1) > 0):
        row_max = excess[i].max()
        for offset in offsets:
            order = np.r_[np.arange(offset, n_b), np.arange(0, offset)]
            j = order[np.argmax(excess[i, order] == row_max)]
            keys.append((start_row + i) * n_b + j)
            weights.append(weight[i, j])
    return np.array(keys, np.int64), np.array(weights, np.int64)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 9), st.integers(1, 12), st.integers(1, 4))
def test_the_compiled_pricing_finds_what_numpy_finds(seed: int, n_rows: int, n_b: int,
                                                     n_offsets: int) -> None:
    rng = np.random.default_rng(seed)
    weight = rng.choice([0, 5, 10, 15], size=(n_rows, n_b)).astype(np.int64)
    u_rows = rng.integers(0, 8, n_rows).astype(np.int64)
    v = rng.integers(0, 8, n_b).astype(np.int64)
    row_open, col_open = rng.random(n_rows) < 0.8, rng.random(n_b) < 0.8
    offsets = rng.integers(0, n_b, n_offsets).astype(np.int64)
    trackers = [rng.integers(0, 6, n_b).astype(np.int64), np.zeros(n_b, np.int64),
                np.zeros(n_b, np.int64)]
    mine = [t.copy() for t in trackers]
    theirs = [t.copy() for t in trackers]
    keys, weights = price_chunk(weight, u_rows, v, row_open, col_open, 7, offsets, *mine)
    want_keys, want_weights = price_reference(weight, u_rows, v, row_open, col_open, 7,
                                              offsets, *theirs)
    assert keys.tolist() == want_keys.tolist()
    assert weights.tolist() == want_weights.tolist()
    for got, want in zip(mine, theirs, strict=True):
        assert got.tolist() == want.tolist()
    # Read through a table of weights, the same.
    levels = np.unique(weight, return_inverse=True)
    table_keys, table_weights = price_chunk(
        (levels[1].reshape(weight.shape).astype(np.uint8), levels[0].astype(np.int64)),
        u_rows, v, row_open, col_open, 7, offsets, *[t.copy() for t in trackers])
    assert table_keys.tolist() == keys.tolist()
    assert table_weights.tolist() == weights.tolist()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 12), st.integers(0, 40))
def test_the_compiled_distances_are_the_shortest(seed: int, n_nodes: int, n_arcs: int
                                                 ) -> None:
    rng = np.random.default_rng(seed)
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n_nodes, (n_arcs, 2)) if a != b}
    tail = np.array([p[0] for p in pairs], np.int64)
    head = np.array([p[1] for p in pairs], np.int64)
    cost = rng.integers(-3, 10, len(pairs)).astype(np.int64)
    got = distances(n_nodes, tail, head, cost, 0, INFINITY)
    # An arc of cost 0 stays an arc: the matrix keeps explicit zeros.
    graph = csr_matrix((cost.astype(float), (tail, head)), shape=(n_nodes, n_nodes))
    try:
        want = bellman_ford(graph, directed=True, indices=0)
    except NegativeCycleError:
        want = None
    if want is None:
        # scipy finds any negative cycle; a cycle that the start does not reach leaves
        # the distances from the start well defined.
        if got is not None:
            reached = got < INFINITY
            assert not (reached[tail] & (got[tail] + cost < got[head])).any()
        return
    assert got is not None
    assert np.where(np.isinf(want), INFINITY, want).astype(np.int64).tolist() == got.tolist()


def test_a_negative_cycle_reached_from_the_start_gives_no_distances() -> None:
    tail, head = np.array([0, 1, 2]), np.array([1, 2, 1])
    assert distances(3, tail, head, np.array([1, -2, 1]), 0, INFINITY) is None
    assert distances(3, tail, head, np.array([1, -1, 1]), 0, INFINITY) is not None


@pytest.mark.parametrize("n_b", [1, 5])
def test_a_chunk_with_nothing_uncovered_finds_nothing(n_b: int) -> None:
    weight = np.full((3, n_b), 5, np.int64)
    trackers = [np.full(n_b, 0, np.int64), np.zeros(n_b, np.int64), np.zeros(n_b, np.int64)]
    keys, _ = price_chunk(weight, np.full(3, 3), np.full(n_b, 2), np.ones(3, bool),
                          np.ones(n_b, bool), 0, np.array([0]), *trackers)
    assert len(keys) == 0 and not trackers[0].any()
